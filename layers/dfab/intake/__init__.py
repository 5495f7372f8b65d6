"""Submission intake: signed requests, replay and flood guards, presigned uploads.

A miner proves who they are with an sr25519 signature by their Bittensor hotkey
(CONTRACTS.md §5); this package decides whether such a request may create a
submission, and hands back where to upload. Kept free of heavy imports so that
`dfab.settings` can import `dfab.intake.settings` cheaply.
"""
