"""Scenario classes: a broken script, what the user sees, and the repaired script."""

import random

_REGISTRY = []


def scenario(cls):
    _REGISTRY.append(cls)
    return cls


def registered():
    return list(_REGISTRY)


class Scenario:
    title = ""
    difficulty = "easy"

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.name = rng.choice(["backup", "deploy", "rotate_logs", "sync_assets", "cleanup"])
        self.dir = rng.choice(["/srv/app", "/var/data", "$HOME/projects"])
        self.setup()

    def setup(self):
        pass

    def broken(self):
        raise NotImplementedError

    def fixed(self):
        raise NotImplementedError

    def symptom(self):
        raise NotImplementedError

    def lesson(self):
        raise NotImplementedError

    def path(self):
        return f"scripts/{self.name}.sh"


@scenario
class UnquotedVariable(Scenario):
    title = "word splitting on unquoted variables"

    def setup(self):
        self.file = self.rng.choice(["My Report.pdf", "Q3 summary.txt", "client notes.md"])

    def broken(self):
        return f'#!/bin/sh\nsrc="{self.file}"\ncp $src {self.dir}/\n'

    def fixed(self):
        return f'#!/bin/sh\nsrc="{self.file}"\ncp -- "$src" "{self.dir}/"\n'

    def symptom(self):
        first = self.file.split()[0]
        return f"cp: cannot stat '{first}': No such file or directory"

    def lesson(self):
        return "Unquoted expansions are split on whitespace; quote every variable expansion."


@scenario
class MissingErrexit(Scenario):
    title = "script continues after a failing command"
    difficulty = "medium"

    def setup(self):
        self.step = self.rng.choice(["make build", "npm run build", "cargo build --release"])

    def broken(self):
        return (
            f"#!/bin/bash\ncd {self.dir}\n{self.step}\nrsync -a dist/ prod:/srv/www/\necho done\n"
        )

    def fixed(self):
        return (
            f"#!/bin/bash\nset -euo pipefail\ncd {self.dir}\n{self.step}\n"
            "rsync -a dist/ prod:/srv/www/\necho done\n"
        )

    def symptom(self):
        return f"`{self.step}` failed but the script still synced an empty dist/ and printed done"

    def lesson(self):
        return (
            "Without `set -e` bash ignores failures; `set -euo pipefail` stops at the first error."
        )


@scenario
class PipelineStatus(Scenario):
    title = "exit status of a pipeline"
    difficulty = "medium"

    def setup(self):
        self.pattern = self.rng.choice(["ERROR", "FATAL", "panic"])

    def broken(self):
        return (
            f"#!/bin/bash\nset -e\ngrep {self.pattern} app.log | tee errors.txt\necho 'no errors'\n"
        )

    def fixed(self):
        return (
            f"#!/bin/bash\nset -eo pipefail\n"
            f"if grep {self.pattern} app.log | tee errors.txt; then\n"
            "  echo 'errors found' >&2\n  exit 1\nfi\necho 'no errors'\n"
        )

    def symptom(self):
        return f"the script prints 'no errors' even when app.log contains {self.pattern} lines"

    def lesson(self):
        return "A pipeline's status is the last command's; with pipefail the first failure wins."


@scenario
class LoopOverLs(Scenario):
    title = "looping over ls output"
    difficulty = "hard"

    def broken(self):
        return f"#!/bin/bash\nfor f in $(ls {self.dir}/*.log); do\n  gzip $f\ndone\n"

    def fixed(self):
        return (
            f'#!/bin/bash\nshopt -s nullglob\nfor f in "{self.dir}"/*.log; do\n'
            '  gzip -- "$f"\ndone\n'
        )

    def symptom(self):
        return "files with spaces are skipped and an empty directory produces a gzip error"

    def lesson(self):
        return "Iterate over a glob directly instead of parsing ls; nullglob handles no matches."
