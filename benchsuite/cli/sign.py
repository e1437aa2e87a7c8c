"""CLI: ``benchsuite keys generate`` and ``benchsuite sign`` — optional ed25519 record signatures.

Needs the ``sign`` extra (``pip install 'benchsuite[sign]'``); see ``docs/trust.md``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from benchsuite.cli.output import stdout_console

KEYS_HELP = (
    "Manage ed25519 signing keys for result records (needs the sign extra, i.e. the cryptography package)."
)
GENERATE_HELP = (
    "Write a new ed25519 private key (PEM, mode 0600) to KEYFILE and its public key (base64, one line) to "
    "KEYFILE.pub. Put the .pub line into the trusted-keys file of a board (`benchsuite leaderboard "
    "--trusted-keys FILE`)."
)
SIGN_HELP = (
    "Sign result records in place with an ed25519 key: each record (verified first: schema and checksum) "
    "gets a `signature` {alg, public_key, value} over its checksummed content. The signature is not part "
    "of the checksum; changing any value afterwards makes the board refuse the record."
)


def register(app: typer.Typer) -> None:
    """Add ``benchsuite keys generate`` and ``benchsuite sign`` to the root app."""
    keys = typer.Typer(help=KEYS_HELP, no_args_is_help=True)
    keys.command("generate", help=GENERATE_HELP)(generate)
    app.add_typer(keys, name="keys")
    app.command("sign", help=SIGN_HELP)(sign)


def generate(
    out: Path = typer.Option(
        ..., "--out", help="Private key file to write (KEYFILE; KEYFILE.pub beside it)."
    ),
) -> None:
    """Generate a signing key pair."""
    from benchsuite.results.signing import generate_keypair, key_id

    private, public_path, public = generate_keypair(out)
    console = stdout_console()
    console.print(f"private key: {private} (keep it secret)", markup=False, highlight=False)
    console.print(f"public key:  {public_path} (key id {key_id(public)})", markup=False, highlight=False)


def sign(
    records: list[Path] = typer.Argument(..., help="Record files to sign in place."),
    key: Path = typer.Option(..., "--key", help="Private key file from `benchsuite keys generate`."),
) -> None:
    """Sign result records."""
    from benchsuite.results.signing import key_id, load_private_key, sign_record_file

    private = load_private_key(key)
    console = stdout_console()
    for path in records:
        signed = sign_record_file(path, private)
        console.print(
            f"signed {path} (key id {key_id(signed['signature']['public_key'])})",
            markup=False,
            highlight=False,
        )
