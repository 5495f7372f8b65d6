"""Load the Lambda handlers that template.yaml deploys, from their own folders."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dfab.local.template import FunctionSpec

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalLambdaContext:
    """The attributes Powertools reads from a real Lambda context."""

    function_name: str
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = ""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = "local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def load_handler(spec: FunctionSpec) -> Handler:
    """Import `<CodeUri>/<module>.py` under a unique name and return its handler."""
    module_name, func_name = spec.handler.rsplit(".", 1)
    path = spec.code_dir / f"{module_name.replace('.', '/')}.py"
    mod_spec = importlib.util.spec_from_file_location(f"dfab_fn_{spec.logical_id}", path)
    if mod_spec is None or mod_spec.loader is None:
        raise ImportError(f"cannot load handler {spec.handler} of {spec.logical_id} from {path}")
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return getattr(module, func_name)
