"""The ranking one API container serves GET /weights and GET /leaderboard from.

Reading every best score is a few index pages (10k miners: ~2.5 MB); checking whether
any changed is one GetItem (the ranking version `raise_best_score` bumps). So a
container keeps the ranking it read and reads it again only when the version moved,
or when it is older than `api.ranking_max_age_s` (a safety net for a missed bump).

The rank index is eventually consistent: right after a change it may not show it yet.
A ranking read within `SETTLE_S` of the last change is therefore kept for `SETTLE_S`
only, so a lagging read is replaced at once instead of being served for the max age.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from dfab import CHALLENGE, SCORER_VERSION
from dfab.contracts.report import WeightEntry, WeightsResponse
from dfab.intake.timefmt import iso
from dfab.storage.best_scores import BestScoreRecord, iter_ranking, ranking_version
from dfab.storage.resources import Resources

#: Seconds after a change during which the rank index may still lag behind it.
SETTLE_S = 2.0


@dataclass
class Ranking:
    """Every best score in rank order, as read at `generated_at`."""

    version: int
    generated_at: str
    keys: list[str]
    records: list[BestScoreRecord]
    expires: float
    _weights_json: str | None = field(default=None, repr=False)

    def weights_json(self) -> str:
        """CONTRACTS.md §4, serialized once per ranking (the body every request sends)."""
        if self._weights_json is None:
            doc = WeightsResponse(
                challenge=CHALLENGE,
                scorer_version=SCORER_VERSION,
                generated_at=self.generated_at,
                weights=[
                    WeightEntry(
                        hotkey=r.hotkey,
                        score=r.score,
                        submission_id=r.submission_id,
                        completed_at=r.completed_at,
                    )
                    for r in self.records
                ],
            )
            self._weights_json = doc.model_dump_json()
        return self._weights_json

    def page_after(
        self, rank_key: str | None, limit: int
    ) -> tuple[int, list[BestScoreRecord], str | None]:
        """(position of the first entry, up to `limit` entries after `rank_key`, next key).

        Positions come from this ranking, so ranks are exact at read time; continuing
        after a key (not an offset) never repeats or skips an entry that did not change.
        """
        start = 0 if rank_key is None else bisect.bisect_right(self.keys, rank_key)
        records = self.records[start : start + limit]
        end = start + len(records)
        return start, records, self.keys[end - 1] if end < len(self.keys) and records else None


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


class RankingCache:
    """The container's current `Ranking`, re-read when the version moves or it expires."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self._lock = threading.Lock()
        self._current: Ranking | None = None

    def get(self, res: Resources, *, max_age_s: float) -> Ranking:
        version = ranking_version(res)
        now = self._clock()
        with self._lock:
            current = self._current
        if current is not None and current.version == version.version and now < current.expires:
            return current
        wall = self._wall()
        keys: list[str] = []
        records: list[BestScoreRecord] = []
        for key, record in iter_ranking(res):
            keys.append(key)
            records.append(record)
        ttl = max_age_s
        if version.changed_at is not None and wall - _epoch(version.changed_at) < SETTLE_S:
            ttl = min(ttl, SETTLE_S)
        ranking = Ranking(
            version=version.version,
            generated_at=iso(wall),
            keys=keys,
            records=records,
            expires=now + ttl,
        )
        with self._lock:
            self._current = ranking
        return ranking
