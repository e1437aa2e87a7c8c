"""`benchsuite simulate` on the command line: the summary, a byte-identical bundle, refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from benchsuite.cli.main import app, main
from benchsuite.errors import ConfigError
from benchsuite.simulate import bundle_fingerprint


def _own_fingerprint(bundle: Path) -> str:
    rows = []
    for p in sorted(bundle.rglob("*")):
        if p.is_file() and p.name != "manifest.yaml":
            rows.append((p.relative_to(bundle).as_posix(), hashlib.sha256(p.read_bytes()).hexdigest()))
    h = hashlib.sha256()
    for rel, digest in sorted(rows):
        h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


def test_determinism_and_cli(smoke_bundle: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "again"
    result = runner.invoke(
        app, ["simulate", "--profile", "smoke", "--out", str(out), "--seed", "0", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load((smoke_bundle / "manifest.yaml").read_text(encoding="utf-8"))
    fingerprint = manifest["simulator"]["fingerprint"]
    assert fingerprint in result.output.replace("\n", "")
    truth = json.loads((smoke_bundle / "truth.json").read_text())
    for name, r in truth["replicate_pearson"].items():  # the summary shows each replicate Pearson
        assert name in result.output and f"{r:.3f}" in result.output
    assert "peaks" in result.output
    files_a = sorted(p.relative_to(smoke_bundle) for p in smoke_bundle.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (smoke_bundle / rel).read_bytes() == (out / rel).read_bytes(), f"{rel} differs between runs"
    assert _own_fingerprint(out) == bundle_fingerprint(out) == fingerprint
    # refuses a non-empty folder without --force, naming it
    again = runner.invoke(app, ["simulate", "--profile", "smoke", "--out", str(out), "--seed", "0"])
    assert again.exit_code != 0
    assert isinstance(again.exception, ConfigError)
    assert str(out) in str(again.exception) and "--force" in str(again.exception)


def test_simulate_out_is_a_file_exits_with_one_line(tmp_path: Path, capsys) -> None:
    out = tmp_path / "bundle.txt"
    out.write_text("x")
    for target in (out, out / "sub"):
        with pytest.raises(SystemExit) as info:
            main(["simulate", "--profile", "smoke", "--out", str(target), "--no-progress"])
        assert info.value.code == 2
        err = capsys.readouterr().err.replace("\n", "")
        assert err.startswith("error: --out: ") and "Traceback" not in err
        assert f"{out} is a file, not a directory" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.txt"]
