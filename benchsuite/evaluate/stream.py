"""Streaming passes over the test splits: predict each batch once, feed every family of the split.

:func:`stream_split` reads one test split in batches of ``EvalOptions.batch_size`` rows,
asks the source for predictions of each batch's windows and hands the same
:class:`~benchsuite.evaluate.families.base.Batch` to every streaming family of that split.

Windows: the ``wholechrom`` tiles are cut into consecutive ``input_length`` windows (a tile
of ``k * input_length`` bp gives ``k`` windows, so a shorter-input model still covers the
whole chromosome); the ``quantitative`` and ``binary`` chunks contribute their central
``input_length`` window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from benchsuite.errors import DatasetError
from benchsuite.evaluate.families.base import Batch, Context, StreamingFamily
from benchsuite.evaluate.result import EvalResult, NotApplicable
from benchsuite.evaluate.sources import batch_ranges, central_offset, get_test_split

__all__ = ["stream_split"]

logger = logging.getLogger(__name__)

_LABELS = {"wholechrom": "whole chromosome", "quantitative": "per-sequence", "binary": "peak-centered"}


def _skip(result: EvalResult, family: StreamingFamily, reason: str, key: str | None = None) -> None:
    for k in (key,) if key else (family.key, *family.also_skips):
        result.skip(k, reason)
    logger.info("evaluate: %s not applicable: %s", key or family.key, reason)


def _geometry(ctx: Context, kind: str, split: Any) -> int:
    """Windows per split row (raises NotApplicable when the source's input does not fit)."""
    width, length = int(split.seq.shape[1]), int(ctx.source.input_length)
    if kind == "wholechrom":
        if length > width or width % length:
            raise NotApplicable(
                f"the whole-chromosome tiles are {width} bp; "
                f"an input length of {length} bp does not tile them"
            )
        return width // length
    if length > width:
        raise NotApplicable(f"input length {length} exceeds the {width}-bp test chunks")
    return 1


def _batches(ctx: Context, kind: str, split: Any, per_row: int) -> Iterator[Batch]:
    src, length = ctx.source, ctx.source.input_length
    t_cov = len(ctx.cache.target_names)
    width = int(split.seq.shape[1])
    off = 0 if kind == "wholechrom" else central_offset(width, length)
    row_blocks, _ = ctx.row_blocks(split)
    for rows in batch_ranges(len(split), ctx.options.batch_size):
        if kind == "wholechrom":
            codes = np.asarray(split.seq[rows]).reshape(-1, length)
            cov = np.asarray(split.cov[rows], dtype=np.float32)
            if per_row > 1:  # (n, T, k * L) -> (n * k, T, L)
                n = cov.shape[0]
                cov = cov.reshape(n, t_cov, per_row, length).transpose(0, 2, 1, 3).reshape(-1, t_cov, length)
        else:
            codes = np.asarray(split.seq[rows, off : off + length])
            cov = np.asarray(split.cov[rows, :, off : off + length], dtype=np.float32)
        # a model whose input is a divisor of the tile predicts the sub-tiles
        pred = src.window_predictions(split, rows, off, codes) if per_row == 1 else src.predict_codes(codes)
        yield Batch(
            ctx=ctx,
            pred=pred,
            cov=cov,
            codes=codes,
            rows=rows,
            windows_per_row=per_row,
            row_blocks=row_blocks[rows],
        )


def _started(
    ctx: Context, kind: str, families: Sequence[StreamingFamily], result: EvalResult
) -> tuple[Any, int, list[StreamingFamily]]:
    """The split, windows per row and the families that apply (the others are skipped with reasons)."""
    active: list[StreamingFamily] = []
    for family in families:
        try:
            family.check(ctx)
            active.append(family)
        except NotApplicable as exc:
            _skip(result, family, exc.reason, exc.key)
    if not active:
        return None, 0, []
    try:
        split = get_test_split(ctx.cache, kind)
        per_row = _geometry(ctx, kind, split)
    except (NotApplicable, DatasetError) as exc:
        reason = exc.reason if isinstance(exc, NotApplicable) else exc.message
        for family in active:
            _skip(result, family, reason)
        return None, 0, []
    started: list[StreamingFamily] = []
    for family in active:
        try:
            family.start(ctx, split)
            started.append(family)
        except NotApplicable as exc:
            _skip(result, family, exc.reason, exc.key)
    return split, per_row, started


def stream_split(ctx: Context, kind: str, families: Sequence[StreamingFamily], result: EvalResult) -> None:
    """One pass over the ``kind`` test split feeding ``families``; their results go into ``result``.

    A family that does not apply (its ``check``/``start`` raised NotApplicable, or the split is
    missing or does not fit the source) is recorded in ``result.not_applicable`` instead. Seconds
    spent per family (updates and finish) go to ``result.timings[family.key]``, the source's
    predictions and the reading of the split to ``result.timings["predict." + kind]``.
    """
    split, per_row, active = _started(ctx, kind, families, result)
    if not active:
        return
    spent = dict.fromkeys((f.key for f in active), 0.0)
    advance = ctx.progress.task(f"{_LABELS.get(kind, kind)} ({ctx.source.name})", len(split))
    t_pass = time.perf_counter()
    try:
        for batch in _batches(ctx, kind, split, per_row):
            for family in active:
                t0 = time.perf_counter()
                family.update(batch)
                spent[family.key] += time.perf_counter() - t0
            advance(batch.rows.stop - batch.rows.start)
        for family in active:
            t0 = time.perf_counter()
            result.merge(family.finish())
            spent[family.key] += time.perf_counter() - t0
    except DatasetError as exc:  # e.g. a split without replicate-2 coverage
        for family in active:
            _skip(result, family, exc.message)
    finally:
        for family in active:
            family.close()
    for key, seconds in spent.items():
        result.timings[key] = result.timings.get(key, 0.0) + seconds
    result.timings[f"predict.{kind}"] = time.perf_counter() - t_pass - sum(spent.values())
