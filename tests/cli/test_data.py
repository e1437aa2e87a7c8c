"""`benchsuite data prepare` on the command line."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from benchsuite.cli.main import app, main
from benchsuite.data.cache import open_dataset_cache
from benchsuite.errors import ManifestError
from tests.data.conftest import TinyBundle


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_data_prepare_prints_summary_and_reuses(tiny_bundle: TinyBundle, tmp_path) -> None:
    runner = CliRunner()
    cache_dir = tmp_path / "cache"
    args = ["data", "prepare", str(tiny_bundle.root), "--cache", str(cache_dir), "--no-progress"]
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    folders = [p for p in cache_dir.iterdir() if p.is_dir()]
    assert len(folders) == 1
    cache = open_dataset_cache(folders[0])
    out = _plain(result.output)
    assert "built a new cache" in out
    assert cache.fingerprint in out and str(cache.root) in out
    for kind in ("quantitative", "binary", "wholechrom"):
        assert kind in out
    q = cache.meta["kinds"]["quantitative"]
    counts = " ".join(str(q[s]["n"]) for s in ("train", "valid", "test"))
    assert re.search(r"quantitative\W+" + r"\W+".join(counts.split()), out), out
    positives = cache.meta["kinds"]["binary"]["test"]["positives"]["A"]
    assert f"{positives} / {cache.meta['kinds']['binary']['test']['n']}" in out

    again = runner.invoke(app, args, terminal_width=200)
    assert again.exit_code == 0, again.output
    assert "reused the existing cache" in _plain(again.output)

    info = runner.invoke(app, ["data", "info", str(cache.root)], terminal_width=200)
    assert info.exit_code == 0 and cache.fingerprint in info.output and "dataset cache built" in info.output

    other = runner.invoke(app, [*args, "--threshold", "6"], terminal_width=200)
    assert other.exit_code == 0, other.output
    assert "coverage threshold 6" in _plain(other.output)
    assert len([p for p in cache_dir.iterdir() if p.is_dir()]) == 2


def test_data_prepare_bad_manifest(tiny_bundle: TinyBundle, tmp_path, capsys) -> None:
    tiny_bundle.manifest.write_text("name: tiny\ngenome: genome.fa\ntargets: 3\n")
    args = ["data", "prepare", str(tiny_bundle.root), "--cache", str(tmp_path / "cache"), "--no-progress"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert isinstance(result.exception, ManifestError) or "manifest.yaml" in result.output
    # through the real entry point: one line on stderr, exit code 2, no traceback
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "manifest.yaml" in err and "targets" in err and "Traceback" not in err


def test_data_prepare_empty_selection_exit_code(tiny_bundle: TinyBundle, tmp_path, capsys) -> None:
    args = [
        "data",
        "prepare",
        str(tiny_bundle.root),
        "--cache",
        str(tmp_path / "c"),
        "--threshold",
        "1000",
        "--no-progress",
    ]
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = _plain(capsys.readouterr().err)
    assert "--threshold" in err and "1000" in err and "Traceback" not in err


def _main_error(args: list[str], capsys) -> str:
    """Run the real entry point expecting exit code 2; the stderr text (one message, no traceback)."""
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: ")
    return _plain(err)


def test_data_prepare_cache_is_a_file(tiny_bundle: TinyBundle, tmp_path, capsys) -> None:
    cache = tmp_path / "cachefile"
    cache.write_text("x")
    err = _main_error(
        ["data", "prepare", str(tiny_bundle.root), "--cache", str(cache), "--no-progress"], capsys
    )
    assert f"error: --cache: {cache} is a file, not a directory (fix: give --cache a folder path" in err
    assert cache.read_text() == "x"
    nested = cache / "datasets"
    err = _main_error(
        ["data", "prepare", str(tiny_bundle.root), "--cache", str(nested), "--no-progress"], capsys
    )
    assert f"--cache: {nested}: its parent {cache} is a file, not a directory" in err


def test_data_prepare_bad_track_is_one_line(tiny_bundle: TinyBundle, tmp_path, capsys) -> None:
    tiny_bundle.tracks["A"].write_bytes((0x8789F2EB).to_bytes(4, "little") + b"\0" * 60)
    args = ["data", "prepare", str(tiny_bundle.root), "--cache", str(tmp_path / "c"), "--no-progress"]
    err = _main_error(args, capsys)
    assert "A.rep1.bw is a bigBed file, not a bigWig coverage track" in err
    assert not [p for p in (tmp_path / "c").iterdir() if p.is_dir()]
