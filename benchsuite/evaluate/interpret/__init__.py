"""Model interpretation scored against a simulated bundle's ground truth (docs/interpretation.md).

One operation per module, each ``func(scalar_or_model, X, ...)``:

* :mod:`.outputs` - the scalar a model is interpreted through (logit, or mean coverage);
* :mod:`.attributions` - corrected saliency and gradient x input (torch autograd);
* :mod:`.ism` - batched in-silico mutagenesis;
* :mod:`.gia` - global importance analysis (dinucleotide-shuffled backgrounds, motifs, pairs,
  flanks);
* :mod:`.truth` - planted sites, activities, pairs and flanks read from ``truth.json``;
* :mod:`.scores` - the statistics vs the truth; :mod:`.gia_scores` - GIA readouts vs the oracle's;
* :mod:`.seqlets` - top attribution seqlets matched to a motif database (Tomtom);
* :mod:`.figures` - the data of its figures (attribution logos, pair curves, seqlets);
* :mod:`.protocol` - the fixed experiments of a dataset and the oracle's (memoised) answers.

The harness family is :class:`benchsuite.evaluate.families.interpret.Interpret`.
"""
