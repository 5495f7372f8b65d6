"""Shell families: quoting bugs, cron clean-up scripts, pipelines that hide failures."""

from __future__ import annotations

from fabricator.convo import Ctx, Draft
from fabricator.families import Family
from fabricator.families._common import fill
from fabricator.flows import Cmd, GenTask, generic_flow
from fabricator.vocab import domain, repo_name

# --------------------------------------------------------------------------- quoting

_BACKUP_BUGGY = """#!/bin/bash
# Nightly backup of {{what}} to {{dest}}.
SRC=$1
DEST={{dest}}
STAMP=$(date +%Y%m%d)
NAME=$(basename $SRC)

mkdir -p $DEST
tar -czf $DEST/$NAME-$STAMP.tar.gz $SRC
echo "backup written to $DEST/$NAME-$STAMP.tar.gz"
"""

_BACKUP = """#!/usr/bin/env bash
# Nightly backup of {{what}} to {{dest}}.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 SOURCE_DIR" >&2
  exit 2
fi

src=$1
dest={{dest}}
stamp=$(date +%Y%m%d)
name=$(basename -- "$src")
archive="$dest/$name-$stamp.tar.gz"

mkdir -p -- "$dest"
tar -czf "$archive" -C "$(dirname -- "$src")" -- "$name"
echo "backup written to $archive"
"""


def shell_quoting(ctx: Ctx) -> Draft:
    d = domain(ctx)
    what = ctx.pick((f"{d.entity} attachments", "uploaded documents", "report exports"))
    dest = f"/var/backups/{d.pkg}"
    folder = ctx.pick(("Client Files", "Q3 Reports", "Scans 2024", "Shared Docs"))
    first, second = folder.split(" ", 1)
    src = f"/srv/{d.pkg}/{folder}"
    stamp = f"2025{ctx.rng.randint(1, 12):02d}{ctx.rng.randint(1, 28):02d}"
    path = "scripts/backup.sh"
    repo = repo_name(ctx, d)
    buggy = fill(_BACKUP_BUGGY, what=what, dest=dest)
    fixed = fill(_BACKUP, what=what, dest=dest)
    run = Cmd(
        f'bash {path} "{src}"; echo "exit=$?"',
        "tar: Removing leading `/' from member names\n"
        f"tar: /srv/{d.pkg}/{first}: Cannot stat: No such file or directory\n"
        f"tar: {second}: Cannot stat: No such file or directory\n"
        "tar: Exiting with failure status due to previous errors\n"
        f"backup written to {dest}/{first}-{stamp}.tar.gz\nexit=0",
    )
    lint_lines = [
        (6, "NAME=$(basename $SRC)", "                ^--^"),
        (8, "mkdir -p $DEST", "         ^---^"),
        (9, "tar -czf $DEST/$NAME-$STAMP.tar.gz $SRC", "         ^---^ ^---^ ^----^        ^--^"),
    ]
    lint = "\n\n".join(
        f"In {path} line {n}:\n{code}\n{marks} SC2086 (info): Double quote to prevent globbing "
        "and word splitting."
        for n, code, marks in lint_lines
    )
    lint += (
        "\n\nFor more information:\n  https://www.shellcheck.net/wiki/SC2086 -- Double quote "
        "to prevent globbing ..."
    )
    ok = Cmd(
        f'bash {path} "{src}" && tar -tzf "{dest}/{folder}-{stamp}.tar.gz" | head -3',
        f"backup written to {dest}/{folder}-{stamp}.tar.gz\n{folder}/\n"
        f"{folder}/{d.entity}-{ctx.rng.randint(1000, 9999)}.pdf\n{folder}/index.csv",
    )
    return generic_flow(
        ctx,
        GenTask(
            family="sh_quoting",
            variant=folder.replace(" ", "_").lower(),
            category="bug_fix",
            language=["bash", "shell"],
            difficulty="easy",
            summary="Quote variables in the backup script and fail on errors",
            repo=repo,
            files={
                path: buggy,
                "deploy/crontab": f"30 2 * * * /opt/{repo}/{path} '{src}'\n",
                "README.md": f"# {repo}\n\nOps scripts for {d.pkg}.\n",
            },
            changes=[(path, fixed)],
            user=(
                f"Backups of `{src}` have been broken for a week and nobody noticed: the cron "
                f"job reports success but the archive is tiny. Script: `{path}`."
            ),
            diagnosis=(
                "Every expansion is unquoted, so the path with a space is split into two "
                f"words: `basename /srv/{d.pkg}/{first} {second}` treats `{second}` as a suffix "
                f"and yields `{first}`, and tar gets two nonexistent paths. Without `set -e` the "
                "script carries on and prints the success line, exiting 0, which is why cron "
                "never complained. Quote everything, enable strict mode, and archive relative "
                "to the parent dir (`-C`) so the tarball has clean member names."
            ),
            explanation=(
                "Two problems: unquoted expansions split the folder name at the space (so "
                "tar was asked to archive two paths that don't exist), and the script had no "
                "error handling, so tar's failure was followed by a success message and exit "
                "code 0. The script now quotes every expansion, runs with `set -euo pipefail` "
                "(a failing tar aborts with a non-zero status cron will report), validates its "
                "argument, and archives via `-C parent -- name` so member paths are relative."
            ),
            fence_lang="bash",
            reads=(path,),
            symbol="tar -czf",
            search_suffix=".sh",
            reproduce=run if ctx.chance(0.6) else Cmd(f"shellcheck {path}", lint, 1),
            verify=(Cmd(f"shellcheck {path}", ""), ok),
        ),
    )


