"""Verifiability: static checks of verification blocks and the sandbox pass rate."""

from __future__ import annotations

import copy

import pytest
from test_signals_support import TESTS, good_line, measure, signal_results, varied_lines

from dfab.scoring.extract.verification_static import check_verification
from dfab.scoring.signals.verifiability import VerifiedShare


def _block(**changes: object) -> dict:
    block = copy.deepcopy(good_line()["verification"])
    block.update(changes)
    return block


def _with_tests(source: str, name: str = "test_listing.py", **changes: object) -> dict:
    block = _block(**changes)
    block["files"][name] = source
    return block


def test_honest_block_is_meaningful() -> None:
    verdict = check_verification(_block())
    assert verdict.meaningful and verdict.tests == 2


@pytest.mark.parametrize(
    ("block", "why"),
    [
        (_with_tests("def test_ok():\n    assert True\n"), "constant"),
        (
            _with_tests("from listing import page_slice\n\ndef test_ok():\n    assert 1 == 1\n"),
            "constant",
        ),
        (
            _with_tests("import math\n\ndef test_sqrt():\n    assert math.sqrt(16) == 4\n"),
            "no test calls the solution",
        ),
        (
            _with_tests(
                "from listing import page_slice\n\ndef test_imported():\n"
                "    assert page_slice is not None\n"
            ),
            "no test calls the solution",
        ),
        (
            _with_tests(
                "from listing import page_slice\n\ndef test_x():\n    try:\n"
                "        assert page_slice([1], 1) == [9]\n    except Exception:\n"
                "        pass\n"
            ),
            "assert nothing",
        ),
        (
            _with_tests(
                "import pytest\nfrom listing import page_slice\n\n@pytest.mark.skip\n"
                "def test_x():\n    assert page_slice([1], 1) == [9]\n"
            ),
            "assert nothing",
        ),
        (
            _with_tests(
                "from listing import page_slice\n\ndef test_x():\n    return\n"
                "    assert page_slice([1], 1) == [9]\n"
            ),
            "assert nothing",
        ),
        (
            _with_tests(
                "import listing\nlisting.page_slice = lambda *a, **k: [1]\n\n"
                "def test_x():\n    assert listing.page_slice([], 1) == [1]\n"
            ),
            "overwrite",
        ),
        (_with_tests(TESTS, command=["python", "-O", "-m", "pytest", "-q"]), "-O"),
        (_with_tests(TESTS, command=["python", "-m", "pytest", "-q", "-k", "nothing"]), "'-k'"),
        (_with_tests(TESTS, command=["python", "-m", "pytest", "--co"]), "'--co'"),
        (
            _with_tests(
                "def pytest_runtest_makereport(item, call):\n    pass\n", name="conftest.py"
            ),
            "hook",
        ),
        (_with_tests("import os\nos._exit(0)\n", name="pytest.py"), "shadows"),
        (_with_tests("[pytest]\npython_functions = check_*\n", name="pytest.ini"), "collects"),
        (_block(command=["true"]), "cannot fail"),
        (_block(expect_exit_code=1), "failing exit code"),
        (_block(command=["python", "-m", "pytest", "-q", "nothing_here.py"]), "runs no test"),
    ],
)
def test_vacuous_blocks(block: dict, why: str) -> None:
    verdict = check_verification(block)
    assert not verdict.meaningful
    assert why in verdict.reason


def test_harmless_pytest_options_are_allowed() -> None:
    block = _block(command=["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"])
    assert check_verification(block).meaningful


def test_tests_task_where_the_solution_is_the_tests() -> None:
    block = _block(solution_files=["test_listing.py"])
    assert check_verification(block).meaningful


def test_fixture_and_helper_indirection_count() -> None:
    src = (
        "import pytest\nfrom listing import page_slice\n\n@pytest.fixture\ndef first():\n"
        "    return page_slice(list(range(9)), 1, limit=3)\n\n"
        "def test_first(first):\n    assert first == [0, 1, 2]\n"
    )
    assert check_verification(_with_tests(src)).meaningful


def test_other_languages() -> None:
    block = {
        "files": {
            "sum.js": "export function addAll(xs) { return xs.reduce((a, b) => a + b, 0); }",
            "sum.test.js": "import { addAll } from './sum.js';\nimport assert from 'node:assert';\n"
            "assert.strictEqual(addAll([1, 2]), 3);\n",
        },
        "command": ["node", "--test"],
        "solution_files": ["sum.js"],
    }
    assert check_verification(block).meaningful
    block["files"]["sum.test.js"] = "import assert from 'node:assert';\nassert.ok(true);\n"
    assert not check_verification(block).meaningful


def test_measure_flags_vacuous_blocks() -> None:
    good = measure(VerifiedShare(), good_line())
    assert good.value == 1.0 and good.flag is None
    line = good_line()
    line["verification"]["files"]["test_listing.py"] = "def test_ok():\n    assert True\n"
    bad = measure(VerifiedShare(), line)
    assert bad.value == 0.0 and bad.flag == "vacuous_verification"
    none = good_line()
    none.pop("verification")
    assert measure(VerifiedShare(), none).value == 0.0


def _doc(outcomes: dict[str, str]) -> dict:
    return {
        "schema_version": 1,
        "exit_reason": "ok",
        "sample_ids": sorted(outcomes),
        "results": [{"conversation_id": c, "outcome": o} for c, o in outcomes.items()],
    }


def test_value_is_meaningful_share_times_pass_rate() -> None:
    lines = varied_lines(4)
    lines[3].pop("verification")
    static_only = signal_results(lines)["verifiability.verified_share"]
    assert static_only.value == pytest.approx(0.75)
    assert "not run" in static_only.evidence["sandbox"]
    doc = _doc({"conv-0": "pass", "conv-1": "fail", "conv-2": "pass"})
    r = signal_results(lines, verification=doc)["verifiability.verified_share"]
    assert r.value == pytest.approx(0.75 * 2 / 3)
    assert r.evidence["sandbox_ran"] == 3 and r.evidence["sandbox_counted"] == 2


def test_a_pass_of_a_vacuous_block_does_not_count() -> None:
    lines = varied_lines(2)
    lines[1]["verification"]["files"]["test_listing.py"] = "def test_ok():\n    assert True\n"
    doc = _doc({"conv-0": "pass", "conv-1": "pass"})
    r = signal_results(lines, verification=doc)["verifiability.verified_share"]
    assert r.value == pytest.approx(0.5 * 0.5)
    assert r.evidence["sandbox_counted"] == 1 and r.evidence["vacuous"] == 1
