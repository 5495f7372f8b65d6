"""Phrase banks and small text helpers shared by the flows.

The scenario supplies the substance (the bug, the diagnosis, the fix); these banks vary
the connective tissue around it so two conversations of one family do not read alike.
"""

from __future__ import annotations

from fabricator.convo import Ctx

SYSTEM_PROMPTS = (
    "You are a coding agent working in the `{repo}` repository. Use the tools to inspect "
    "and change files. Verify changes by running the relevant checks before you answer.",
    "You are an autonomous software engineer with access to a checkout of {repo}. Read "
    "before you edit, keep changes minimal, and run the tests to confirm your work.",
    "You are a senior developer pairing with the user on {repo}. You can read, search and "
    "edit files and run commands. Explain what you changed and why.",
    "You are an AI programming assistant operating inside a sandboxed workspace ({repo}). "
    "Prefer small, well-tested changes; do not invent files you have not inspected.",
    "You help maintain {repo}. Investigate with the available tools, fix the root cause "
    "rather than the symptom, and report the result with the relevant code.",
    "You are a careful software engineering agent. The repository {repo} is checked out "
    "in the current directory. Think step by step, use tools to gather facts, and finish "
    "with a concise summary of the change.",
    "Act as a pragmatic engineer on the {repo} team. You have shell-like tools for the "
    "working tree. Reproduce problems before fixing them when you can.",
    "You are a code assistant. Workspace: {repo}. Keep the public API stable unless asked, "
    "add or update tests for behaviour you change, and show the final code.",
)

OPENERS = (
    "",
    "",
    "Hi! ",
    "Hey, quick one. ",
    "Could you take a look at this? ",
    "Need a hand here. ",
    "Morning! ",
    "Bit of a puzzle for you. ",
)

EXPLORE = (
    "Let me get an overview of the repository layout first.",
    "I'll start by looking at how the project is organised.",
    "First, a quick look at the files in the repo.",
    "Before changing anything I want to see the project structure.",
)

SEARCH = (
    "Let me find where `{sym}` is defined and where it is used.",
    "I'll search for `{sym}` to locate the implementation.",
    "Searching the codebase for `{sym}`.",
    "Where does `{sym}` live? A quick search should tell me.",
)

READ = (
    "Reading `{path}` to see the current implementation.",
    "Let me open `{path}`.",
    "The code in question is in `{path}`; let me read it.",
    "I'll look at `{path}` next.",
)

READ_BOTH = (
    "I'll read the module and its existing tests together.",
    "Let me look at the implementation and the current tests side by side.",
    "Opening both the code and the test file to see what is covered today.",
)

REPRODUCE = (
    "I'll encode the reported behaviour as tests first and watch them fail, so the fix is "
    "proven by a red-to-green run.",
    "Before fixing, I want a failing test that captures the problem.",
    "Let me write regression tests that reproduce this, then run them against the current code.",
    "First step: reproduce. I'll add tests for the expected behaviour and run them.",
)

REVIEW_TESTS = (
    "I'll turn these findings into tests and run them against the PR code, so each "
    "review comment is backed by a failing case.",
    "Let me prove the review points with tests before touching the implementation.",
)

TDD = (
    "I'll write tests for the requested behaviour first and confirm they fail against the "
    "current code.",
    "Test-first: pin down the expected behaviour, watch it fail, then implement.",
    "Let me add tests describing the new behaviour before writing the implementation.",
)

SEEN_FAIL_TDD = (
    "As expected, the new tests fail against the current code.",
    "Red, as it should be: the behaviour isn't there yet.",
    "The tests fail for the right reason.",
)

SEEN_FAIL = (
    "The failure matches the report.",
    "Good, the tests reproduce the problem.",
    "That's the bug, reproduced.",
    "As expected, the new tests fail on the current code.",
)

FIX_AND_TEST = (
    "I'll write the fix and the tests in one go, then run the suite.",
    "Now the change itself, plus tests that pin the behaviour down.",
    "Applying the fix and adding tests for it.",
)

VERIFY = (
    "Running the tests again to confirm.",
    "Let me re-run the suite.",
    "Now the tests should pass; checking.",
    "Verifying with a fresh test run.",
)

REPRODUCE_CMD = (
    "Let me reproduce it before changing anything.",
    "First, see the failure with my own eyes.",
    "Reproducing the reported behaviour first.",
    "I'll run it as-is to confirm the symptom.",
)

CHECK = (
    "Checking the result.",
    "Let me confirm the change with the same command.",
    "Re-running the check.",
    "Now verify.",
)

DONE_GENERIC = (
    "Verified. Writing up the change.",
    "The check is clean now; summarising what changed and why.",
    "That confirms the fix. Time for the summary.",
    "Done; I'll explain the root cause and show the final code.",
)

DONE = (
    "All green. Time to summarise the change for the user.",
    "The suite passes, so the fix is complete; I'll write up what changed.",
    "Tests pass. I'll report the root cause, the fix and the final code.",
    "Everything passes now. Summarising.",
)


def pick(ctx: Ctx, bank: tuple[str, ...], **fmt: str) -> str:
    """A phrase from `bank`, formatted with `fmt`."""
    return ctx.pick(bank).format(**fmt)


def fence(lang: str, code: str) -> str:
    """A fenced code block that keeps `code` byte-for-byte (trailing newline trimmed)."""
    return f"```{lang}\n{code.rstrip()}\n```"


def join(*parts: str) -> str:
    """Join non-empty paragraphs with blank lines."""
    return "\n\n".join(p.strip("\n") for p in parts if p and p.strip())


def sentence_join(*parts: str) -> str:
    """Join non-empty sentences with single spaces."""
    return " ".join(p.strip() for p in parts if p and p.strip())


def code_lines(code: str) -> int:
    return len(code.strip("\n").splitlines())
