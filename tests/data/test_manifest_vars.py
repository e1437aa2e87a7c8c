"""Environment variables in manifest paths (``${VAR}``, ``$VAR``, ``${VAR:-default}``, ``$$``)."""

from __future__ import annotations

import pytest

from benchsuite.data.manifest import expand_path_variables, load_manifest
from benchsuite.errors import ManifestError

from .conftest import TinyBundle


def test_environment_variables_in_paths(tiny_bundle: TinyBundle, monkeypatch) -> None:
    monkeypatch.setenv("TINY_ROOT", str(tiny_bundle.root))
    monkeypatch.setenv("TINY_GENOME", "genome.fa")
    monkeypatch.delenv("TINY_UNSET", raising=False)
    data = tiny_bundle.manifest_data()
    data["genome"] = "$TINY_ROOT/${TINY_GENOME}"
    data["targets"][0]["track"] = "${TINY_UNSET:-tracks}/A.rep1.bw"  # default, relative to the manifest
    data["excluded"] = "${TINY_ROOT}/excluded.bed"
    tiny_bundle.write_manifest_data(data)
    m = load_manifest(tiny_bundle.root)
    assert m.genome == tiny_bundle.genome.resolve()
    assert m.targets[0].track == tiny_bundle.tracks["A"].resolve()
    assert m.excluded == tiny_bundle.excluded.resolve()

    data["targets"][1]["peaks"] = "${TINY_UNSET}/peaks/B.narrowPeak"
    tiny_bundle.write_manifest_data(data)
    with pytest.raises(ManifestError) as info:
        load_manifest(tiny_bundle.root)
    message = str(info.value)
    assert "targets[1].peaks" in message and "TINY_UNSET" in message and "not set" in message
    assert "manifest.yaml" in message and "export TINY_UNSET" in message


def test_expand_path_variables_rules(monkeypatch) -> None:
    monkeypatch.setenv("A_VAR", "/data")
    monkeypatch.setenv("EMPTY_VAR", "")
    assert expand_path_variables("${A_VAR}/x") == "/data/x"
    assert expand_path_variables("$A_VAR/x") == "/data/x"
    assert expand_path_variables("${EMPTY_VAR:-fallback}/x") == "fallback/x"
    assert expand_path_variables("${A_VAR:-fallback}/x") == "/data/x"
    assert expand_path_variables("cost$$/x") == "cost$/x"
    assert expand_path_variables("~/x") == "~/x"
    monkeypatch.delenv("NOT_THERE", raising=False)
    with pytest.raises(ManifestError, match="field 'genome': environment variable NOT_THERE"):
        expand_path_variables("${NOT_THERE}/g.fa", field_name="genome")
