"""Gather `GET /health`: counts, failures, stage times, executions, queues, versions.

Bounded by construction: one `by_status` query per status over the last day (at most
`api.health_max_items` items each), one for the last completion, at most
`api.health_max_running / 100` ListExecutions pages, and two GetQueueAttributes calls.
A part that cannot be read (a missing permission, an unset queue URL) becomes a line in
`problems` instead of failing the whole report: health must answer when things break.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from dfab import SCORER_VERSION, __version__
from dfab.api.services import ApiServices
from dfab.api.stages import summarize
from dfab.api.submission_index import StatusWindow, changed_to_status_since, latest_change_to
from dfab.api.views import (
    ExecutionsView,
    HealthView,
    QueueView,
    StageView,
    VersionsView,
    WindowView,
)
from dfab.contracts.submission import TERMINAL_STATUSES, SubmissionStatus
from dfab.intake.timefmt import iso

HOUR_S = 3600
DAY_S = 24 * HOUR_S
_FAILURE_STATUSES = (SubmissionStatus.FAILED, SubmissionStatus.REJECTED)
_AWS_ERRORS = (BotoCoreError, ClientError)


def _why(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or exc)
    return type(exc).__name__


def _window(windows: list[StatusWindow], since: str) -> WindowView:
    counts = {s.value: 0 for s in SubmissionStatus}
    failures: dict[str, Counter[str]] = {s.value: Counter() for s in _FAILURE_STATUSES}
    for window in windows:
        for doc in window.items:
            if str(doc.get("updated_at", "")) < since:
                continue
            counts[window.status.value] += 1
            if window.status in _FAILURE_STATUSES:
                reason = doc.get("reason") or {}
                failures[window.status.value][str(reason.get("class") or "UNKNOWN")] += 1
    return WindowView(
        since=since,
        counts=counts,
        failures={k: dict(sorted(v.items())) for k, v in failures.items()},
    )


def _running_executions(services: ApiServices) -> ExecutionsView:
    arn = services.resources.state_machine_arn
    if not arn:
        raise LookupError("no state machine is configured (DFAB_STATE_MACHINE_ARN)")
    cap = services.api.health_max_running
    kwargs: dict[str, Any] = {"stateMachineArn": arn, "statusFilter": "RUNNING", "maxResults": 100}
    running = 0
    while True:
        page = services.resources.sfn.list_executions(**kwargs)
        running += len(page.get("executions", []))
        token = page.get("nextToken")
        if not token:
            return ExecutionsView(running=running, capped=False)
        if running >= cap:
            return ExecutionsView(running=running, capped=True)
        kwargs["nextToken"] = token


def _queue(services: ApiServices, url: str) -> QueueView:
    attrs = services.sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return QueueView(
        visible=int(attrs.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
        delayed=int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
    )


def collect_health(services: ApiServices) -> HealthView:
    """The whole report, from the submissions indexes, Step Functions and SQS."""
    now = services.clock()
    api = services.api
    res = services.resources
    day_since, hour_since = iso(now - DAY_S), iso(now - HOUR_S)
    problems: list[str] = []

    windows: list[StatusWindow] = []
    for status in SubmissionStatus:
        fields: tuple[str, ...] = ("submission_id", "updated_at")
        if status in TERMINAL_STATUSES:
            fields += ("reason", "timeline")
        windows.append(
            changed_to_status_since(
                res, status, day_since, max_items=api.health_max_items, fields=fields
            )
        )
    finished = sorted(
        (doc for w in windows if w.status in TERMINAL_STATUSES for doc in w.items),
        key=lambda doc: str(doc.get("updated_at", "")),
        reverse=True,
    )[: api.health_duration_sample]
    stages = summarize(doc.get("timeline") or [] for doc in finished)

    completed = next(w for w in windows if w.status == SubmissionStatus.COMPLETED)
    last_completion = (
        str(completed.items[0]["updated_at"])
        if completed.items
        else latest_change_to(res, SubmissionStatus.COMPLETED)
    )

    executions = ExecutionsView()
    try:
        executions = _running_executions(services)
    except LookupError as exc:
        problems.append(f"running executions unknown: {exc}")
    except _AWS_ERRORS as exc:
        problems.append(f"running executions unknown: {_why(exc)}")

    queues: dict[str, QueueView | None] = {"uploads": None, "dead_letter": None}
    urls = {"uploads": services.queues.uploads, "dead_letter": services.queues.dead_letter}
    for name, url in urls.items():
        if not url:
            problems.append(f"queue {name}: no URL configured")
            continue
        try:
            queues[name] = _queue(services, url)
        except _AWS_ERRORS as exc:
            problems.append(f"queue {name}: {_why(exc)}")

    return HealthView(
        generated_at=iso(now),
        versions=VersionsView(
            dfab=__version__,
            scorer=SCORER_VERSION,
            config_hash=services.settings.config_hash(),
            config_revision=services.config_revision,
        ),
        last_hour=_window(windows, hour_since),
        last_day=_window(windows, day_since),
        truncated=any(w.truncated for w in windows),
        executions=executions,
        stages={name: StageView(**values) for name, values in stages.items()},
        stage_sample=len(finished),
        last_completion_at=last_completion,
        queues=queues,
        problems=problems,
    )
