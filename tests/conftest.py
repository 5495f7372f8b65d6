"""Shared fixtures: moto-backed resources and the checkout root."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from moto import mock_aws

from dfab.local.moto_compat import atomic_item_writes
from dfab.settings import Settings
from dfab.storage.resources import Resources
from dfab.storage.tables import ALL_TABLES, BEST_SCORES, SUBMISSIONS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_HARNESS = ROOT / "examples" / "harness"

# No per-example time limit by default: speed is measured in bench/, and on a loaded CI
# machine a GC pause can push one example past Hypothesis's 200 ms and fail a correct
# property. A test that states its own deadline (the archive fuzzers) keeps it.
hypothesis_settings.register_profile("dfab", deadline=None)
hypothesis_settings.load_profile("dfab")


@pytest.fixture(autouse=True, scope="session")
def _atomic_dynamodb_item_writes() -> None:
    """moto with DynamoDB's per-item atomic conditional writes, as the local stacks run it.

    Code under test writes from threads (best scores, the originality index) and relies on
    that guarantee; plain moto can interleave a condition check and a write.
    """
    atomic_item_writes()


def bwrap_usable() -> bool:
    return shutil.which("bwrap") is not None


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    """Real S3/DynamoDB semantics through moto (in-process), with our tables created."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        res = Resources(
            region="us-east-1",
            bucket="dfab-test",
            submissions_table="dfab-submissions",
            best_scores_table="dfab-best-scores",
        )
        res.s3.create_bucket(Bucket=res.bucket)
        names = {
            SUBMISSIONS.logical_id: res.submissions_table,
            BEST_SCORES.logical_id: res.best_scores_table,
        }
        for spec in ALL_TABLES:
            res.dynamodb.create_table(**spec.create_kwargs(names.get(spec.logical_id)))
        yield res
