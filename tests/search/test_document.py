"""The architecture document: round trip, name, and one clear error per bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchsuite.errors import InputFileError
from benchsuite.search.document import (
    DOCUMENT_FORMAT,
    ArchitectureDocument,
    read_document,
    write_document,
)
from benchsuite.search.space import Architecture

from .conftest import SPACE


def _doc() -> ArchitectureDocument:
    return ArchitectureDocument(
        task="binary",
        bin_size=1,
        space=SPACE,
        architecture=Architecture(15, ("conv7", "maxpool", "dconv7"), ((), (0,), (0, 1))),
        training={"dropout": 0.1, "profile": "smoke", "steps": 2},
        search={"architect": "tpe", "seed": 3, "candidates": 4, "steps": 2, "score": 0.7},
        bundle={"name": "sim-smoke-seed0", "fingerprint": "ab" * 32},
    )


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "doc.arch.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_round_trip(tmp_path):
    path = write_document(tmp_path / "a.arch.json", _doc())
    back = read_document(path)
    assert back.name == _doc().name and back.name.startswith("amber-") and len(back.name) == 16
    assert back.architecture == _doc().architecture and back.space == SPACE
    assert back.provenance()["architect"] == "tpe" and back.provenance()["seed"] == 3
    data = json.loads(path.read_text())
    assert data["format"] == DOCUMENT_FORMAT and data["version"] == 1


def test_the_name_depends_on_the_architecture_not_on_the_search():
    other = ArchitectureDocument(**{**_doc().__dict__, "search": {"architect": "random"}})
    assert other.name == _doc().name
    changed = ArchitectureDocument(
        **{
            **_doc().__dict__,
            "architecture": Architecture(7, ("conv7", "maxpool", "dconv7"), ((), (0,), (0, 1))),
        }
    )
    assert changed.name != _doc().name


def test_invalid_json_names_the_file(tmp_path):
    path = tmp_path / "bad.arch.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputFileError, match="invalid JSON") as info:
        read_document(path)
    assert info.value.source == str(path)


def test_wrong_format_is_refused(tmp_path):
    path = _write(tmp_path, {**_doc().to_dict(), "format": "something-else"})
    with pytest.raises(InputFileError, match="format is 'something-else'") as info:
        read_document(path)
    assert str(path) in str(info.value)


def test_future_version_is_refused(tmp_path):
    path = _write(tmp_path, {**_doc().to_dict(), "version": 2})
    with pytest.raises(InputFileError, match="version 2 is not supported"):
        read_document(path)


def test_missing_field_is_named(tmp_path):
    data = _doc().to_dict()
    del data["architecture"]
    with pytest.raises(InputFileError, match="missing field\\(s\\) architecture"):
        read_document(_write(tmp_path, data))


def test_operation_outside_the_space_is_refused(tmp_path):
    data = _doc().to_dict()
    data["architecture"]["operations"][1] = "sepconv3"
    with pytest.raises(InputFileError, match="layer 1: operation 'sepconv3' is not in the space") as info:
        read_document(_write(tmp_path, data))
    assert info.value.source == str(tmp_path / "doc.arch.json")


def test_skip_to_a_later_node_is_refused(tmp_path):
    data = _doc().to_dict()
    data["architecture"]["skips"][1] = [1]
    with pytest.raises(InputFileError, match=r"layer 1: skips \[1\] must be distinct earlier nodes 0\.\.0"):
        read_document(_write(tmp_path, data))


def test_edited_name_is_refused(tmp_path):
    with pytest.raises(InputFileError, match="name 'amber-0000000000' does not match its architecture"):
        read_document(_write(tmp_path, {**_doc().to_dict(), "name": "amber-0000000000"}))
