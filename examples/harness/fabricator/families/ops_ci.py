"""Infrastructure families: Docker build caching, CI workflows, compose start-up order."""

from __future__ import annotations

from typing import Any

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill
from fabricator.flows import Cmd, GenTask, generic_flow
from fabricator.vocab import domain, repo_name

# --------------------------------------------------------------------------- Dockerfile

_DOCKER_BEFORE = """FROM python:{{py}}
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["gunicorn", "-b", "0.0.0.0:8000", "{{pkg}}.wsgi:app"]
"""

_DOCKER_AFTER = """# syntax=docker/dockerfile:1
FROM python:{{py}}-slim

ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PIP_NO_CACHE_DIR=1 \\
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

# Application code last: editing it invalidates only the layers below.
COPY . .

RUN useradd --create-home --uid 10001 app
USER app
EXPOSE 8000
CMD ["gunicorn", "-b", "0.0.0.0:8000", "{{pkg}}.wsgi:app"]
"""

_DOCKERIGNORE = """.git
.venv
__pycache__/
*.pyc
.pytest_cache/
.env
tests/
docs/
*.log
"""


def _step(label: str, seconds: float) -> str:
    """One line of BuildKit's plain progress output."""
    return f" => {label:<66}{seconds:>5.1f}s"


def dockerfile(ctx: Ctx) -> Draft:
    d = domain(ctx)
    py = ctx.pick(("3.11", "3.12"))
    repo = repo_name(ctx, d)
    v = dict(py=py, pkg=d.pkg)
    slow = ctx.rng.randint(70, 240)
    size_before = ctx.rng.randint(1100, 1400)
    size_after = ctx.rng.randint(180, 260)
    before = Cmd(
        f"docker build -t {repo}:dev . 2>&1 | tail -n 7",
        "\n".join(
            [
                _step("[2/4] WORKDIR /app", 0.1),
                _step("[3/4] COPY . .", ctx.rng.uniform(1, 9)),
                _step("[4/4] RUN pip install -r requirements.txt", slow - 6),
                _step("exporting to image", 4.2),
                _step("=> exporting layers", 4.1),
                _step(f"=> naming to docker.io/library/{repo}:dev", 0.0),
                f"Total build time: {slow}s (context: {ctx.rng.randint(300, 900)}MB)",
            ]
        ),
    )
    after = Cmd(
        f"touch {d.pkg}/views.py && docker build -t {repo}:dev . 2>&1 | tail -n 7 && "
        f"docker images {repo}:dev --format '{{{{.Size}}}}'",
        "\n".join(
            [
                _step("CACHED [3/6] COPY requirements.txt .", 0.0),
                _step("CACHED [4/6] RUN pip install -r requirements.txt", 0.0),
                _step("[5/6] COPY . .", ctx.rng.uniform(0.1, 0.9)),
                _step("[6/6] RUN useradd --create-home --uid 10001 app", 0.4),
                _step("exporting to image", 0.3),
                _step(f"=> naming to docker.io/library/{repo}:dev", 0.0),
                f"Total build time: {ctx.rng.randint(2, 6)}s (context: {ctx.rng.randint(2, 9)}MB)",
                f"{size_after}MB",
            ]
        ),
    )
    return generic_flow(
        ctx,
        GenTask(
            family="docker_layer_cache",
            variant=f"python{py}",
            category="devops",
            language="dockerfile",
            difficulty="easy",
            summary="Reorder Dockerfile for layer caching, add .dockerignore",
            repo=repo,
            files={
                "Dockerfile": fill(_DOCKER_BEFORE, **v),
                "requirements.txt": "flask==3.0.3\ngunicorn==22.0.0\npsycopg[binary]==3.1.19\n",
                f"{d.pkg}/wsgi.py": f"from {d.pkg}.app import create_app\n\napp = create_app()\n",
            },
            changes=[("Dockerfile", fill(_DOCKER_AFTER, **v)), (".dockerignore", _DOCKERIGNORE)],
            user=(
                f"Every `docker build` of {repo} takes ~{slow // 60 + 1} minutes, even for a "
                f"one-line change, and the image is {size_before}MB. Can you make the "
                "Dockerfile build faster and the image smaller? It also runs as root, which "
                "security flagged."
            ),
            diagnosis=(
                "`COPY . .` comes before `pip install`, so any source change invalidates the "
                "dependency layer and reinstalls everything. There's also no .dockerignore, "
                "so `.git`, virtualenvs and caches go into the build context (hundreds of "
                "MB). Fix: copy requirements.txt alone, install, then copy the code; use the "
                "slim base; add a .dockerignore; create and switch to a non-root user."
            ),
            explanation=(
                "- **Layer order:** `requirements.txt` is copied and installed before the "
                "application code, so code edits reuse the cached dependency layer (see "
                "`CACHED` above).\n- **Smaller context and image:** a `.dockerignore` keeps "
                "`.git`, virtualenvs, caches and tests out of the build context, and the "
                f"`-slim` base plus `PIP_NO_CACHE_DIR` bring the image to ~{size_after}MB.\n"
                "- **Non-root:** the app runs as an unprivileged `app` user (uid 10001)."
            ),
            fence_lang="dockerfile",
            reads=("Dockerfile",),
            reproduce=before,
            verify=(after,),
            show=("Dockerfile", ".dockerignore"),
        ),
    )


