"""Figure data written at evaluation time, and the one function that draws figures from it.

Evaluating a cell draws no PNG: each figure is stored as the data it plots, in the cell's
figures folder (``<cell>/figures/<family>/``), and drawn only where it is looked at:

* ``<stem>.json``: what the figure shows (``format``, ``name`` such as ``motifs.logos``,
  ``kind``, titles, sites, curves), written last, so its presence means the figure's data is
  complete;
* ``<stem>.npz`` (compressed, named by the JSON's ``arrays``): the arrays it plots, where there
  are any (attribution maps);
* the motif logos read their PPMs from the motif family's ``filters.meme`` (the JSON's ``ppms``).

The record's ``figures`` mapping points to the JSON files (``name -> <stem>.json``).
:func:`render_figure` draws one of them as ``<stem>.png`` beside it (or elsewhere);
:func:`render_cell_figures` draws every figure of a cell. The leaderboard draws the best model's
logos with it, ``benchsuite figures CELL`` draws any cell's figures on demand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from benchsuite.errors import InputFileError
from benchsuite.io.atomic import atomic_write

__all__ = [
    "FORMAT",
    "FigureDataError",
    "data_files",
    "figures_folder",
    "read_figure_data",
    "render_cell_figures",
    "render_figure",
    "write_figure_data",
]

#: version of the figure data files
FORMAT = 1

#: figure kinds and the plotting function each uses
KINDS = ("motif_logos", "attribution_logos", "interaction_curves")

_FIX = (
    "re-evaluate the cell to rewrite its figure data (benchsuite evaluate --checkpoint CELL/checkpoint.ckpt)"
)


class FigureDataError(InputFileError):
    """A figure data file that is missing, unreadable or not what its figure needs."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_figure_data(
    folder: str | Path,
    stem: str,
    *,
    name: str,
    kind: str,
    spec: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray] | None = None,
) -> Path:
    """Write one figure's data: ``<stem>.npz`` (when ``arrays``), then ``<stem>.json``.

    Parameters
    ----------
    folder:
        The family's figures folder (created).
    stem:
        File stem; the figure is drawn as ``<stem>.png``.
    name:
        The figure's name in the record (e.g. ``"motifs.logos"``).
    kind:
        One of :data:`KINDS`.
    spec:
        What :func:`render_figure` needs besides the arrays (titles, sites, curves, ...).
    arrays:
        Arrays to store compressed (float arrays are stored as float32).

    Returns
    -------
    pathlib.Path
        The JSON file (what the record points to).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown figure kind {kind!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {"format": FORMAT, "name": name, "kind": kind, "png": f"{stem}.png", **spec}
    if arrays:
        stored = {k: (v.astype(np.float32) if v.dtype.kind == "f" else v) for k, v in arrays.items()}
        with atomic_write(folder / f"{stem}.npz", "wb") as handle:
            np.savez_compressed(handle, **stored)  # type: ignore[arg-type]
        doc["arrays"] = f"{stem}.npz"
    path = folder / f"{stem}.json"
    with atomic_write(path, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, default=_jsonable, indent=1)
    return path


def _sibling(path: Path, doc: Mapping[str, Any], key: str) -> Path | None:
    """The file named by ``doc[key]``: a bare file name in the JSON's own folder."""
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or Path(value).name != value or value.startswith("."):
        raise FigureDataError(
            f"{key!r} must be a file name in the same folder, got {value!r}", source=path, hint=_FIX
        )
    return path.with_name(value)


def data_files(path: str | Path) -> list[Path]:
    """The JSON file and the files it reads (arrays, PPMs), without reading them."""
    path = Path(path)
    doc = read_figure_data(path)
    return [path, *(p for key in ("arrays", "ppms") if (p := _sibling(path, doc, key)) is not None)]


def read_figure_data(path: str | Path) -> dict[str, Any]:
    """The checked JSON document of one figure.

    Raises
    ------
    FigureDataError
        The file is missing, not JSON, of another format or kind, or lacks its titles.
    """
    path = Path(path)
    if not path.is_file():
        raise FigureDataError("figure data file not found", source=path, hint=_FIX)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FigureDataError(f"figure data is not readable JSON ({exc})", source=path, hint=_FIX) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("kind") not in KINDS:
        found = (doc.get("format"), doc.get("kind")) if isinstance(doc, dict) else type(doc).__name__
        raise FigureDataError(
            f"not figure data of format {FORMAT} with a kind among {', '.join(KINDS)} (found {found})",
            source=path,
            hint=_FIX,
        )
    if not isinstance(doc.get("name"), str) or not isinstance(doc.get("png"), str):
        raise FigureDataError("figure data without 'name' and 'png'", source=path, hint=_FIX)
    return doc


