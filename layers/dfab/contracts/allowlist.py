"""The harness runtime allowlist: third-party packages the sandbox image provides.

`sandbox_image/requirements.txt` pins exactly these (a test keeps the two in step);
a manifest's `dependencies` must name packages from this set.
"""

RUNTIME_ALLOWLIST: frozenset[str] = frozenset({"pytest", "pyyaml"})
