"""The SimilarityIndexTable: its key schema (for ALL_TABLES) and how items are laid out.

Keys are strings in `pk` (partition) and `sk` (sort). One table serves both indexes:

| pk                          | sk        | attributes                                   |
|-----------------------------|-----------|----------------------------------------------|
| `h#b#{band}#{hash}`         | `-`       | `m`: set of members (LSH bucket, capped)     |
| `h#x#{canonical sha256}`    | `-`       | `m`: members with that exact canonical form  |
| `h#f#{fingerprint}`         | `-`       | `m`: members holding a sampled fingerprint   |
| `h#s#{submission}`          | `c#0000`..| `b`: fingerprint record chunks; `meta` item  |
| `h#v#{submission}`          | `doc`     | `d`: the harness verdict (JSON)              |
| `d#x#{conversation sha256}` | `-`       | `v`: first occupant (earliest conversation)  |
| `d#b#{band}#{hash}`         | `-`       | `m`: members of a dataset LSH bucket (capped) |
| `d#s#{submission}`          | `c#0000`..| `b`: conversation signatures; `meta` item    |
| `d#r#{submission}`          | `doc`     | `d`: the dataset originality result (JSON)   |

A member is `created_at|submission_id|size|hotkey` (size: sampled fingerprint count of a
harness, or a conversation's line index), so sets and occupants compare by time first.
Buckets hold one item each so a query reads all of its buckets with a few BatchGetItem
calls instead of one Query per band; capped sets keep their earliest members.
"""

from __future__ import annotations

from dfab.storage.tables import SIMILARITY_INDEX

LOGICAL_ID = SIMILARITY_INDEX.logical_id
ENV_VAR = SIMILARITY_INDEX.env_var
DEFAULT_NAME = SIMILARITY_INDEX.default_name
