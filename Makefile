# Two entry points (see README): `make evaluate` and `make test`.
# Both set up everything they need first (OS packages included).
.PHONY: setup evaluate test lint bench schemas config-example package-sizes

setup:
	@./scripts/setup.sh

evaluate: setup
	.venv/bin/dfab evaluate examples/harness

test: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/python -m pytest -q
	.venv/bin/python scripts/test_lambda_packages.py

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench: setup
	.venv/bin/python -m bench

# Unzipped sizes of CoreLayer and the pipeline image's packages for the Lambda platform
# (downloads manylinux2014 wheels from PyPI; see docs/validator/deploy.md).
package-sizes: setup
	.venv/bin/python scripts/lambda_package_sizes.py

config-example: setup
	.venv/bin/dfab config --example > config.example.yaml

schemas: setup
	.venv/bin/dfab schemas --write docs/schemas
