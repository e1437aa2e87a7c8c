"""The ``split`` field's fold and region forms (chromosome lists and tables: :mod:`manifest_fields`).

* **Folds** (chromBPNet-style): ``split: {folds: folds/, fold: 0}`` reads ``folds/fold_0.json``,
  a JSON object ``{"train": [...], "valid": [...], "test": [...]}`` of chromosome lists
  (``folds:`` may also name one JSON file, then ``fold`` is not needed). The fold becomes a
  chromosome split; chromosomes in no list are not used.
* **Regions**: ``split: {test_regions: test.bed, valid_regions: valid.bed}`` (optional
  ``train`` chromosome list, default every genome chromosome minus ``exclude``): test and
  validation windows lie inside the BED regions, training windows outside both, so a
  single-chromosome genome can be split. The regions are read and checked (inside the
  genome, test and validation disjoint) by :func:`benchsuite.data.splits.resolve_split`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from benchsuite.data.manifest_model import SplitSpec

if TYPE_CHECKING:
    from benchsuite.data.manifest_fields import Checker

__all__ = ["SPLIT_FOLD_KEYS", "SPLIT_REGION_KEYS", "parse_split_folds", "parse_split_regions"]

SPLIT_FOLD_KEYS = {"folds", "fold"}
SPLIT_REGION_KEYS = {"test_regions", "valid_regions", "train", "exclude"}
_FOLD_GROUPS = ("train", "valid", "test")


def parse_split_folds(check: Checker, data: dict[str, Any]) -> SplitSpec:
    """``split: {folds: DIR, fold: K}`` (or ``folds: FILE.json``) as a chromosome split."""
    from pathlib import Path

    from benchsuite.data.manifest_fields import checked_split
    from benchsuite.data.manifest_vars import expand_path_variables

    text = check.string(data["folds"], "split.folds")
    folds = Path(expand_path_variables(text, field_name="split.folds", source=check.path)).expanduser()
    if not folds.is_absolute():
        folds = check.root / folds
    folds = folds.resolve()
    if folds.is_dir():
        if "fold" not in data:
            raise check.fail("split.fold", "missing: which fold of the folds folder", hint="add `fold: 0`")
        k = check.integer(data["fold"], "split.fold", minimum=0)
        path = folds / f"fold_{k}.json"
        if not path.is_file():
            found = sorted(p.name for p in folds.glob("fold_*.json"))
            raise check.fail(
                "split.fold",
                f"no fold file {path.name} in {folds}",
                hint=f"fold files found: {', '.join(found) or 'none'} (named fold_<k>.json)",
            )
    elif folds.is_file():
        path = folds
    else:
        raise check.fail("split.folds", f"no such folder or file: {folds}", hint="check the path")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise check.fail("split.folds", f"cannot read fold file {path}: {exc}") from exc
    if not isinstance(content, dict) or any(g not in content for g in _FOLD_GROUPS):
        raise check.fail(
            "split.folds",
            f"fold file {path} is not an object with train, valid and test lists",
            hint='write {"train": [...], "valid": [...], "test": [...]} (chromosome names)',
        )
    lists = {g: check.names(content[g], f"split.folds ({path.name}: {g})") for g in _FOLD_GROUPS}
    spec = SplitSpec(test=lists["test"], valid=lists["valid"], train=lists["train"], fold=str(path))
    return checked_split(check, spec)


def parse_split_regions(check: Checker, data: dict[str, Any]) -> SplitSpec:
    """``split: {test_regions: BED, valid_regions: BED, [train], [exclude]}``."""
    for key in ("test_regions", "valid_regions"):
        if data.get(key) is None:
            raise check.fail(
                f"split.{key}",
                "missing: a region split needs both test_regions and valid_regions",
                hint="give a BED file of test regions and one of validation regions",
            )
    train_value = data.get("train")
    train = None if train_value is None else check.names(train_value, "split.train")
    if train is not None and not train:
        raise check.fail("split.train", "empty list (use null for 'every chromosome')")
    exclude_value = data.get("exclude")
    exclude = () if exclude_value is None else check.names(exclude_value, "split.exclude")
    return SplitSpec(
        test=(),
        valid=(),
        train=train,
        exclude=exclude,
        test_regions=check.file(data["test_regions"], "split.test_regions"),
        valid_regions=check.file(data["valid_regions"], "split.valid_regions"),
    )