def _plain(text: Any) -> str:
    """Text for matplotlib: no mathtext (``$``) interpretation of names from data files."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def _titles(doc: Mapping[str, Any], path: Path, n: int) -> list[str]:
    titles = doc.get("titles")
    if not isinstance(titles, list) or len(titles) != n:
        raise FigureDataError(f"expected {n} titles, found {titles!r:.80}", source=path, hint=_FIX)
    return [_plain(t) for t in titles]


def _motif_ppms(path: Path, doc: Mapping[str, Any]) -> list[np.ndarray]:
    from benchsuite.io.meme import read_meme

    meme = _sibling(path, doc, "ppms")
    if meme is None or not meme.is_file():
        raise FigureDataError(f"the filters' PPMs ({meme}) are missing", source=path, hint=_FIX)
    by_name = {m.name: m.ppm for m in read_meme(meme)}
    filters = doc.get("filters")
    if not isinstance(filters, list) or not all(isinstance(f, int) for f in filters):
        raise FigureDataError("'filters' must be a list of filter indices", source=path, hint=_FIX)
    missing = [f for f in filters if f"filter{f}" not in by_name]
    if missing:
        raise FigureDataError(f"filters {missing} are not in {meme.name}", source=path, hint=_FIX)
    return [by_name[f"filter{f}"] for f in filters]


def _arrays(path: Path, doc: Mapping[str, Any], key: str) -> np.ndarray:
    npz = _sibling(path, doc, "arrays")
    if npz is None or not npz.is_file():
        raise FigureDataError(f"the figure's arrays ({npz}) are missing", source=path, hint=_FIX)
    try:
        with np.load(npz, allow_pickle=False) as data:
            values = np.asarray(data[key], dtype=np.float64)
    except (OSError, ValueError, KeyError) as exc:
        raise FigureDataError(f"{npz.name} is not readable ({exc})", source=path, hint=_FIX) from None
    if values.ndim != 3 or values.shape[-1] != 4:
        raise FigureDataError(
            f"{npz.name}: {key} must be (k, w, 4), got {values.shape}", source=path, hint=_FIX
        )
    return values


def render_figure(path: str | Path, out: str | Path | None = None) -> tuple[str, Path]:
    """Draw the figure whose data is ``path`` (a ``<stem>.json``).

    Parameters
    ----------
    path:
        The figure's JSON data file.
    out:
        The PNG to write (default: the JSON's ``png`` beside it).

    Returns
    -------
    tuple
        The figure's name (``motifs.logos``, ...) and the written PNG.

    Raises
    ------
    FigureDataError
        A data file is missing or garbled (the message names it and the fix).
    """
    from benchsuite.evaluate.figures import plot_attribution_logos, plot_interaction_curves, plot_motif_logos

    path = Path(path)
    doc = read_figure_data(path)
    target = Path(out) if out is not None else path.with_name(Path(doc["png"]).name)
    try:
        if doc["kind"] == "motif_logos":
            ppms = _motif_ppms(path, doc)
            plot_motif_logos(ppms, _titles(doc, path, len(ppms)), target)
        elif doc["kind"] == "attribution_logos":
            maps = _arrays(path, doc, "maps")
            sites = [(int(s), int(e), _plain(label)) for s, e, label in doc.get("sites") or []]
            titles = _titles(doc, path, len(maps))
            plot_attribution_logos(list(maps), titles, sites, target, start=int(doc.get("start", 0)))
        else:
            curves = [{**c, "a": _plain(c["a"]), "b": _plain(c["b"])} for c in doc.get("curves") or []]
            plot_interaction_curves(curves, target)
    except FigureDataError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise FigureDataError(
            f"figure data does not fit its figure ({exc!r})", source=path, hint=_FIX
        ) from None
    return str(doc["name"]), target


def figures_folder(path: str | Path) -> Path:
    """The figures folder of a cell folder (``<cell>/figures``), or ``path`` itself."""
    path = Path(path)
    return path / "figures" if (path / "figures").is_dir() else path


def render_cell_figures(path: str | Path, out: str | Path | None = None) -> dict[str, Path]:
    """Draw every figure of a cell from its data files.

    Parameters
    ----------
    path:
        A cell folder (its ``figures/`` is used), a figures folder or one figure's JSON.
    out:
        Folder for the PNGs, keeping the layout below the figures folder (default: beside the
        data).

    Returns
    -------
    dict
        Figure name -> written PNG, in file order.

    Raises
    ------
    FigureDataError
        No figure data is there, or a data file is missing or garbled.
    """
    path = Path(path)
    if path.is_file():
        specs, root = [path], path.parent
    else:
        root = figures_folder(path)
        specs = sorted(root.rglob("*.json")) if root.is_dir() else []
    if not specs:
        raise FigureDataError(
            "no figure data (<family>/*.json) found",
            source=root,
            hint="give a cell folder of benchsuite run or evaluate (its figures/ folder; the smoke and "
            "primer profiles write none), or re-evaluate it",
        )
    written: dict[str, Path] = {}
    for spec in specs:
        target = None if out is None else Path(out) / spec.relative_to(root).parent
        name, png = render_figure(spec, None if target is None else target / read_figure_data(spec)["png"])
        written[name] = png
    return written
