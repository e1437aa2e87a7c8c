"""A bundle's variant set and motif database are checked before anything trains
(benchsuite.evaluate.bundle_inputs), through ``benchsuite data prepare`` and ``benchsuite run``."""

from __future__ import annotations

import shutil

import pytest

from benchsuite.data.manifest import load_manifest
from benchsuite.errors import InputFileError
from benchsuite.evaluate.bundle_inputs import check_evaluation_inputs
from tests.cli.conftest import exit_code
from tests.run.conftest import smoke_bundle  # noqa: F401 (fixture)


@pytest.fixture
def bundle(smoke_bundle, tmp_path):  # noqa: F811 (the imported fixture)
    copy = tmp_path / "bundle"
    shutil.copytree(smoke_bundle, copy)
    return copy


def test_the_simulated_bundle_passes(bundle):
    check_evaluation_inputs(load_manifest(bundle))


@pytest.mark.parametrize(
    ("path", "content", "words"),
    [
        ("variants/variants.tsv", "element\tsplit\nSIM01\tx\n", ["variants.tsv", "lacks column(s) ref, alt"]),
        ("variants/variants.tsv", "element\tref\talt\tvalue\twindow_offset\n", ["variants.tsv", "no rows"]),
        ("motifs.meme", "", ["motifs.meme"]),
        ("motifs.meme", "MEME version 4\n\nALPHABET= ACGT\n", ["motifs.meme", "no MOTIF found"]),
    ],
)
def test_a_malformed_file_is_one_error_naming_it(bundle, path, content, words):
    (bundle / path).write_text(content)
    with pytest.raises(InputFileError) as info:
        check_evaluation_inputs(load_manifest(bundle))
    assert all(w in str(info.value) for w in words), str(info.value)


def test_prepare_and_run_stop_before_training(bundle, tmp_path, capsys):
    (bundle / "variants/variants.tsv").write_text("element\tsplit\nSIM01\tx\n")
    cache, out = tmp_path / "cache", tmp_path / "runs"
    assert exit_code(["data", "prepare", str(bundle), "--cache", str(cache), "--no-progress"]) == 2
    argv = ["run", "--all", "--profile", "smoke", "--bundle", str(bundle), "--out", str(out)]
    assert exit_code([*argv, "--cache", str(cache), "--wandb", "disabled"]) == 2
    err = capsys.readouterr().err
    assert err.count("variants.tsv") >= 2 and "Traceback" not in err
    assert not cache.exists() and not out.exists()
