"""Fixed parameters of the fingerprint and index formats.

These are not settings: the persisted index (band buckets, fingerprint records, the
packaged base fingerprints) is only meaningful for the exact values it was built with,
so changing one is a format change (bump `FORMAT_VERSION`, rebuild the index). What a
validator may tune (verdict thresholds) lives in `OriginalitySettings`.
"""

from __future__ import annotations

#: Bumped whenever any value below or the canonical form changes.
FORMAT_VERSION = 1

# ------------------------------------------------------------------ harness fingerprints
#: Tokens per k-gram: shorter matches are noise (idioms every program shares).
KGRAM = 18
#: Winnowing window: any match of KGRAM + WINDOW - 1 tokens is guaranteed a fingerprint.
WINDOW = 10
#: A definition shorter than KGRAM tokens but at least this long gets one whole-unit hash.
MIN_UNIT_TOKENS = 10

# ------------------------------------------------------------------ harness MinHash LSH
HARNESS_NUM_PERM = 128
#: 42 bands of 3 rows: a set with Jaccard 0.3 to an indexed one becomes a candidate with
#: probability 0.68, at 0.4 with 0.94, at 0.6 with ~1; at 0.05 with 0.005.
HARNESS_BANDS = 42
HARNESS_ROWS = 3
MINHASH_SEED = 20260101
#: Sampled fingerprints (hash % SAMPLE_MOD == 0) form an inverted index: it finds
#: candidates by containment (copy and extend, where Jaccard is low) and counts how many
#: miners share a fingerprint (common code).
SAMPLE_MOD = 8
#: Members kept per sampled fingerprint; a full entry is common code by definition.
SAMPLE_MEMBERS_CAP = 64
#: Members kept per LSH bucket (the earliest ones stay: first seen wins).
BUCKET_MEMBERS_CAP = 1000

# ------------------------------------------------------------------ datasets
#: Words per content shingle: 3 keeps a lightly edited copy (5% of words changed) at
#: Jaccard ~0.75 and a 10% edit at ~0.57.
SHINGLE_WORDS = 3
DATASET_NUM_PERM = 64
#: 12 bands of 4 rows (first 48 permutations): Jaccard 0.5 -> candidate with p 0.54,
#: 0.6 -> 0.82, 0.7 -> 0.96, 0.8 -> 0.999; 0.1 -> 0.001. All 64 permutations estimate
#: Jaccard when a candidate is verified.
DATASET_BANDS = 12
DATASET_ROWS = 4
#: Members kept per dataset bucket (earliest first).
DATASET_MEMBERS_CAP = 64