# --------------------------------------------------------------------------- GitHub Actions

_CI_BEFORE = """name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
{{setup_old}}
{{steps}}
"""

_CI_AFTER = """name: ci
on:
  pull_request:
  push:
    branches: [main]

concurrency:
  group: ci-${{ github.workflow }}-${{ github.ref }}
  cancel-in-progress: true

jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 15
    strategy:
      fail-fast: false
      matrix:
        {{key}}: [{{versions}}]
    steps:
      - uses: actions/checkout@v4
{{setup_new}}
{{steps}}
"""

_ECOSYSTEMS: dict[str, dict[str, Any]] = {
    "python": {
        "key": "python-version",
        "versions": (("3.11", "3.12"), ("3.11", "3.12", "3.13"), ("3.10", "3.11", "3.12")),
        "setup_old": "      - uses: actions/setup-python@v5\n        with:\n"
        '          python-version: "{{v0}}"',
        "setup_new": "      - uses: actions/setup-python@v5\n        with:\n"
        "          python-version: ${{ matrix.python-version }}\n          cache: pip\n"
        "          cache-dependency-path: requirements-dev.txt",
        "steps": "      - run: pip install -r requirements-dev.txt\n      - run: pytest -q",
        "files": {
            "requirements-dev.txt": "-r requirements.txt\npytest==8.3.4\nruff==0.6.9\n",
            "requirements.txt": "httpx==0.27.2\npydantic==2.9.2\n",
        },
        "cache": "pip downloads keyed on `requirements-dev.txt`",
        "name": "Python",
    },
    "node": {
        "key": "node-version",
        "versions": (("18", "20"), ("20", "22"), ("18", "20", "22")),
        "setup_old": "      - uses: actions/setup-node@v4\n        with:\n"
        '          node-version: "{{v0}}"',
        "setup_new": "      - uses: actions/setup-node@v4\n        with:\n"
        "          node-version: ${{ matrix.node-version }}\n          cache: npm",
        "steps": "      - run: npm ci\n      - run: npm test",
        "files": {
            "package.json": '{\n  "name": "app",\n  "private": true,\n  "scripts": '
            '{ "test": "vitest run" },\n  "devDependencies": { "vitest": "^1.6.0" }\n}\n',
            "package-lock.json": '{\n  "name": "app",\n  "lockfileVersion": 3\n}\n',
        },
        "cache": "the npm cache keyed on `package-lock.json`",
        "name": "Node",
    },
}


def github_actions(ctx: Ctx) -> Draft:
    d = domain(ctx)
    repo = repo_name(ctx, d)
    eco_name = ctx.pick(tuple(_ECOSYSTEMS))
    eco = _ECOSYSTEMS[eco_name]
    versions: tuple[str, ...] = ctx.pick(eco["versions"])
    vlist = ", ".join(f'"{v}"' for v in versions)
    path = ".github/workflows/ci.yml"
    old = fill(
        _CI_BEFORE, setup_old=fill(str(eco["setup_old"]), v0=versions[0]), steps=eco["steps"]
    )
    new = (
        _CI_AFTER.replace("{{key}}", str(eco["key"]))
        .replace("{{versions}}", vlist)
        .replace("{{setup_new}}", str(eco["setup_new"]))
        .replace("{{steps}}", str(eco["steps"]))
    )
    label = f"{eco['name']} {', '.join(versions)}"
    return generic_flow(
        ctx,
        GenTask(
            family="gha_matrix",
            variant=f"{eco_name}-" + "-".join(versions),
            category="devops",
            language="yaml",
            difficulty="easy",
            summary=f"Add a {eco['name']} version matrix, caching and concurrency to CI",
            repo=repo,
            files={path: old, **eco["files"]},
            changes=[(path, new)],
            user=(
                f"Our CI for {repo} only tests {eco['name']} {versions[0]}, but we deploy on "
                f"{versions[-1]}. It also reinstalls everything on each run, and every push to "
                "every branch triggers a run, even superseded ones. Can you improve "
                f"`{path}`?"
            ),
            diagnosis=(
                "Changes: a `strategy.matrix` over the versions with `fail-fast: false` (so "
                "one failing version doesn't hide the others); the setup action's built-in "
                "dependency cache; trigger on pull requests and pushes to main only; a "
                "`concurrency` group with `cancel-in-progress` so a new push cancels the "
                "outdated run; and a job timeout."
            ),
            explanation=(
                f"- Tests now run on {label} via a matrix, with `fail-fast: false` so every "
                f"version reports.\n- The setup action caches {eco['cache']}.\n- Runs "
                "trigger on pull requests and on pushes to `main`, and the `concurrency` group "
                "cancels superseded runs of the same ref.\n- A 15-minute `timeout-minutes` "
                "stops hung jobs from burning runner time."
            ),
            fence_lang="yaml",
            reads=(path,),
            symbol=str(eco["key"]),
            search_suffix=".yml",
            verify=(Cmd(f"actionlint {path}", ""),),
        ),
    )


