"""Task conversion between binary and quantitative predictions (paper Fig. 4a; docs/protocol.md).

Every model gets both metric families, so binary and quantitative models share one table.
The conventions, exactly as the harness applies them:

**Quantitative -> binary.** The score of a sequence for target ``t`` is the mean predicted
coverage over its input window (the mean over its output bins; bins are equal-sized, so
this equals the mean over positions). On the peak-centered test chunks (central
``input_length`` window) these scores are ranked against the chunk's peak labels:
``peak.auroc`` and ``peak.aupr`` (:func:`sequence_scores`, :func:`classification_metrics`).
GOPHER summed the coverage, which ranks identically.

**Binary -> quantitative.** The pre-sigmoid logit is used as the coverage of the whole input
window. A binary model has one value per window, so:

* ``wholechrom.*`` at the model's own bin (``bin_size = input_length``): the logit of each
  whole-chromosome tile against the tile's mean true coverage, over all tiles;
* ``wholechrom_common.pearson``: the tile's logit is broadcast over the tile's common bins and
  correlated with the true coverage averaged into common bins (:func:`binary_as_coverage`);
* ``peak.pearson``: per target, the Pearson correlation **across** peak-centered test chunks
  between the sequence score (logit, or mean predicted coverage for a quantitative model) and
  the chunk's mean true coverage over the same window (GOPHER's ``binary_comparison``
  evaluation, "Pearson's r at the resolution of the model input"; defined identically for
  both model kinds, which is what makes Fig. 4b's comparison possible);
* within-sequence metrics (``perseq``, ``thresholded``, ``robustness``) are undefined for a
  constant-per-window prediction and are reported as not applicable;
* MSE and the scaled metrics are not applicable: a logit has no coverage scale, and the
  ``mean(true) / mean(pred)`` factor of a signed logit is meaningless (it can be negative
  and flip the sign of the prediction).

**Different binary and coverage targets.** When the label targets (targets with peaks) are
not the coverage targets (targets with tracks), e.g. a label-only cell type, targets are
paired by name and a cell-type-agnostic mean stands in where a target has no counterpart:
see :class:`TargetAlignment`. With the same targets (the simulated bundles, the paper's
setting) nothing changes.
"""

from __future__ import annotations

import numpy as np

from benchsuite.evaluate.stats import aupr_per_target, auroc_per_target, broadcast_bins, pearson_per_target

__all__ = [
    "AGNOSTIC_TARGET",
    "TargetAlignment",
    "binary_as_coverage",
    "classification_metrics",
    "sequence_pearson",
    "sequence_scores",
]


def sequence_scores(pred: np.ndarray, kind: str) -> np.ndarray:
    """One score per sequence and target.

    Parameters
    ----------
    pred:
        Binary: ``(N, T)`` logits (returned unchanged). Quantitative: ``(N, T, B)`` coverage.
    kind:
        ``"binary"`` or ``"quantitative"``.

    Returns
    -------
    numpy.ndarray
        ``(N, T)`` float64: the logit, or the mean predicted coverage over the window.
    """
    pred = np.asarray(pred)
    if kind == "binary":
        if pred.ndim != 2:
            raise ValueError(f"binary predictions must have shape (N, T), got {pred.shape}")
        return pred.astype(np.float64)
    if kind != "quantitative":
        raise ValueError(f"unknown prediction kind {kind!r}")
    if pred.ndim != 3:
        raise ValueError(f"quantitative predictions must have shape (N, T, B), got {pred.shape}")
    return pred.mean(axis=2, dtype=np.float64)


def binary_as_coverage(logits: np.ndarray, n_bins: int) -> np.ndarray:
    """A binary model's ``(N, T)`` logits as ``(N, T, n_bins)`` coverage, constant over the window."""
    logits = np.asarray(logits)
    if logits.ndim != 2:
        raise ValueError(f"logits must have shape (N, T), got {logits.shape}")
    return broadcast_bins(logits, n_bins)


