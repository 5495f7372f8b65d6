"""Install a requirements file the way the Lambda python3.11 platform gets it.

manylinux2014 x86_64 wheels for CPython 3.11, what `sam build` puts in CoreLayer and what
pip takes in the Amazon Linux 2 pipeline image; never an sdist. Installs are cached under
.lambda-packages/ (git-ignored), keyed by the requirements files' contents.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".lambda-packages"
LAYER_REQUIREMENTS = ROOT / "layers" / "requirements.txt"
IMAGE_REQUIREMENTS = ROOT / "functions" / "pipeline-requirements.txt"
PLATFORM = ["--platform", "manylinux2014_x86_64", "--python-version", "3.11"]
PLATFORM += ["--implementation", "cp", "--only-binary=:all:"]


def install(name: str, requirements: Path) -> Path:
    """The folder holding `requirements` installed for Lambda (reused when unchanged)."""
    key = hashlib.sha256()
    for path in (requirements, LAYER_REQUIREMENTS):  # the image's file includes the layer's
        key.update(path.read_bytes())
    target = CACHE / f"{name}-{key.hexdigest()[:16]}"
    if (target / ".complete").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-warn-conflicts", "--target", str(target), *PLATFORM, "-r", str(requirements)],
        check=True,
    )  # fmt: skip
    (target / ".complete").touch()
    return target
