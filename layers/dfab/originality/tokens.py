"""The canonical token stream of one definition: what survives every cosmetic edit.

Identifiers are replaced by their role: every local, parameter, global and data
attribute becomes `V` (one role, so splitting a function, which turns locals into
parameters, or inlining one, does not change tokens), harness functions and methods `FN`,
harness classes `CLS`, keyword arguments of harness calls `K=`; names from outside the
harness (builtins, the standard library, `random.Random`, methods such as `str.join`,
keywords of external calls) stay, since a copier cannot rename them, and import aliases
are undone.
Docstrings, comments (absent from the tree), annotations, `pass`, imports and code after
`return`/`raise` or under a constant-false `if` are dropped; literals become buckets
(`STR`, `INT`, ...); `async`/`await` disappear (`async def` reads as `def`, `await x` as
`x`, `asyncio.run(x)` as `x`); `x += y` reads as `x = x + y`.
"""

from __future__ import annotations

import ast
import builtins

from dfab.originality.symbols import HarnessSymbols, ModuleInfo
from dfab.originality.vocabulary import EXTERNAL_METHODS

_TERMINATORS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
_SKIPPED_STMTS = (ast.Pass, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)
_OPERATORS = (ast.operator, ast.boolop, ast.cmpop, ast.unaryop)
_SKIPPED_FIELDS = frozenset(
    {"ctx", "type_comment", "kind", "annotation", "returns", "type_params", "is_async"}
)
_UNWRAP_CALLS = frozenset({"asyncio.run", "asyncio.to_thread", "asyncio.ensure_future"})
_FALSE_NAMES = frozenset({"TYPE_CHECKING", "typing.TYPE_CHECKING"})
_BUILTINS = frozenset(dir(builtins))
#: Nodes that bind their `name` (a nested def or class, `except ... as`, match captures).
_NAMED_BINDERS = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.ExceptHandler,
    ast.MatchAs,
    ast.MatchStar,
)


def literal_bucket(value: object) -> str:
    """The token of a constant: its kind, never its value (constants change freely)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return "INT"
    if isinstance(value, float):
        return "FLOAT"
    if isinstance(value, complex):
        return "COMPLEX"
    if isinstance(value, str):
        return "STR" if value else "STR0"
    if isinstance(value, bytes):
        return "BYTES"
    return "CONST"


def _bound_names(node: ast.AST) -> set[str]:
    """Every name a function binds (parameters, assignments, loop and `as` targets).

    Imports are left out on purpose: `symbols` binds them module-wide, so moving an
    import into a function does not change how the imported names read."""
    out: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.arg):
            out.add(sub.arg)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            out.add(sub.id)
        elif isinstance(sub, _NAMED_BINDERS) and sub.name and sub is not node:
            out.add(sub.name)
    return out


def const_truth(test: ast.expr, module: ModuleInfo, symbols: HarnessSymbols) -> bool | None:
    """Truth of a test known without running anything (`if False:`, `if TYPE_CHECKING:`)."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = const_truth(test.operand, module, symbols)
        return None if inner is None else not inner
    if isinstance(test, ast.Name) and (
        test.id in _FALSE_NAMES or symbols.external(module.name, test.id) in _FALSE_NAMES
    ):
        return False
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return False
    return None


