"""ed25519 signatures of records: sign, check, tamper, trusted-keys files, missing cryptography."""

from __future__ import annotations

import base64
import builtins
import json
import stat

import pytest

from benchsuite.errors import ConfigError
from benchsuite.results.record import read_record, record_checksum
from benchsuite.results.signing import (
    generate_keypair,
    key_id,
    load_private_key,
    load_trusted_keys,
    sign_record,
    sign_record_file,
    signature_problem,
)
from tests.results.record_factory import make_record, write


@pytest.fixture
def key(tmp_path):
    private, public_path, public = generate_keypair(tmp_path / "keys" / "maintainer.pem")
    return load_private_key(private), public, public_path


def test_generate_writes_a_private_key_0600_and_the_public_key_beside_it(tmp_path):
    private, public_path, public = generate_keypair(tmp_path / "k.pem")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public_path == tmp_path / "k.pem.pub" and public_path.read_text() == public + "\n"
    assert len(base64.b64decode(public)) == 32
    with pytest.raises(ConfigError) as info:
        generate_keypair(tmp_path / "k.pem")
    assert "already exists" in str(info.value) and info.value.source == str(tmp_path / "k.pem")


def test_signed_record_keeps_its_checksum_and_reads_back(tmp_path, key):
    private, public, _ = key
    path = write(tmp_path, make_record("cnn"))
    before = read_record(path)
    signed = sign_record_file(path, private)
    assert signed["checksum"] == before["checksum"] == record_checksum(signed)
    assert signed["signature"]["alg"] == "ed25519" and signed["signature"]["public_key"] == public
    again = read_record(path)
    assert signature_problem(again) is None
    assert signature_problem(before) is None  # unsigned: nothing to refuse


def test_tampered_signed_record_fails_the_signature_check(tmp_path, key):
    private, public, _ = key
    signed = sign_record(make_record("cnn"), private)
    forged = json.loads(json.dumps(signed))
    forged["metrics"]["wholechrom.pearson"]["mean"] = 0.999
    forged["checksum"] = record_checksum(forged)  # the forger recomputes the checksum
    assert signature_problem(forged) == (
        f"signature by key {key_id(public)} does not match the record's content (tampered with?)"
    )


def test_malformed_signature_is_reported(key):
    private, _, _ = key
    signed = sign_record(make_record("cnn"), private)
    signed["signature"] = {**signed["signature"], "value": "not base64!"}
    assert "is malformed" in str(signature_problem(signed))


def test_trusted_keys_file(tmp_path, key):
    _, public, _ = key
    path = tmp_path / "trusted.txt"
    path.write_text(f"# maintainers\n\n{public}  # alice\n")
    assert load_trusted_keys(path) == {public}
    path.write_text("not-a-key\n")
    with pytest.raises(ConfigError) as info:
        load_trusted_keys(path)
    assert "line 1 is not a base64 ed25519 public key" in str(info.value)


def test_key_id_is_16_hex_digits_of_the_key_hash(key):
    import hashlib

    _, public, _ = key
    assert key_id(public) == hashlib.sha256(base64.b64decode(public)).hexdigest()[:16]


def test_missing_cryptography_is_a_config_error_with_the_install_hint(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("cryptography"):
            raise ImportError("no cryptography")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ConfigError) as info:
        generate_keypair(tmp_path / "k.pem")
    assert "needs the 'cryptography' package" in str(info.value)
    assert "pip install 'benchsuite[sign]'" in str(info.value)
