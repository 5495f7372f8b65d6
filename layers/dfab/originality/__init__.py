"""Originality of harnesses (clone detection) and datasets (copied conversations).

Modules, by job (import from them directly; this package imports nothing so that
`dfab.settings` can import `dfab.originality.settings` without a cycle):

- `fingerprint.fingerprint_harness(root) -> HarnessFingerprint`: canonical form
  (`canonical`, `symbols`, `reach`, `tokens`) and winnowed fingerprints (`winnow`);
- `compare.score_pair(a, b, settings, base=...) -> PairScore`: similarity, containment,
  verdict level and matched regions of two harnesses;
- `harness_index.HarnessIndex`: persistent index (`add`, `candidates`, `load`,
  `save_verdict`, `verdict`) on a `store.SimilarityStore` (`dynamo_store.DynamoStore`
  on the SimilarityIndexTable, `table.SIMILARITY_INDEX`; `store.MemoryStore` in memory);
- `judge.judge_harness(index, ref, fp, settings) -> OriginalityVerdict`;
- `dataset_index.DatasetIndex`: `check_and_add(ref, conversations) -> DatasetOriginality`;
- `value.originality_value(verdict, dataset, settings) -> OriginalityValue`;
- `base.base_fingerprints()`: the published example's fingerprints (never copying);
- `settings.OriginalitySettings`: the `originality:` config section.
"""
