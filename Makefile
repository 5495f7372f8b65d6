# Two entry points (see README): `make evaluate` and `make test`.
# Both set up everything they need first (OS packages included).
.PHONY: setup evaluate test lint bench schemas config-example

setup:
	@./scripts/setup.sh

evaluate: setup
	.venv/bin/dfab evaluate examples/harness

test: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/python -m pytest -q

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench: setup
	.venv/bin/python -m bench

config-example: setup
	.venv/bin/dfab config --example > config.example.yaml

schemas: setup
	.venv/bin/dfab schemas --write docs/schemas
