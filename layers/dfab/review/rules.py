"""The per-file checks: walk one parsed module and report the constructs in the catalog.

Names are resolved through the file's imports (`import subprocess as sp; sp.run` is
`subprocess.run`, `from os import system` is `os.system`) and through `getattr` with a
literal name, so the common spellings of a construct are caught; computed lookups of
dangerous functions are themselves a finding. The walk is iterative (`ast.walk`): the
input is untrusted and recursion depth is not something it may choose.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from dfab.review.literals import blob_kind, is_high_entropy, literal_text
from dfab.review.settings import ReviewSettings

_EXEC = frozenset({"exec", "eval", "compile"})
_IMPORTERS = frozenset(
    {"__import__", "importlib.import_module", "importlib.__import__", "builtins.__import__"}
)
_PATH_RUNNERS = frozenset(
    {
        "runpy.run_path",
        "runpy.run_module",
        "importlib.util.spec_from_file_location",
        "importlib.machinery.SourceFileLoader",
    }
)
_DECODERS = frozenset(
    {
        "base64.b64decode",
        "base64.b32decode",
        "base64.b16decode",
        "base64.a85decode",
        "base64.b85decode",
        "base64.urlsafe_b64decode",
        "base64.standard_b64decode",
        "base64.decodebytes",
        "binascii.unhexlify",
        "binascii.a2b_hex",
        "binascii.a2b_base64",
        "bytes.fromhex",
        "bytearray.fromhex",
        "zlib.decompress",
        "lzma.decompress",
        "bz2.decompress",
        "gzip.decompress",
        "codecs.decode",
    }
)
#: Calls whose presence in a computed name means the name was decoded or assembled.
_ASSEMBLERS = _DECODERS | {"chr", "bytes", "bytearray", "reversed"}
_PROCESS_MODULES = frozenset({"subprocess", "multiprocessing", "pty", "pexpect"})
_PROCESS_CALLS = re.compile(
    r"^os\.(system|popen|fork|forkpty|posix_spawnp?|exec[lv]p?e?|spawn[lv]p?e?)$"
    r"|^concurrent\.futures\.ProcessPoolExecutor$|^asyncio\.create_subprocess_(exec|shell)$"
)
_NETWORK_MODULES = frozenset(
    {
        "socket",
        "ssl",
        "urllib.request",
        "urllib3",
        "http.client",
        "http.server",
        "requests",
        "httpx",
        "aiohttp",
        "ftplib",
        "smtplib",
        "poplib",
        "imaplib",
        "telnetlib",
        "xmlrpc.client",
        "socketserver",
        "websockets",
        "paramiko",
    }
)
_NETWORK_CALLS = frozenset({"asyncio.open_connection", "asyncio.start_server"})
_PICKLE_LOADS = frozenset(
    {
        "pickle.loads",
        "pickle.load",
        "pickle.Unpickler",
        "_pickle.loads",
        "_pickle.load",
        "cPickle.loads",
        "dill.loads",
        "dill.load",
        "cloudpickle.loads",
        "shelve.open",
        "jsonpickle.decode",
    }
)
_MARSHAL = frozenset({"marshal.loads", "marshal.load"})
_CODE_BUILDERS = frozenset({"types.CodeType", "types.FunctionType", "types.LambdaType"})
_GADGET_ATTRS = frozenset(
    {"__subclasses__", "__globals__", "f_globals", "f_builtins", "f_locals", "co_code"}
)
#: Modules whose functions must be called by name, never looked up with computed names.
_SENSITIVE_MODULES = frozenset(
    {
        "builtins",
        "os",
        "posix",
        "subprocess",
        "sys",
        "importlib",
        "ctypes",
        "marshal",
        "pickle",
        "socket",
        "runpy",
    }
)
_DANGEROUS_NAMES = frozenset(
    {"exec", "eval", "compile", "__import__", "system", "popen", "import_module", "loads"}
)
_AWS_ENV = re.compile(r"^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|CONTAINER_)")
_SECRET_ENV = re.compile(r"SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIAL", re.I)
_METADATA = re.compile(r"169\.254\.169\.254|169\.254\.170\.2|fd00:ec2::254")
_AWS_FILES = re.compile(r"(^|/)\.aws/(credentials|config)$")
_ENV_READERS = frozenset({"os.getenv", "os.environ.get", "os.environ.pop", "os.getenvb"})
_FS_CALLS = frozenset(
    {
        "open",
        "io.open",
        "os.open",
        "pathlib.Path",
        "os.listdir",
        "os.scandir",
        "os.walk",
        "glob.glob",
        "shutil.rmtree",
        "shutil.copy",
        "shutil.copytree",
        "shutil.move",
        "os.remove",
        "os.unlink",
        "os.chdir",
    }
)
_HOME_CALLS = frozenset({"pathlib.Path.home", "os.path.expanduser"})
#: Absolute paths a harness may use: the sandbox gives it a private /tmp and the devices.
_SAFE_ABSOLUTE = ("/tmp", "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/urandom")  # noqa: S108
_BUILTIN_NAMES = frozenset(dir(builtins))


@dataclass(frozen=True)
class Hit:
    """A rule that fired at a place in the current file (severity is applied later)."""

    rule: str
    line: int
    col: int
    message: str


@dataclass
class _Names:
    """How names of one file resolve: import aliases and module-level bindings."""

    aliases: dict[str, str] = field(default_factory=dict)
    local_defs: set[str] = field(default_factory=set)
    constants: dict[str, ast.expr] = field(default_factory=dict)


def _collect_names(tree: ast.Module) -> _Names:
    names = _Names()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    names.aliases[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    names.aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                if a.name != "*":
                    names.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.local_defs.add(stmt.name)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                names.local_defs.add(target.id)
                names.constants[target.id] = stmt.value
    return names


class FileChecker:
    """Runs every rule over one module and yields hits."""

    def __init__(self, tree: ast.Module, settings: ReviewSettings) -> None:
        self.tree = tree
        self.settings = settings
        self.names = _collect_names(tree)
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self._flagged_literals: set[int] = set()

    # ------------------------------------------------------------------ resolution

    def resolve(self, node: ast.AST) -> str | None:
        """Dotted name an expression refers to (`sp.run` -> `subprocess.run`), if known."""
        if isinstance(node, ast.Name):
            if node.id in self.names.aliases:
                return self.names.aliases[node.id]
            if node.id in self.names.local_defs:
                return None
            if node.id in _BUILTIN_NAMES or node.id == "__builtins__":
                return "builtins" if node.id == "__builtins__" else node.id
            return None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if base is None:
                return None
            return f"{base}.{node.attr}"
        if isinstance(node, ast.Call):
            fn = self.resolve(node.func)
            if fn in ("getattr", "builtins.getattr") and len(node.args) >= 2:
                base = self.resolve(node.args[0])
                name = node.args[1]
                if base and isinstance(name, ast.Constant) and isinstance(name.value, str):
                    return f"{base}.{name.value}"
            if fn == "__import__" and node.args and _is_str_constant(node.args[0]):
                return str(node.args[0].value)  # type: ignore[attr-defined]
            if fn in ("importlib.import_module",) and node.args and _is_str_constant(node.args[0]):
                return str(node.args[0].value)  # type: ignore[attr-defined]
            if fn in ("vars", "builtins.vars") and node.args:
                return self.resolve(node.args[0])
            return None
        if isinstance(node, ast.Subscript):
            base = self.resolve(node.value)
            key = node.slice
            if base == "sys.modules" and _is_str_constant(key):
                return str(key.value)  # type: ignore[attr-defined]
            if base and base.endswith(".__dict__") and _is_str_constant(key):
                return f"{base.removesuffix('.__dict__')}.{key.value}"  # type: ignore[attr-defined]
            if base in ("builtins", "builtins.__dict__") and _is_str_constant(key):
                return f"builtins.{key.value}"  # type: ignore[attr-defined]
            return None
        return None

    def _callee(self, call: ast.Call) -> str | None:
        name = self.resolve(call.func)
        if name and name.startswith("builtins.") and name.count(".") == 1:
            return name.removeprefix("builtins.")
        return name

    def _literal(self, node: ast.AST | None) -> str | bytes | None:
        """The literal behind `node`: a constant, `"...".encode()`, or a module constant."""
        for _ in range(4):
            if node is None:
                return None
            if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
                return node.value
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr != "encode":
                    return None
                node = node.func.value
                continue
            if isinstance(node, ast.Name) and node.id in self.names.constants:
                node = self.names.constants[node.id]
                continue
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                left, right = self._literal(node.left), self._literal(node.right)
                if isinstance(left, str) and isinstance(right, str):
                    return left + right
                if isinstance(left, bytes) and isinstance(right, bytes):
                    return left + right
            return None
        return None

    def _is_embedded(self, node: ast.AST | None) -> bool:
        """Data written into the source: a literal, or a decoder applied to one."""
        if self._literal(node) is not None:
            return True
        if isinstance(node, ast.Name) and node.id in self.names.constants:
            return self._is_embedded(self.names.constants[node.id])
        if isinstance(node, ast.Call):
            fn = self._callee(node)
            if fn in _DECODERS and node.args:
                return self._is_embedded(node.args[0])
        return False

    def _assembled(self, node: ast.AST) -> bool:
        """Whether an expression decodes or assembles text (chr, b64decode, [::-1], ...)."""
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                fn = self._callee(sub)
                if fn in _ASSEMBLERS:
                    return True
                if isinstance(sub.func, ast.Attribute) and sub.func.attr in ("decode", "fromhex"):
                    return True
            if isinstance(sub, ast.Subscript) and isinstance(sub.slice, ast.Slice):
                step = sub.slice.step
                if isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub):
                    return True
        return False

    # ------------------------------------------------------------------ the walk

    def hits(self) -> Iterator[Hit]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield from self._imports(node)
            elif isinstance(node, ast.Call):
                yield from self._call(node)
            elif isinstance(node, ast.Attribute):
                yield from self._attribute(node)
            elif isinstance(node, ast.Subscript):
                yield from self._subscript(node)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
                yield from self._constant(node)

    def _hit(self, rule: str, node: ast.AST, message: str) -> Hit:
        return Hit(rule, getattr(node, "lineno", 0), getattr(node, "col_offset", 0), message)

    def _imports(self, node: ast.Import | ast.ImportFrom) -> Iterator[Hit]:
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif node.module and node.level == 0:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for mod in modules:
            top = mod.split(".")[0]
            if top == "ctypes" or mod.startswith("_ctypes"):
                yield self._hit("native.ctypes", node, f"imports {mod}")
            elif top == "cffi":
                yield self._hit("native.cffi", node, f"imports {mod}")
            elif top in _PROCESS_MODULES:
                yield self._hit("process.use", node, f"imports {mod}")
            elif mod in _NETWORK_MODULES:
                yield self._hit("network.use", node, f"imports {mod}")

    def _call(self, call: ast.Call) -> Iterator[Hit]:
        fn = self._callee(call)
        first = call.args[0] if call.args else None
        if fn in _EXEC:
            if first is not None and _is_str_constant(first):
                yield self._hit("exec.literal", call, f"{fn}() of a literal string")
            elif first is not None:
                yield self._hit("exec.dynamic", call, f"{fn}() of code computed at run time")
            return
        if fn in _IMPORTERS or fn in _PATH_RUNNERS:
            if first is None or _is_str_constant(first):
                target = first.value if isinstance(first, ast.Constant) else None
                if isinstance(target, str):
                    yield from self._module_used(call, target)
                return
            if self._assembled(first):
                yield self._hit("import.obfuscated", call, f"{fn}() of a decoded/assembled name")
            else:
                yield self._hit("import.dynamic", call, f"{fn}() of a computed name")
            return
        if fn is None:
            yield from self._charcodes(call)
            return
        if fn in _MARSHAL:
            yield self._hit("deserialize.marshal", call, f"{fn}()")
        elif fn in _PICKLE_LOADS:
            if self._is_embedded(first):
                yield self._hit("deserialize.pickle_embedded", call, f"{fn}() of embedded data")
            else:
                yield self._hit("deserialize.pickle", call, f"{fn}()")
        elif fn in _DECODERS:
            value = self._literal(first)
            if value is not None and len(literal_text(value)) >= self.settings.blob_min_chars:
                if isinstance(first, ast.Constant):
                    self._flagged_literals.add(id(first))
                yield self._hit(
                    "obfuscation.decoded_payload",
                    call,
                    f"{fn}() of a {len(literal_text(value))}-character literal",
                )
        elif fn in _CODE_BUILDERS:
            yield self._hit("code.object", call, f"{fn}() builds a code object or function")
        elif _PROCESS_CALLS.match(fn):
            yield self._hit("process.use", call, f"{fn}()")
        elif fn in _NETWORK_CALLS or fn.startswith(("socket.", "urllib.request.")):
            yield self._hit("network.use", call, f"{fn}()")
        elif fn in ("getattr", "setattr", "hasattr") and len(call.args) >= 2:
            yield from self._getattr(call, fn)
        elif fn in _ENV_READERS and first is not None:
            yield from self._env(call, first)
        elif fn in _FS_CALLS and first is not None:
            yield from self._path(call, first)
        elif fn in _HOME_CALLS:
            yield self._hit("fs.outside", call, f"{fn}() reaches the home directory")
        elif fn.endswith(".replace") and any(k.arg == "co_code" for k in call.keywords):
            yield self._hit("code.object", call, "replaces a code object's bytecode")
        elif fn.startswith(("ctypes.", "cffi.")):
            rule = "native.ctypes" if fn.startswith("ctypes.") else "native.cffi"
            yield self._hit(rule, call, f"{fn}()")
        yield from self._charcodes(call)

    def _module_used(self, call: ast.Call, module: str) -> Iterator[Hit]:
        top = module.split(".")[0]
        if top == "ctypes":
            yield self._hit("native.ctypes", call, f"imports {module} dynamically")
        elif top == "cffi":
            yield self._hit("native.cffi", call, f"imports {module} dynamically")

    def _getattr(self, call: ast.Call, fn: str) -> Iterator[Hit]:
        base = self.resolve(call.args[0])
        if base is None:
            return
        name = call.args[1]
        top = base.split(".")[0]
        if top not in _SENSITIVE_MODULES and base != "builtins":
            return
        if _is_str_constant(name):
            if name.value in _DANGEROUS_NAMES:  # type: ignore[attr-defined]
                yield self._hit(
                    "obfuscation.hidden_call",
                    call,
                    f"{fn}({base}, {name.value!r})",  # type: ignore[attr-defined]
                )
        else:
            yield self._hit(
                "obfuscation.hidden_call", call, f"{fn}({base}, <computed name>) on {base}"
            )

    def _subscript(self, node: ast.Subscript) -> Iterator[Hit]:
        base = self.resolve(node.value)
        if base is None:
            return
        if base in ("builtins", "builtins.__dict__") or (
            base.endswith(".__dict__") and base.split(".")[0] in _SENSITIVE_MODULES
        ):
            key = node.slice
            if not _is_str_constant(key) or key.value in _DANGEROUS_NAMES:  # type: ignore[attr-defined]
                yield self._hit("obfuscation.hidden_call", node, f"lookup in {base}")
        elif base == "os.environ" and _is_str_constant(node.slice):
            yield from self._env_name(node, str(node.slice.value))  # type: ignore[attr-defined]

    def _attribute(self, node: ast.Attribute) -> Iterator[Hit]:
        if node.attr in _GADGET_ATTRS:
            yield self._hit("code.object", node, f"uses the introspection attribute {node.attr}")
        elif node.attr == "__code__" and isinstance(node.ctx, ast.Store):
            yield self._hit("code.object", node, "replaces a function's __code__")

    def _env(self, call: ast.Call, first: ast.expr) -> Iterator[Hit]:
        if _is_str_constant(first):
            yield from self._env_name(call, str(first.value))  # type: ignore[attr-defined]

    def _env_name(self, node: ast.AST, name: str) -> Iterator[Hit]:
        if _AWS_ENV.match(name):
            yield self._hit("credentials.access", node, f"reads ${name}")
        elif _SECRET_ENV.search(name):
            yield self._hit("credentials.secret_env", node, f"reads ${name}")

    def _path(self, call: ast.Call, first: ast.expr) -> Iterator[Hit]:
        value = self._literal(first)
        if not isinstance(value, str):
            return
        if _AWS_FILES.search(value):
            yield self._hit("credentials.access", call, f"opens {value}")
        elif value.startswith("~") or (
            value.startswith("/") and not value.startswith(_SAFE_ABSOLUTE)
        ):
            yield self._hit("fs.outside", call, f"uses the path {value}")

    def _charcodes(self, call: ast.Call) -> Iterator[Hit]:
        """Strings spelled as character codes: map(chr, ...), chr() comprehensions, chains."""
        fn = self._callee(call)
        if fn == "map" and call.args and self._callee_name(call.args[0]) == "chr":
            yield self._hit("obfuscation.charcodes", call, "map(chr, ...) builds a string")
            return
        if fn != "chr":
            return
        parent = self.parents.get(call)
        if isinstance(parent, ast.ListComp | ast.GeneratorExp) and parent.elt is call:
            yield self._hit("obfuscation.charcodes", call, "chr() in a comprehension")
            return
        top: ast.AST = call
        while isinstance(self.parents.get(top), ast.BinOp):
            top = self.parents[top]
        if top is call or id(top) in self._flagged_literals:
            return
        count = sum(
            1 for n in ast.walk(top) if isinstance(n, ast.Call) and self._callee(n) == "chr"
        )
        if count >= 4:
            self._flagged_literals.add(id(top))
            yield self._hit("obfuscation.charcodes", top, f"{count} chr() calls concatenated")

    def _callee_name(self, node: ast.AST) -> str | None:
        name = self.resolve(node)
        return name.removeprefix("builtins.") if name else None

    def _constant(self, node: ast.Constant) -> Iterator[Hit]:
        value = node.value
        text = literal_text(value)
        if _METADATA.search(text) and len(text) < 200:
            yield self._hit("credentials.access", node, "names the instance metadata endpoint")
        if id(node) in self._flagged_literals:
            return
        kind = blob_kind(value, self.settings.blob_min_chars)
        if kind:
            yield self._hit("obfuscation.blob", node, f"{len(text)}-character {kind} literal")
        elif is_high_entropy(value, self.settings.entropy_min_chars, self.settings.entropy_bits):
            yield self._hit("obfuscation.entropy", node, f"{len(text)}-character opaque literal")


def _is_str_constant(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)
