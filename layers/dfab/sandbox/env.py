"""The environment a harness sees: an explicit allowlist, never the caller's environment."""

from __future__ import annotations

from collections.abc import Mapping

#: Names a run may add on top of the base environment (the runtime contract's variables).
ALLOWED_EXTRA = frozenset({"DF_OUTPUT_PATH", "DF_NUM_CONVERSATIONS", "DF_SEED", "DF_WORK_DIR"})


def harness_env(bin_dir: str, home: str, extra: Mapping[str, str]) -> dict[str, str]:
    """Base variables plus the contract's; anything else in `extra` is refused.

    `PYTHONHASHSEED=0` makes set/dict-of-str iteration order reproducible, which the
    contract's "same seed, same dataset" rule needs.
    """
    unknown = sorted(set(extra) - ALLOWED_EXTRA)
    if unknown:
        raise ValueError(f"variables {unknown} are not allowed in a sandboxed environment")
    env = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "USER": "sandbox",
        "LOGNAME": "sandbox",
        "PYTHONHASHSEED": "0",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra)
    return env
