"""Optional ed25519 signatures of result records (``pip install 'benchsuite[sign]'``).

A signed record carries::

    "signature": {"alg": "ed25519", "public_key": "<base64 raw 32-byte key>",
                  "value": "<base64 signature over canonical_bytes(record)>"}

The signed bytes are :func:`benchsuite.results.record.canonical_bytes` (the checksummed content:
every field except ``checksum`` and ``signature``), so a signature survives re-serialisation but
not a change of any value. The signature is not part of the checksum. A signature says who
published a record, not that its numbers are right (see ``docs/trust.md``).

Keys: :func:`generate_keypair` writes a PKCS#8 PEM private key (mode 0600) and, beside it,
``<name>.pub`` holding the base64 public key on one line. A trusted-keys file holds one such
base64 public key per line (``#`` comments and blank lines are ignored). A key's id is the first
16 hex digits of the sha256 of its raw bytes.

``cryptography`` is imported only when signing or checking; without it a
:class:`~benchsuite.errors.ConfigError` says how to install it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchsuite.errors import ConfigError, RecordError
from benchsuite.io.atomic import atomic_write
from benchsuite.results.record import canonical_bytes, read_record, validate_record, write_record

__all__ = [
    "ALG",
    "generate_keypair",
    "load_private_key",
    "key_id",
    "sign_record",
    "sign_record_file",
    "signature_problem",
    "load_trusted_keys",
]

ALG = "ed25519"
_INSTALL_HINT = (
    "install the signing extra: pip install 'benchsuite[sign]' (or pip install 'cryptography>=42')"
)


def _ed25519() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise ConfigError(
            "signing records needs the 'cryptography' package, which is not installed",
            source="benchsuite sign",
            hint=_INSTALL_HINT,
        ) from None
    return ed25519


def _serialization() -> Any:
    _ed25519()
    from cryptography.hazmat.primitives import serialization

    return serialization


def key_id(public_key_b64: str) -> str:
    """The id of a base64 public key: 16 hex digits of the sha256 of its raw bytes."""
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
    except (binascii.Error, ValueError):
        raw = public_key_b64.encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def _public_b64(private_key: Any) -> str:
    serialization = _serialization()
    raw = private_key.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode("ascii")


def generate_keypair(out: str | Path, *, force: bool = False) -> tuple[Path, Path, str]:
    """Write a new ed25519 private key (PEM, mode 0600) to ``out`` and its public key to ``out.pub``.

    Returns
    -------
    (private path, public path, public key base64)

    Raises
    ------
    ConfigError
        ``out`` exists (without ``force``) or ``cryptography`` is missing.
    """
    ed25519 = _ed25519()
    serialization = _serialization()
    out = Path(out)
    public_path = out.with_name(out.name + ".pub")
    if out.exists() and not force:
        raise ConfigError(
            "key file already exists", source=out, hint="choose another --out (keys are never overwritten)"
        )
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(out, 0o600)
    public = _public_b64(key)
    with atomic_write(public_path, "w", encoding="utf-8") as handle:
        handle.write(public + "\n")
    return out, public_path, public


def load_private_key(path: str | Path) -> Any:
    """Read an ed25519 private key (PEM, unencrypted) written by :func:`generate_keypair`."""
    ed25519 = _ed25519()
    serialization = _serialization()
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read key ({exc.strerror or exc})", source=path, hint="check --key"
        ) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"not an unencrypted PEM private key ({exc})",
            source=path,
            hint="pass a key made by `benchsuite keys generate`",
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ConfigError(
            "not an ed25519 key", source=path, hint="pass a key made by `benchsuite keys generate`"
        )
    return key


def sign_record(record: dict, private_key: Any) -> dict:
    """A copy of ``record`` with its ``signature`` set (any previous signature is replaced)."""
    signed = {k: v for k, v in record.items() if k != "signature"}
    value = private_key.sign(canonical_bytes(signed))
    signed["signature"] = {
        "alg": ALG,
        "public_key": _public_b64(private_key),
        "value": base64.b64encode(value).decode("ascii"),
    }
    validate_record(signed, source="signed record")
    return signed


def sign_record_file(path: str | Path, private_key: Any) -> dict:
    """Verify the record file (schema, checksum), sign it and rewrite it atomically."""
    record = read_record(path)
    signed = sign_record(record, private_key)
    write_record(path, signed)
    return signed


def signature_problem(record: dict) -> str | None:
    """Why a record's signature does not hold (None: unsigned or valid).

    Returns
    -------
    str or None
        E.g. ``"signature by key 0123abcd... does not match the record's content"``.
    """
    signature = record.get("signature")
    if signature is None:
        return None
    ed25519 = _ed25519()
    from cryptography.exceptions import InvalidSignature

    public = str(signature.get("public_key", ""))
    try:
        key = ed25519.Ed25519PublicKey.from_public_bytes(base64.b64decode(public, validate=True))
        value = base64.b64decode(str(signature.get("value", "")), validate=True)
    except (binascii.Error, ValueError):
        return f"signature by key {key_id(public)} is malformed"
    try:
        key.verify(value, canonical_bytes(record))
    except InvalidSignature:
        return f"signature by key {key_id(public)} does not match the record's content (tampered with?)"
    return None


def load_trusted_keys(path: str | Path) -> set[str]:
    """The base64 public keys of a trusted-keys file (one per line; ``#`` comments allowed).

    Raises
    ------
    ConfigError
        The file is unreadable or a line is not a base64 ed25519 public key.
    """
    path = Path(path)
    try:
        lines: Iterable[str] = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read trusted keys ({exc})", source=path, hint="check --trusted-keys"
        ) from None
    keys: set[str] = set()
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise ConfigError(
                f"line {number} is not a base64 ed25519 public key",
                source=path,
                hint="put the contents of KEYFILE.pub files (one key per line)",
            )
        keys.add(text)
    return keys


def check_signed(record: dict, *, source: str | Path) -> None:
    """Raise :class:`RecordError` when the record carries a signature that does not hold."""
    problem = signature_problem(record)
    if problem:
        raise RecordError(
            problem, source=source, hint="the record was changed after it was signed; re-sign or drop it"
        )
