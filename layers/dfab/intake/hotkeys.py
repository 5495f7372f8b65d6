"""A miner's hotkey on the client side: load it, make a test one, sign with it.

Sources, all resolved to the 32-byte sr25519 "mini secret" Substrate derives keys
from: a BIP39 mnemonic (Substrate's derivation, as Bittensor wallets use), the raw
seed, or a Bittensor wallet hotkey file (JSON with `secretSeed` / `secretPhrase`).
Secrets never come from command-line values (they would land in shell history).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dfab.intake import ss58

SEED_BYTES = 32


class HotkeyError(ValueError):
    """A key source that cannot be used; the message says which and why (no secrets)."""


@dataclass(frozen=True, repr=False)
class Hotkey:
    """An sr25519 keypair. `repr` never shows the secret."""

    public_key: bytes
    secret_key: bytes
    seed: bytes | None = None
    mnemonic: str | None = None

    def __repr__(self) -> str:
        return f"Hotkey({ss58.encode(self.public_key)})"

    def address(self, ss58_format: int = 42) -> str:
        return ss58.encode(self.public_key, ss58_format)

    def sign(self, message: bytes) -> bytes:
        import sr25519

        return bytes(sr25519.sign((self.public_key, self.secret_key), message))

    def wallet_json(self, ss58_format: int = 42) -> dict[str, Any]:
        """The Bittensor wallet hotkey file layout (unencrypted, like `btcli` hotkeys)."""
        doc: dict[str, Any] = {
            "accountId": "0x" + self.public_key.hex(),
            "publicKey": "0x" + self.public_key.hex(),
            "privateKey": "0x" + self.secret_key.hex(),
            "secretSeed": "0x" + self.seed.hex() if self.seed else None,
            "secretPhrase": self.mnemonic,
            "ss58Address": self.address(ss58_format),
        }
        return {k: v for k, v in doc.items() if v is not None}


def from_seed(seed: bytes, mnemonic: str | None = None) -> Hotkey:
    import sr25519

    if len(seed) != SEED_BYTES:
        raise HotkeyError(f"a seed has {SEED_BYTES} bytes, this one has {len(seed)}")
    public, secret = sr25519.pair_from_seed(seed)
    return Hotkey(bytes(public), bytes(secret), seed=seed, mnemonic=mnemonic)


def parse_seed(text: str) -> bytes:
    """A seed written as 64 hex digits (0x optional)."""
    raw = text.strip().removeprefix("0x")
    try:
        seed = bytes.fromhex(raw)
    except ValueError:
        raise HotkeyError("the seed is not hex (expected 64 hex digits, 0x optional)") from None
    if len(seed) != SEED_BYTES:
        raise HotkeyError(f"the seed has {len(seed)} bytes; expected {SEED_BYTES} (64 hex digits)")
    return seed


def from_mnemonic(phrase: str) -> Hotkey:
    """Substrate's derivation from a BIP39 phrase (no password, no derivation path)."""
    import bip39

    words = " ".join(phrase.split())
    if not bip39.bip39_validate(words):
        raise HotkeyError("the mnemonic is not a valid BIP39 phrase (check the words)")
    return from_seed(bytes(bip39.bip39_to_mini_secret(words, "")), mnemonic=words)


def generate() -> Hotkey:
    """A fresh random hotkey with a 12-word mnemonic (OS randomness), for local testing."""
    import bip39

    return from_mnemonic(bip39.bip39_generate(12))


def from_wallet_file(path: Path) -> Hotkey:
    """Load a Bittensor wallet hotkey file (or one written by `dfab keygen`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HotkeyError(f"hotkey file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HotkeyError(f"hotkey file {path} cannot be read: {exc}") from None
    if text.startswith("$"):
        raise HotkeyError(
            f"hotkey file {path} is encrypted; decrypt it with btcli or use a mnemonic instead"
        )
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        raise HotkeyError(
            f"hotkey file {path} is not JSON (a Bittensor wallet hotkey file)"
        ) from None
    if not isinstance(doc, dict):
        raise HotkeyError(f"hotkey file {path} is not a JSON object")
    if isinstance(doc.get("secretSeed"), str):
        key = from_seed(parse_seed(doc["secretSeed"]), mnemonic=doc.get("secretPhrase"))
    elif isinstance(doc.get("secretPhrase"), str):
        key = from_mnemonic(doc["secretPhrase"])
    else:
        raise HotkeyError(f"hotkey file {path} has neither secretSeed nor secretPhrase")
    stated = doc.get("ss58Address")
    if isinstance(stated, str) and stated:
        try:
            public = ss58.decode(stated, None)
        except ss58.InvalidAddress as exc:
            raise HotkeyError(f"hotkey file {path}: ss58Address is invalid: {exc}") from None
        if public != key.public_key:
            raise HotkeyError(f"hotkey file {path}: ss58Address does not match its secret")
    return key


def wallet_hotkey_path(wallet: str, hotkey: str, root: Path | None = None) -> Path:
    """`~/.bittensor/wallets/<wallet>/hotkeys/<hotkey>`, the Bittensor layout."""
    for name in (wallet, hotkey):
        if not name or "/" in name or name in (".", ".."):
            raise HotkeyError(f"{name!r} is not a wallet or hotkey name")
    base = root or Path("~/.bittensor/wallets").expanduser()
    return base / wallet / "hotkeys" / hotkey


def write_wallet_file(
    key: Hotkey, path: Path, *, overwrite: bool = False, ss58_format: int = 42
) -> None:
    """Write `key` as a wallet hotkey file readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise HotkeyError(f"{path} exists; refusing to overwrite a key (use --force)") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(key.wallet_json(ss58_format), out, indent=2)
        out.write("\n")
    path.chmod(0o600)
