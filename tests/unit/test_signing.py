"""Signed submission requests with real sr25519 keypairs (CONTRACTS.md §5).

SS58 decoding and its checksum, the canonical message, signature verification, and
every admission check: stale timestamps, replayed nonces, oversized archives, the
per-hotkey rate limit, one evaluation in flight, and the registered-hotkey allowlist.
DynamoDB and S3 are moto, in-process.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfab.contracts.reasons import Reason, ReasonClass
from dfab.contracts.submission import SubmissionStatus
from dfab.intake import hotkeys, ss58
from dfab.intake.admission import Intake
from dfab.intake.allowlist import AllowlistUnavailable, parse_allowlist
from dfab.intake.client import signed_request
from dfab.intake.errors import IntakeRefused, RefusalCode
from dfab.intake.settings import IntakeSettings
from dfab.intake.signing import DOMAIN, SubmitRequest, canonical_message, verify
from dfab.intake.tables import INTAKE_TABLES, NONCES
from dfab.settings import Settings
from dfab.storage.resources import Resources
from dfab.storage.submissions import get_submission, transition

# Substrate's well-known development account "Alice" (public key and SS58 forms).
ALICE_PUBLIC = bytes.fromhex("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
ALICE_42 = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
ALICE_0 = "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"
DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"
DEV_PHRASE_ADDRESS = "5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV"

ARCHIVE = b"PK\x05\x06" + bytes(18)  # content is irrelevant to admission
NOW = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def key() -> hotkeys.Hotkey:
    return hotkeys.generate()


@pytest.fixture(scope="module")
def other_key() -> hotkeys.Hotkey:
    return hotkeys.generate()


@pytest.fixture
def res(aws: Resources) -> Iterator[Resources]:
    existing = set(aws.dynamodb.list_tables()["TableNames"])
    for spec in INTAKE_TABLES:  # unless the shared fixture already made them
        if spec.default_name not in existing:
            aws.dynamodb.create_table(**spec.create_kwargs())
    yield aws


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _intake(res: Resources, clock: Clock, **config: object) -> Intake:
    return Intake(
        resources=res,
        settings=Settings(),
        config=IntakeSettings.model_validate(config),
        nonces_table=NONCES.default_name,
        clock=clock,
    )


def _request(
    key: hotkeys.Hotkey, clock: Clock, data: bytes = ARCHIVE, **kw: object
) -> SubmitRequest:
    return signed_request(key, data, "zip", now=clock(), **kw)  # type: ignore[arg-type]


def _refused(intake: Intake, request: SubmitRequest) -> IntakeRefused:
    with pytest.raises(IntakeRefused) as info:
        intake.admit(request)
    return info.value


# -- SS58 ---------------------------------------------------------------------------------


def test_ss58_known_addresses() -> None:
    assert ss58.encode(ALICE_PUBLIC, 42) == ALICE_42
    assert ss58.encode(ALICE_PUBLIC, 0) == ALICE_0
    assert ss58.decode(ALICE_42) == ALICE_PUBLIC
    assert ss58.decode(ALICE_0, 0) == ALICE_PUBLIC


def test_mnemonic_derivation_matches_substrate() -> None:
    assert hotkeys.from_mnemonic(DEV_PHRASE).address() == DEV_PHRASE_ADDRESS


@settings(max_examples=200, deadline=None)
@given(key=st.binary(min_size=32, max_size=32), fmt=st.integers(0, 16383))
def test_ss58_round_trip(key: bytes, fmt: int) -> None:
    address = ss58.encode(key, fmt)
    assert ss58.decode(address, fmt) == key
    assert ss58.decode(address, None) == key


@pytest.mark.parametrize("position", [1, 10, 30, 47])
def test_ss58_checksum_catches_a_changed_character(position: int) -> None:
    chars = list(ALICE_42)
    chars[position] = "2" if chars[position] != "2" else "3"
    with pytest.raises(ss58.InvalidAddress):
        ss58.decode("".join(chars))


@pytest.mark.parametrize(
    ("address", "why"),
    [
        (ALICE_0, "format 0"),
        ("", "length"),
        ("0" * 48, "base58"),
        ("5" * 48, None),
        (ALICE_42 + "1", None),
        (ss58.b58encode(bytes([42]) + ALICE_PUBLIC[:31] + b"\0\0"), None),
    ],
)
def test_ss58_refuses(address: str, why: str | None) -> None:
    with pytest.raises(ss58.InvalidAddress, match=why):
        ss58.decode(address, 42)


def test_ss58_accepts_only_the_canonical_spelling() -> None:
    # A leading zero byte would be a '1' prefix in base58: not a valid format-42 address.
    with pytest.raises(ss58.InvalidAddress):
        ss58.decode("1" + ALICE_42)


# -- message and signature ----------------------------------------------------------------


def test_canonical_message_bytes() -> None:
    message = canonical_message(
        hotkey=ALICE_42,
        sha256="ab" * 32,
        size=123,
        fmt="tar.gz",
        timestamp=1700000000,
        nonce="n" * 16,
    )
    assert message == (
        f"{DOMAIN}\n{ALICE_42}\n{'ab' * 32}\n123\ntar.gz\n1700000000\n{'n' * 16}".encode()
    )
    assert DOMAIN == "data-fabrication:submit:v1"


def test_verify_valid_forged_and_wrong_key(key: hotkeys.Hotkey, other_key: hotkeys.Hotkey) -> None:
    message = b"data-fabrication:submit:v1\nexample"
    signature = key.sign(message)
    assert verify(key.public_key, message, signature)
    assert not verify(key.public_key, message + b"x", signature)  # forged message
    assert not verify(other_key.public_key, message, signature)  # wrong hotkey
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify(key.public_key, message, tampered)
    # Malformed inputs are invalid, never an exception.
    assert not verify(key.public_key, message, bytes(64))
    assert not verify(b"\xff" * 32, message, signature)
    assert not verify(key.public_key[:31], message, signature)
    assert not verify(key.public_key, message, signature[:63])


def test_request_model_is_strict(key: hotkeys.Hotkey, clock: Clock) -> None:
    doc = _request(key, clock).model_dump(mode="json")
    SubmitRequest.model_validate(doc)
    for field, bad in [
        ("size", "22"),
        ("size", 0),
        ("timestamp", 1.5),
        ("sha256", "AB" * 32),
        ("nonce", "short"),
        ("nonce", "x" * 16 + "\n"),
        ("format", "tar"),
        ("signature", "00" * 63),
        ("hotkey", "0OIl" * 12),
    ]:
        with pytest.raises(ValueError):
            SubmitRequest.model_validate({**doc, field: bad})
    with pytest.raises(ValueError):
        SubmitRequest.model_validate({**doc, "extra": 1})


# -- admission ----------------------------------------------------------------------------


def test_valid_request_creates_record_and_bound_upload(
    res: Resources, clock: Clock, key: hotkeys.Hotkey
) -> None:
    request = _request(key, clock)
    admitted = _intake(res, clock).admit(request)
    record = get_submission(res, admitted.record.submission_id)
    assert record.status == SubmissionStatus.PENDING_UPLOAD
    assert record.hotkey == key.address()
    assert record.archive_sha256 == request.sha256
    assert record.archive_size == len(ARCHIVE)
    assert record.archive_key == f"uploads/{key.address()}/{record.submission_id}.zip"
    assert [e.status for e in record.timeline] == [SubmissionStatus.PENDING_UPLOAD]

    form = admitted.upload
    assert form.key == record.archive_key
    assert form.fields["key"] == record.archive_key
    assert form.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    policy = json.loads(base64.b64decode(form.fields["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", len(ARCHIVE), len(ARCHIVE)] in conditions
    assert {"key": record.archive_key} in conditions
    assert {"bucket": res.bucket} in conditions


def test_forged_signature_is_refused(res: Resources, clock: Clock, key: hotkeys.Hotkey) -> None:
    request = _request(key, clock)
    forged = request.model_copy(update={"sha256": "0" * 64})  # signed over another archive
    assert _refused(_intake(res, clock), forged).code == RefusalCode.BAD_SIGNATURE


def test_signature_by_another_key_is_refused(
    res: Resources, clock: Clock, key: hotkeys.Hotkey, other_key: hotkeys.Hotkey
) -> None:
    request = _request(other_key, clock)
    # Claims to be `key` but was signed by `other_key` (message re-made for `key`).
    message = canonical_message(
        hotkey=key.address(),
        sha256=request.sha256,
        size=request.size,
        fmt=request.format,
        timestamp=request.timestamp,
        nonce=request.nonce,
    )
    impostor = request.model_copy(
        update={"hotkey": key.address(), "signature": other_key.sign(message).hex()}
    )
    refusal = _refused(_intake(res, clock), impostor)
    assert refusal.code == RefusalCode.BAD_SIGNATURE
    assert refusal.code.http_status == 401


def test_bad_ss58_checksum_is_refused(res: Resources, clock: Clock, key: hotkeys.Hotkey) -> None:
    request = _request(key, clock)
    address = request.hotkey
    broken = address[:-1] + ("2" if address[-1] != "2" else "3")
    refusal = _refused(_intake(res, clock), request.model_copy(update={"hotkey": broken}))
    assert refusal.code == RefusalCode.BAD_HOTKEY
    assert refusal.code.http_status == 400
    assert "checksum" in refusal.message


def test_other_network_format_is_refused(res: Resources, clock: Clock, key: hotkeys.Hotkey) -> None:
    request = signed_request(key, ARCHIVE, "zip", now=clock(), ss58_format=0)
    refusal = _refused(_intake(res, clock), request)
    assert refusal.code == RefusalCode.BAD_HOTKEY
    assert "format 0" in refusal.message


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_stale_or_future_timestamp_is_refused(
    res: Resources, clock: Clock, key: hotkeys.Hotkey, offset: int
) -> None:
    request = signed_request(key, ARCHIVE, "zip", now=clock() + offset)
    refusal = _refused(_intake(res, clock, timestamp_skew_s=300), request)
    assert refusal.code == RefusalCode.STALE_TIMESTAMP


def test_timestamp_within_skew_is_accepted(
    res: Resources, clock: Clock, key: hotkeys.Hotkey
) -> None:
    request = signed_request(key, ARCHIVE, "zip", now=clock() - 299)
    _intake(res, clock, timestamp_skew_s=300).admit(request)


def test_replayed_nonce_is_refused(res: Resources, clock: Clock, key: hotkeys.Hotkey) -> None:
    intake = _intake(res, clock, one_in_flight=False)
    request = _request(key, clock)
    intake.admit(request)
    refusal = _refused(intake, request)
    assert refusal.code == RefusalCode.NONCE_REUSED
    assert refusal.code.http_status == 409
    # The same nonce in a new, validly signed request is a replay too.
    again = signed_request(key, b"other bytes", "zip", now=clock(), nonce=request.nonce)
    assert _refused(intake, again).code == RefusalCode.NONCE_REUSED


def test_nonces_are_per_hotkey(
    res: Resources, clock: Clock, key: hotkeys.Hotkey, other_key: hotkeys.Hotkey
) -> None:
    intake = _intake(res, clock)
    nonce = "shared-nonce-0123456789"
    intake.admit(_request(key, clock, nonce=nonce))
    intake.admit(_request(other_key, clock, nonce=nonce))


def test_a_forged_request_does_not_burn_the_nonce(
    res: Resources, clock: Clock, key: hotkeys.Hotkey
) -> None:
    intake = _intake(res, clock)
    request = _request(key, clock)
    forged = request.model_copy(update={"size": request.size + 1})
    assert _refused(intake, forged).code == RefusalCode.BAD_SIGNATURE
    intake.admit(request)  # the miner's real request still goes through


def test_oversized_archive_is_refused(res: Resources, clock: Clock, key: hotkeys.Hotkey) -> None:
    limit = Settings().archive.max_archive_bytes
    big = signed_request(key, b"x" * (limit + 1), "zip", now=clock())
    refusal = _refused(_intake(res, clock), big)
    assert refusal.code == RefusalCode.ARCHIVE_TOO_LARGE
    assert refusal.code.http_status == 400
    exactly = signed_request(key, b"x" * limit, "zip", now=clock())
    _intake(res, clock).admit(exactly)


def test_rate_limit_is_a_sliding_window(res: Resources, clock: Clock, key: hotkeys.Hotkey) -> None:
    intake = _intake(
        res, clock, one_in_flight=False, max_submissions_per_window=2, rate_window_s=3600
    )
    intake.admit(_request(key, clock))
    clock.now += 600
    intake.admit(_request(key, clock))
    clock.now += 60
    refusal = _refused(intake, _request(key, clock))
    assert refusal.code == RefusalCode.RATE_LIMITED
    assert refusal.code.http_status == 429
    assert refusal.retry_after_s == 3600 - 660
    clock.now = NOW + 3600  # the first submission's hour is over: one slot frees
    intake.admit(_request(key, clock))
    assert _refused(intake, _request(key, clock)).code == RefusalCode.RATE_LIMITED


def test_rate_limit_is_per_hotkey(
    res: Resources, clock: Clock, key: hotkeys.Hotkey, other_key: hotkeys.Hotkey
) -> None:
    intake = _intake(res, clock, one_in_flight=False, max_submissions_per_window=1)
    intake.admit(_request(key, clock))
    intake.admit(_request(other_key, clock))
    assert _refused(intake, _request(key, clock)).code == RefusalCode.RATE_LIMITED


def _finish(res: Resources, submission_id: str, status: SubmissionStatus) -> None:
    for step in (SubmissionStatus.VALIDATING, SubmissionStatus.QUEUED, status):
        reason = None
        if status.terminal and step == status and status != SubmissionStatus.COMPLETED:
            reason = Reason(reason_class=ReasonClass.HARNESS_EXIT, message="exit 1")
        transition(res, submission_id, step, reason=reason)


def test_one_evaluation_in_flight(res: Resources, clock: Clock, key: hotkeys.Hotkey) -> None:
    intake = _intake(res, clock)
    first = intake.admit(_request(key, clock)).record
    refusal = _refused(intake, _request(key, clock))
    assert refusal.code == RefusalCode.EVALUATION_IN_FLIGHT
    assert refusal.code.http_status == 409
    assert first.submission_id in refusal.message
    transition(res, first.submission_id, SubmissionStatus.VALIDATING)
    transition(res, first.submission_id, SubmissionStatus.QUEUED)
    assert _refused(intake, _request(key, clock)).code == RefusalCode.EVALUATION_IN_FLIGHT
    transition(res, first.submission_id, SubmissionStatus.COMPLETED)
    intake.admit(_request(key, clock))


@pytest.mark.parametrize("status", [SubmissionStatus.FAILED, SubmissionStatus.REJECTED])
def test_a_finished_submission_does_not_block(
    res: Resources, clock: Clock, key: hotkeys.Hotkey, status: SubmissionStatus
) -> None:
    intake = _intake(res, clock)
    first = intake.admit(_request(key, clock)).record
    _finish(res, first.submission_id, status)
    intake.admit(_request(key, clock))


def test_an_abandoned_upload_or_stuck_record_stops_blocking(
    res: Resources, clock: Clock, key: hotkeys.Hotkey
) -> None:
    intake = _intake(res, clock, upload_url_ttl_s=600, in_flight_max_age_s=7200)
    intake.admit(_request(key, clock))  # never uploaded
    clock.now += 600 + 61
    second = intake.admit(_request(key, clock)).record
    transition(res, second.submission_id, SubmissionStatus.VALIDATING)  # then stuck
    clock.now += 3600
    assert _refused(intake, _request(key, clock)).code == RefusalCode.EVALUATION_IN_FLIGHT
    clock.now += 3601  # over in_flight_max_age_s since it was created
    intake.admit(_request(key, clock))


def test_a_refused_request_costs_no_rate_slot(
    res: Resources, clock: Clock, key: hotkeys.Hotkey
) -> None:
    intake = _intake(res, clock, max_submissions_per_window=2)
    first = intake.admit(_request(key, clock)).record
    for _ in range(3):
        assert _refused(intake, _request(key, clock)).code == RefusalCode.EVALUATION_IN_FLIGHT
    _finish(res, first.submission_id, SubmissionStatus.COMPLETED)
    intake.admit(_request(key, clock))  # the second slot was still free


def test_allowlist_file(
    res: Resources, clock: Clock, key: hotkeys.Hotkey, other_key: hotkeys.Hotkey, tmp_path: Path
) -> None:
    listed = tmp_path / "hotkeys.txt"
    listed.write_text(f"# registered\n{key.address()}  # uid 7\nnot-an-address\n")
    intake = _intake(res, clock, allowlist=str(listed))
    intake.admit(_request(key, clock))
    refusal = _refused(intake, _request(other_key, clock))
    assert refusal.code == RefusalCode.NOT_REGISTERED
    assert refusal.code.http_status == 403


def test_allowlist_in_s3_is_refreshed(
    res: Resources, clock: Clock, key: hotkeys.Hotkey, other_key: hotkeys.Hotkey
) -> None:
    res.s3.put_object(Bucket=res.bucket, Key="config/hotkeys.txt", Body=key.address().encode())
    intake = _intake(
        res, clock, allowlist=f"s3://{res.bucket}/config/hotkeys.txt", allowlist_refresh_s=60
    )
    assert _refused(intake, _request(other_key, clock)).code == RefusalCode.NOT_REGISTERED
    both = f"{key.address()},{other_key.address()}"
    res.s3.put_object(Bucket=res.bucket, Key="config/hotkeys.txt", Body=both.encode())
    assert _refused(intake, _request(other_key, clock)).code == RefusalCode.NOT_REGISTERED
    clock.now += 61  # cached copy expires; the new list is read
    intake.admit(_request(other_key, clock))
    # The object disappears: the last good copy stays in use.
    res.s3.delete_object(Bucket=res.bucket, Key="config/hotkeys.txt")
    clock.now += 61
    intake.admit(_request(key, clock))


def test_unreadable_allowlist_fails_closed(
    res: Resources, clock: Clock, key: hotkeys.Hotkey, tmp_path: Path
) -> None:
    intake = _intake(res, clock, allowlist=str(tmp_path / "missing.txt"))
    with pytest.raises(AllowlistUnavailable):
        intake.admit(_request(key, clock))


def test_parse_allowlist_reports_invalid_entries(key: hotkeys.Hotkey) -> None:
    parsed = parse_allowlist(f"{key.address()}\n\n{ALICE_0} # polkadot\n", 42)
    assert parsed.hotkeys == {key.address()}
    assert parsed.invalid == ((3, ALICE_0),)


# -- key sources (client side) ------------------------------------------------------------


def test_wallet_file_round_trip(key: hotkeys.Hotkey, tmp_path: Path) -> None:
    path = tmp_path / "wallets" / "miner" / "hotkeys" / "default"
    hotkeys.write_wallet_file(key, path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    loaded = hotkeys.from_wallet_file(path)
    assert loaded.public_key == key.public_key
    assert hotkeys.wallet_hotkey_path("miner", "default", tmp_path / "wallets") == path
    with pytest.raises(hotkeys.HotkeyError, match="exists"):
        hotkeys.write_wallet_file(key, path)


def test_wallet_file_variants(key: hotkeys.Hotkey, tmp_path: Path) -> None:
    doc = key.wallet_json()
    only_phrase = tmp_path / "phrase"
    only_phrase.write_text(json.dumps({"secretPhrase": doc["secretPhrase"]}))
    assert hotkeys.from_wallet_file(only_phrase).public_key == key.public_key
    mismatched = tmp_path / "mismatched"
    mismatched.write_text(json.dumps({**doc, "ss58Address": ALICE_42}))
    with pytest.raises(hotkeys.HotkeyError, match="does not match"):
        hotkeys.from_wallet_file(mismatched)
    encrypted = tmp_path / "encrypted"
    encrypted.write_text("$NACL" + "x" * 40)
    with pytest.raises(hotkeys.HotkeyError, match="encrypted"):
        hotkeys.from_wallet_file(encrypted)
    with pytest.raises(hotkeys.HotkeyError, match="does not exist"):
        hotkeys.from_wallet_file(tmp_path / "none")


def test_seed_and_mnemonic_sources(key: hotkeys.Hotkey) -> None:
    assert key.seed is not None and key.mnemonic is not None
    assert hotkeys.from_seed(hotkeys.parse_seed("0x" + key.seed.hex())).public_key == (
        key.public_key
    )
    assert hotkeys.from_mnemonic("  " + key.mnemonic.upper().lower() + "\n").public_key == (
        key.public_key
    )
    with pytest.raises(hotkeys.HotkeyError):
        hotkeys.parse_seed("12")
    with pytest.raises(hotkeys.HotkeyError):
        hotkeys.from_mnemonic("not a real mnemonic phrase at all")
    assert "secret" not in repr(key).lower() and key.address() in repr(key)