# --------------------------------------------------------------------------- log pruning

_PRUNE = """#!/usr/bin/env bash
# Delete *.log files older than N days under DIR. Dry run unless --apply is given.
set -euo pipefail

usage() {
  echo "usage: $0 [--apply] [--days N] DIR" >&2
  exit 2
}

apply=false
days={{days}}
while [[ $# -gt 0 ]]; do
  case $1 in
    --apply) apply=true ;;
    --days)
      [[ $# -ge 2 ]] || usage
      days=$2
      shift
      ;;
    -*) usage ;;
    *) break ;;
  esac
  shift
done
[[ $# -eq 1 ]] || usage
dir=$1
[[ -d $dir ]] || { echo "not a directory: $dir" >&2; exit 2; }
[[ $days =~ ^[0-9]+$ ]] || { echo "--days must be a whole number" >&2; exit 2; }

if $apply; then
  find "$dir" -type f -name '*.log' -mtime +"$days" -print -delete
else
  find "$dir" -type f -name '*.log' -mtime +"$days" -print | sed 's/^/would delete: /'
fi
"""


def log_prune(ctx: Ctx) -> Draft:
    d = domain(ctx)
    service = f"{d.pkg}-{ctx.pick(('api', 'worker', 'gateway'))}"
    days = ctx.pick((7, 14, 30))
    logdir = f"/var/log/{service}"
    path = "scripts/prune-logs.sh"
    repo = repo_name(ctx, d)
    old = [f"{service}.{2024}-{m:02d}-{dd:02d}.log" for m, dd in ((11, 3), (11, 17), (12, 1))]
    old.append(f"archive/{service} (copy).log")
    df = Cmd(
        f"df -h /var/log && du -sh {logdir}",
        "Filesystem      Size  Used Avail Use% Mounted on\n"
        f"/dev/nvme0n1p1   40G   39G  1.0G  98% /\n{ctx.rng.randint(24, 36)}G\t{logdir}",
    )
    dry = Cmd(
        f"bash {path} --days {days} {logdir}",
        "\n".join(f"would delete: {logdir}/{name}" for name in old),
    )
    cron_old = f"*/5 * * * * /opt/{repo}/scripts/healthcheck.sh\n"
    cron_new = cron_old + f"15 3 * * * /opt/{repo}/{path} --apply --days {days} {logdir}\n"
    return generic_flow(
        ctx,
        GenTask(
            family="sh_log_prune",
            variant=f"days{days}",
            category="devops",
            language=["bash", "shell"],
            difficulty="medium",
            summary=f"Add a cron-safe log pruning script for {service}",
            repo=repo,
            files={
                "deploy/crontab": cron_old,
                "scripts/healthcheck.sh": "#!/usr/bin/env bash\nset -euo pipefail\n"
                "curl -fsS http://localhost:8080/health > /dev/null\n",
                "README.md": f"# {repo}\n\nDeployment and ops scripts for {service}.\n",
            },
            changes=[(path, fill(_PRUNE, days=days)), ("deploy/crontab", cron_new)],
            user=(
                f"The disk on the {service} host keeps filling up with logs. Can you add a "
                f"script we can run from cron: delete `*.log` files older than N days (default "
                f"{days}) under a directory, dry-run by default with an `--apply` flag, and "
                "safe with odd file names (we have some with spaces)? Hook it into our "
                "crontab at 03:15."
            ),
            diagnosis=(
                "Plan: use `find -type f -name '*.log' -mtime +N`, which handles any file "
                "name without word-splitting (no `ls | xargs`). `-delete` only with `--apply`; "
                "otherwise print what would go. Strict mode, argument validation (numeric "
                "days, existing dir), and a usage message with exit code 2. Then add the cron "
                "entry with `--apply`."
            ),
            explanation=(
                f"Added `{path}`:\n\n- dry run by default (`would delete: ...`), `--apply` "
                f"actually deletes, `--days N` (default {days});\n- uses `find ... -mtime "
                "+N -delete`, so names with spaces or newlines are safe and nothing goes "
                "through word splitting;\n- `set -euo pipefail`, validates that DIR exists "
                "and N is a whole number, exits 2 with a usage line otherwise.\n\nThe crontab "
                "now runs it daily at 03:15 with `--apply`. Note `-mtime +N` means *more* than "
                "N full days old."
            ),
            fence_lang="bash",
            reads=("deploy/crontab",),
            reproduce=df,
            verify=(Cmd(f"shellcheck {path}", ""), dry),
            show=(path, "deploy/crontab"),
        ),
    )