def classification_metrics(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUROC and AUPR (average precision) per target of sequence scores against peak labels.

    Returns
    -------
    (auroc, aupr)
        ``(T,)`` arrays; NaN for a target whose labels hold a single class.
    """
    return auroc_per_target(scores, labels), aupr_per_target(scores, labels)


def sequence_pearson(scores: np.ndarray, mean_coverage: np.ndarray) -> np.ndarray:
    """Pearson r per target across sequences of the sequence score and the mean true coverage.

    Parameters
    ----------
    scores:
        ``(N, T)`` sequence scores (:func:`sequence_scores`).
    mean_coverage:
        ``(N, T)`` mean true coverage over the same windows.

    Returns
    -------
    numpy.ndarray
        ``(T,)``; NaN where a score or the coverage is constant across sequences.
    """
    return pearson_per_target(np.asarray(scores), np.asarray(mean_coverage))


# ----------------------------------------------------------------------------- different targets

AGNOSTIC_TARGET = "cell-type-agnostic"
"""Per-target key of a metric that compares cell-type-agnostic means (see :class:`TargetAlignment`)."""


class TargetAlignment:
    """How a model's targets meet the dataset's coverage targets and label targets.

    A dataset has *coverage targets* ``C`` (targets with a bigWig track: the quantitative task,
    the ``cov`` arrays) and *label targets* ``B`` (targets with a peak file: the binary task, the
    ``labels`` arrays). Usually ``B == C`` (every target has a track and peaks, as in the
    simulated bundles and the paper's ENCODE ATAC-seq setting) and every conversion above is
    per target. When they differ (a target with peaks but no track, e.g. a cell type with peak
    calls only; or tracks without peaks), the conversions pair targets by name and fall back
    to a cell-type-agnostic mean where a target has no counterpart:

    * quantitative model -> ``peak.auroc`` / ``peak.aupr`` per label target ``b``: the sequence
      score is the mean predicted coverage of ``b`` when ``b`` is also a coverage target, else
      the mean over all coverage targets of the mean predicted coverage (cell-type agnostic);
    * binary model -> Pearson metrics (``wholechrom.*``, ``wholechrom_common.pearson``,
      ``peak.pearson``): when every label target is also a coverage target, the logit of ``b``
      against the coverage of ``b`` (per label target); otherwise one cell-type-agnostic pair,
      the mean logit over the label targets against the mean true coverage over the coverage
      targets, reported under the per-target key :data:`AGNOSTIC_TARGET`;
    * robustness (quantitative models): coverage target ``c`` averages the chunks holding a
      peak of ``c`` when ``c`` is a label target, else the chunks holding any peak.

    Parameters
    ----------
    kind:
        The model's task kind, ``"binary"`` or ``"quantitative"``.
    coverage_targets, label_targets:
        ``C`` and ``B`` in dataset order (an empty ``B``: no labels; treated as ``B == C``).
    """

    def __init__(self, kind: str, coverage_targets: tuple[str, ...], label_targets: tuple[str, ...]):
        if kind not in ("binary", "quantitative"):
            raise ValueError(f"unknown prediction kind {kind!r}")
        self.kind = kind
        self.coverage_targets = tuple(coverage_targets)
        self.label_targets = tuple(label_targets) or self.coverage_targets
        self.same = self.label_targets == self.coverage_targets
        cov_index = {n: i for i, n in enumerate(self.coverage_targets)}
        self._label_in_cov = [cov_index.get(b) for b in self.label_targets]
        label_index = {n: i for i, n in enumerate(self.label_targets)}
        self._cov_in_label = [label_index.get(c) for c in self.coverage_targets]
        self.paired = all(i is not None for i in self._label_in_cov)

    @property
    def model_targets(self) -> tuple[str, ...]:
        """The targets the model predicts: label targets (binary) or coverage targets."""
        return self.label_targets if self.kind == "binary" else self.coverage_targets

    @property
    def coverage_names(self) -> tuple[str, ...]:
        """Per-target keys of the coverage-side metrics (Pearson, MSE, robustness...)."""
        if self.kind == "quantitative" or self.same:
            return self.coverage_targets
        return self.label_targets if self.paired else (AGNOSTIC_TARGET,)

    def coverage_pred(self, pred: np.ndarray) -> np.ndarray:
        """Model predictions on the coverage side: ``(N, T', ...)`` matching :meth:`coverage_true`."""
        if self.kind == "quantitative" or self.same or self.paired:
            return pred
        return np.asarray(pred, dtype=np.float64).mean(axis=1, keepdims=True)

    def coverage_true(self, cov: np.ndarray) -> np.ndarray:
        """True coverage ``(N, |C|, ...)`` -> ``(N, T', ...)`` matching :meth:`coverage_pred`."""
        if self.kind == "quantitative" or self.same:
            return cov
        if self.paired:
            return cov[:, np.array([int(i) for i in self._label_in_cov if i is not None], dtype=np.intp)]
        return cov.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)

    def label_scores(self, scores: np.ndarray) -> np.ndarray:
        """Sequence scores ``(N, T_model)`` -> ``(N, |B|)`` scored against the label targets."""
        if self.kind == "binary" or self.same:
            return scores
        scores = np.asarray(scores, dtype=np.float64)
        agnostic = scores.mean(axis=1)
        columns = [scores[:, i] if i is not None else agnostic for i in self._label_in_cov]
        return np.stack(columns, axis=1)

    def coverage_labels(self, labels: np.ndarray) -> np.ndarray:
        """Labels ``(N, |B|)`` -> ``(N, |C|)``: own labels where a coverage target has them, else any peak."""
        if self.same:
            return labels
        labels = np.asarray(labels)
        any_peak = (labels > 0).any(axis=1).astype(labels.dtype)
        columns = [labels[:, i] if i is not None else any_peak for i in self._cov_in_label]
        return np.stack(columns, axis=1)

    def notes(self) -> list[str]:
        """Human-readable conversion notes (empty when the targets are the same)."""
        if self.same:
            return []
        only_labels = [b for b, i in zip(self.label_targets, self._label_in_cov, strict=True) if i is None]
        notes = []
        if self.kind == "quantitative":
            if only_labels:
                notes.append(
                    f"peak.auroc/peak.aupr of label-only target(s) {', '.join(only_labels)} score each "
                    "sequence by the mean predicted coverage over all coverage targets (cell-type agnostic)"
                )
            if any(i is None for i in self._cov_in_label):
                notes.append(
                    "robustness of coverage targets without peaks averages the chunks holding any peak"
                )
        elif self.paired:
            notes.append(
                "Pearson metrics of this binary model pair each label target's logit with the same "
                "target's coverage"
            )
        else:
            notes.append(
                f"Pearson metrics of this binary model compare its mean logit over the label targets "
                f"({', '.join(self.label_targets)}) with the mean coverage over the coverage targets "
                f"(key '{AGNOSTIC_TARGET}'), because label target(s) {', '.join(only_labels)} have no "
                "coverage track"
            )
        return notes

    def to_dict(self) -> dict[str, object]:
        """Table entry of the result (``tables["task_conversion"]``)."""
        return {
            "coverage_targets": list(self.coverage_targets),
            "label_targets": list(self.label_targets),
            "same_targets": self.same,
            "coverage_metric_targets": list(self.coverage_names),
            "notes": self.notes(),
        }
