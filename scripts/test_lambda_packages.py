"""Run the analysis tests against the package versions the pipeline image deploys.

The dev venv takes the newest pyarrow/numpy/scipy; the pipeline image is capped to
manylinux2014 wheels (pyarrow < 21, numpy < 2.3, scipy < 1.17: see
functions/pipeline-requirements.txt). This installs the image's requirements for the Lambda
platform (scripts/lambda_packages.py) and runs the tests that exercise them (Parquet,
scoring, originality, a whole local evaluation) with those packages first on the path, so
a deployed function never runs an API its tests only saw in a newer release. Part of
`make test`.
"""

from __future__ import annotations

import os
import subprocess
import sys

from lambda_packages import IMAGE_REQUIREMENTS, ROOT, install

TESTS = [
    "tests/unit/test_parquet.py",
    "tests/unit/test_originality.py",
    "tests/unit/test_scoring_aggregate.py",
    "tests/unit/test_signals_diversity.py",
    "tests/unit/test_signals_quality.py",
    "tests/unit/test_signals_rescore.py",
    "tests/integration/test_aggregate_retry.py",
    "tests/e2e/test_evaluate_local.py",
]

CHECK = (
    "import sys, pyarrow, numpy, scipy, datasketch\n"
    "for m in (pyarrow, numpy, scipy, datasketch):\n"
    "    assert m.__file__.startswith(sys.argv[1]), m.__file__\n"
    "print('pipeline image packages: pyarrow', pyarrow.__version__, 'numpy', numpy.__version__,"
    " 'scipy', scipy.__version__)\n"
)


def main() -> int:
    packages = install("image", IMAGE_REQUIREMENTS)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(packages), str(ROOT / "layers")])}
    subprocess.run([sys.executable, "-c", CHECK, str(packages)], env=env, check=True)
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS]
    return subprocess.run(pytest, env=env, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