# --------------------------------------------------------------------------- pipefail

_EXPORT_BUGGY = """#!/usr/bin/env bash
set -e
mkdir -p exports
{{dump}} | gzip > "exports/{{table}}-$(date +%F).{{ext}}.gz"
echo "export ok"
"""

_EXPORT = """#!/usr/bin/env bash
set -euo pipefail
mkdir -p exports
out="exports/{{table}}-$(date +%F).{{ext}}.gz"
tmp="$out.partial"
trap 'rm -f -- "$tmp"' EXIT

# With pipefail, a failing {{tool}} fails the whole pipeline even though gzip succeeds.
{{dump}} | gzip > "$tmp"
mv -- "$tmp" "$out"
echo "export ok: $out"
"""

_DUMPS = {
    "postgres": (
        "pg_dump",
        'pg_dump --table={{table}} "$DATABASE_URL"',
        "sql",
        'pg_dump: error: connection to server at "{{host}}" (10.0.4.17), port 5432 failed: '
        "Connection refused\n\tIs the server running on that host and accepting TCP/IP "
        "connections?",
    ),
    "mysql": (
        "mysqldump",
        'mysqldump --single-transaction "$DB_NAME" {{table}}',
        "sql",
        "mysqldump: Got error: 2002: Can't connect to MySQL server on '{{host}}:3306' (111) "
        "when trying to connect",
    ),
    "api": (
        "curl",
        'curl -fsS "$EXPORT_API/{{table}}?format=ndjson"',
        "ndjson",
        "curl: (22) The requested URL returned error: 503",
    ),
}


def pipefail(ctx: Ctx) -> Draft:
    d = domain(ctx)
    table = d.plural
    path = "scripts/export.sh"
    repo = repo_name(ctx, d)
    date = f"2025-{ctx.rng.randint(1, 12):02d}-{ctx.rng.randint(10, 28):02d}"
    host = ctx.pick(("db", "warehouse-db", "10.0.4.17"))
    source = ctx.pick(tuple(_DUMPS))
    tool, dump, ext, err_tpl = _DUMPS[source]
    v = dict(table=table, dump=fill(dump, table=table), ext=ext, tool=tool)
    err = fill(err_tpl, host=host)
    clock = f"0{ctx.rng.randint(1, 4)}:{ctx.rng.randint(0, 59):02d}"
    rep = Cmd(
        f'bash {path}; echo "exit=$?"; ls -l exports/',
        f"{err}\nexport ok\nexit=0\ntotal 4\n-rw-r--r-- 1 ci ci 20 {date[5:]} {clock} "
        f"{table}-{date}.{ext}.gz",
    )
    after = Cmd(f'bash {path}; echo "exit=$?"; ls exports/', f"{err}\nexit=1")
    return generic_flow(
        ctx,
        GenTask(
            family="sh_pipefail",
            variant=source,
            category="debugging",
            language=["bash", "shell"],
            difficulty="medium",
            summary=f"Make the export script fail when {tool} fails",
            repo=repo,
            files={
                path: fill(_EXPORT_BUGGY, **v),
                ".github/workflows/export.yml": "name: nightly export\non:\n  schedule:\n"
                "    - cron: '0 2 * * *'\njobs:\n  export:\n    runs-on: ubuntu-latest\n"
                f"    steps:\n      - uses: actions/checkout@v4\n      - run: bash {path}\n",
            },
            changes=[(path, fill(_EXPORT, **v))],
            user=ctx.pick(
                (
                    f"Our nightly {table} export job is green every night, but last night's "
                    "file is 20 bytes and restoring it gives nothing. The script has `set -e`, "
                    f"so how can it succeed? `{path}`",
                    f"Why does `{path}` report `export ok` when the {tool} step clearly failed "
                    "(it's in the CI log)? We only noticed because the archive was empty.",
                )
            ),
            diagnosis=(
                "`set -e` looks at the exit status of the *pipeline*, which by default is "
                f"the status of its last command. `{tool}` fails, but `gzip` happily "
                "compresses the empty input and exits 0, so the pipeline succeeds, the "
                "script prints `export ok`, and a 20-byte empty gzip is left behind. Needs "
                "`set -o pipefail`, plus writing to a temp file and renaming on success so a "
                "failed run never leaves a file that looks like a valid export."
            ),
            explanation=(
                f"A pipeline's exit status is that of its last command, so `{tool} ... | "
                f"gzip` succeeded whenever gzip did, even when {tool} failed; `set -e` never "
                "fired and the job stayed green. The script now uses `set -euo pipefail`, "
                "writes to `*.partial` and only renames it on success (a trap removes the "
                "partial file on failure), so a failed export fails the CI job and leaves no "
                "misleading archive behind."
            ),
            fence_lang="bash",
            reads=(path,),
            reproduce=rep,
            verify=(after,),
        ),
    )


FAMILIES = [
    Family("sh_quoting", "bash", 1, shell_quoting),
    Family("sh_log_prune", "bash", 1, log_prune),
    Family("sh_pipefail", "bash", 1, pipefail),
]