class Emitter:
    """Appends canonical tokens (with their source lines) for statements of one module."""

    def __init__(self, symbols: HarnessSymbols, module: ModuleInfo) -> None:
        self.sym = symbols
        self.mod = module
        self.tokens: list[str] = []
        self.lines: list[int] = []
        self._line = 1
        self._locals: list[set[str]] = []

    # ------------------------------------------------------------------ output

    def add(self, token: str) -> None:
        self.tokens.append(token)
        self.lines.append(self._line)

    def _at(self, node: ast.AST) -> None:
        line = getattr(node, "lineno", None)
        if isinstance(line, int):
            self._line = line

    # ------------------------------------------------------------------ names

    def _is_local(self, name: str) -> bool:
        return any(name in scope for scope in self._locals)

    def name_token(self, name: str) -> str:
        if self._is_local(name):
            return "V"
        found = self.sym.resolve(self.mod.name, name)
        if found is not None:
            kind = found[0]
            return {"function": "FN", "class": "CLS", "module": "MOD"}.get(kind, "V")
        external = self.sym.external(self.mod.name, name)
        if external is not None:
            return external
        return name if name in _BUILTINS else "V"

    def _external_callee(self, func: ast.expr) -> bool:
        """Calls whose keyword names a copier cannot rename (builtins, imported APIs)."""
        if self._dotted(func) is not None:
            return True
        return (
            isinstance(func, ast.Name)
            and func.id in _BUILTINS
            and func.id != "dict"
            and self.name_token(func.id) == func.id
        )

    def _dotted(self, node: ast.AST) -> str | None:
        """External dotted name of an expression (`os.path.join`), undoing aliases."""
        if isinstance(node, ast.Name):
            if self._is_local(node.id):
                return None
            return self.sym.external(self.mod.name, node.id)
        if isinstance(node, ast.Attribute):
            base = self._dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def _harness_module(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name) and not self._is_local(node.id):
            found = self.sym.resolve(self.mod.name, node.id)
            return found[1] if found and found[0] == "module" else None
        if isinstance(node, ast.Attribute):
            base = self._harness_module(node.value)
            if base and f"{base}.{node.attr}" in self.sym.modules:
                return self.sym.modules[f"{base}.{node.attr}"].name
        return None

    # ------------------------------------------------------------------ definitions

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self._at(node)
        if not isinstance(node, ast.Lambda):
            for dec in node.decorator_list:
                self.add("@")
                self.expr(dec)
        self.add("def" if not isinstance(node, ast.Lambda) else "lambda")
        self._locals.append(_bound_names(node))
        try:
            self.arguments(node.args)
            if isinstance(node, ast.Lambda):
                self.expr(node.body)
            else:
                self.block(node.body)
        finally:
            self._locals.pop()
        self.add("end")

    def arguments(self, args: ast.arguments) -> None:
        for a in [*args.posonlyargs, *args.args]:
            self._at(a)
            self.add("V")
        if args.vararg:
            self.add("*V")
        for a in args.kwonlyargs:
            self._at(a)
            self.add("V")
        if args.kwarg:
            self.add("**V")
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self.add("=")
            self.expr(default)

    def class_header(self, node: ast.ClassDef) -> None:
        self._at(node)
        for dec in node.decorator_list:
            self.add("@")
            self.expr(dec)
        self.add("class")
        for base in node.bases:
            self.expr(base)
        for kw in node.keywords:
            self.keyword(kw)
        body = [s for s in node.body if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]
        self.block(body)
        self.add("end")

    # ------------------------------------------------------------------ statements

    def block(self, stmts: list[ast.stmt]) -> None:
        for stmt in stmts:
            self.stmt(stmt)
            if isinstance(stmt, _TERMINATORS):
                break

    def stmt(self, node: ast.stmt) -> None:
        self._at(node)
        if isinstance(node, _SKIPPED_STMTS):
            return
        if isinstance(node, ast.Expr):
            if not isinstance(node.value, ast.Constant):  # docstrings, bare literals
                self.expr(node.value)
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.function(node)
        elif isinstance(node, ast.ClassDef):
            self.class_header(node)
            for method in node.body:
                if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                    self.function(method)
        elif isinstance(node, ast.If):
            self._if(node)
        elif isinstance(node, ast.While):
            if const_truth(node.test, self.mod, self.sym) is False:
                self.block(node.orelse)
                return
            self._generic(node)
        elif isinstance(node, ast.AugAssign):  # exactly the tokens of `x = x <op> value`
            self.add("=")
            self.expr(node.target)
            self.add("BinOp")
            self.expr(node.target)
            self.add(type(node.op).__name__)
            self.expr(node.value)
        elif isinstance(node, ast.AnnAssign):
            if node.value is None:
                self.add("decl")
                self.expr(node.target)
            else:
                self.add("=")
                self.expr(node.target)
                self.expr(node.value)
        elif isinstance(node, ast.Assign):
            self.add("=")
            for target in node.targets:
                self.expr(target)
            self.expr(node.value)
        elif isinstance(node, ast.AsyncFor):
            self._generic(node, "For")
        elif isinstance(node, ast.AsyncWith):
            self._generic(node, "With")
        else:
            self._generic(node)

    def _if(self, node: ast.If) -> None:
        truth = const_truth(node.test, self.mod, self.sym)
        if truth is True:
            self.block(node.body)
        elif truth is False:
            self.block(node.orelse)
        else:
            self._generic(node)

    # ------------------------------------------------------------------ expressions

    def expr(self, node: ast.AST) -> None:
        self._at(node)
        if isinstance(node, ast.Name):
            self.add(self.name_token(node.id))
        elif isinstance(node, ast.Constant):
            self.add(literal_bucket(node.value))
        elif isinstance(node, ast.Attribute):
            self._attribute(node)
        elif isinstance(node, ast.Call):
            self._call(node)
        elif isinstance(node, ast.Await):
            self.expr(node.value)
        elif isinstance(node, ast.JoinedStr):
            self.add("FSTR")
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    self.expr(value.value)
        elif isinstance(node, ast.Lambda):
            self.function(node)
        elif isinstance(node, ast.keyword):
            self.keyword(node)
        elif isinstance(node, ast.arg):
            self.add("V")
        elif isinstance(node, ast.stmt):
            self.stmt(node)
        else:
            self._generic(node)

    def _attribute(self, node: ast.Attribute, called: bool = False) -> None:
        dotted = self._dotted(node)
        if dotted is not None:
            self.add(dotted)
            return
        module = self._harness_module(node.value)
        if module is not None:
            found = self.sym.resolve(module, node.attr)
            kind = found[0] if found else "global"
            self.add({"function": "FN", "class": "CLS", "module": "MOD"}.get(kind, "V"))
            return
        self.expr(node.value)
        if node.attr.startswith("__") and node.attr.endswith("__"):
            self.add("." + node.attr)
        elif called:
            self.add("." + node.attr if node.attr in EXTERNAL_METHODS else "FN")
        else:
            self.add("V")

    def _call(self, node: ast.Call) -> None:
        callee = self._dotted(node.func)
        if callee in _UNWRAP_CALLS and node.args:
            if callee != "asyncio.to_thread":
                self.expr(node.args[0])
                return
            node = ast.Call(node.args[0], node.args[1:], node.keywords)
        self.add("call")
        if isinstance(node.func, ast.Attribute):
            self._attribute(node.func, called=True)
        else:
            self.expr(node.func)
        for arg in node.args:
            self.expr(arg)
        external = self._external_callee(node.func)
        for kw in node.keywords:
            self.keyword(kw, external)
        self.add(")")

    def keyword(self, node: ast.keyword, external: bool = False) -> None:
        if node.arg is None:
            self.add("**")
        else:
            self.add(node.arg + "=" if external else "K=")
        self.expr(node.value)

    def _generic(self, node: ast.AST, label: str | None = None) -> None:
        self.add(label or type(node).__name__)
        for name, value in ast.iter_fields(node):
            if name in _SKIPPED_FIELDS:
                continue
            if isinstance(value, list):
                if value and all(isinstance(v, ast.stmt) for v in value):
                    self.block(value)
                    self.add("end")
                    continue
                for item in value:
                    self._child(item)
            elif isinstance(value, ast.AST):
                self._child(value)

    def _child(self, value: object) -> None:
        if isinstance(value, _OPERATORS):
            self.add(type(value).__name__)
        elif isinstance(value, ast.expr_context):
            return
        elif isinstance(value, ast.ExceptHandler):
            self._at(value)
            self.add("except")
            if value.type is not None:
                self.expr(value.type)
            self.block(value.body)
            self.add("end")
        elif isinstance(value, ast.AST):
            self.expr(value)