# --------------------------------------------------------------------------- compose

_COMPOSE_BEFORE = """services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: {{pkg}}
      POSTGRES_PASSWORD: {{pkg}}
      POSTGRES_DB: {{pkg}}
    volumes:
      - pgdata:/var/lib/postgresql/data

  api:
    build: .
    environment:
      DATABASE_URL: postgresql://{{pkg}}:{{pkg}}@db:5432/{{pkg}}
    ports:
      - "{{port}}:8000"
    depends_on:
      - db

volumes:
  pgdata:
"""

_COMPOSE_AFTER = """services:
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: {{pkg}}
      POSTGRES_PASSWORD: {{pkg}}
      POSTGRES_DB: {{pkg}}
    volumes:
      - pgdata:/var/lib/postgresql/data
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U {{pkg}} -d {{pkg}}"]
      interval: 2s
      timeout: 3s
      retries: 15

  api:
    build: .
    environment:
      DATABASE_URL: postgresql://{{pkg}}:{{pkg}}@db:5432/{{pkg}}
    ports:
      - "{{port}}:8000"
    depends_on:
      db:
        condition: service_healthy
    restart: on-failure

volumes:
  pgdata:
"""


def compose_healthcheck(ctx: Ctx) -> Draft:
    d = domain(ctx)
    port = ctx.pick((8000, 8080, 5000))
    repo = repo_name(ctx, d)
    v = dict(pkg=d.pkg, port=port)
    logs = Cmd(
        "docker compose up -d && sleep 3 && docker compose logs api | tail -n 4",
        "api-1  | psycopg.OperationalError: connection failed: connection to server at "
        '"172.18.0.2", port 5432 failed: Connection refused\n'
        "api-1  | \tIs the server running on that host and accepting TCP/IP connections?\n"
        "api-1  | [ERROR] Worker (pid:8) exited with code 3\n"
        "api-1  | [ERROR] Shutting down: Master",
    )
    ps = Cmd(
        "docker compose down && docker compose up -d --wait && docker compose ps "
        "--format 'table {{.Service}}\\t{{.Status}}'",
        f"SERVICE   STATUS\napi       Up {ctx.rng.randint(2, 9)} seconds\n"
        f"db        Up {ctx.rng.randint(10, 19)} seconds (healthy)",
    )
    return generic_flow(
        ctx,
        GenTask(
            family="compose_healthcheck",
            variant=f"port{port}",
            category="devops",
            language="yaml",
            difficulty="easy",
            summary="Wait for Postgres to be healthy before starting the API",
            repo=repo,
            files={"compose.yaml": fill(_COMPOSE_BEFORE, **v)},
            changes=[("compose.yaml", fill(_COMPOSE_AFTER, **v))],
            user=(
                f"After `docker compose up` on a fresh checkout of {repo}, the api container "
                "dies with 'connection refused' and we have to start it again by hand. "
                "`depends_on: db` is already there. What's going on?"
            ),
            diagnosis=(
                "`depends_on` with a plain list only orders container *start*: the api "
                "starts as soon as the db container exists, while Postgres is still "
                "initialising (on a fresh volume that takes seconds). Add a `pg_isready` "
                "healthcheck to db and `condition: service_healthy` on the dependency; a "
                "`restart: on-failure` also covers a later db restart."
            ),
            explanation=(
                "`depends_on: [db]` only waits for the db *container* to start, not for "
                "Postgres to accept connections, and on a fresh volume initialisation takes a "
                "few seconds, so the api's first connection was refused. The db service now "
                "has a `pg_isready` healthcheck and the api depends on it with `condition: "
                "service_healthy`, so Compose starts the api only once the database is "
                "ready. `restart: on-failure` makes it recover if the database restarts later."
            ),
            fence_lang="yaml",
            reads=("compose.yaml",),
            reproduce=logs,
            verify=(ps,),
        ),
    )


FAMILIES = [
    Family("docker_layer_cache", "dockerfile", 1, dockerfile),
    Family("gha_matrix", "yaml", 1, github_actions),
    Family("compose_healthcheck", "yaml", 1, compose_healthcheck),
]
