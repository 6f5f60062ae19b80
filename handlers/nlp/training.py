"""Learning the intake model's weights from labelled messages (scikit-learn, imported here only).

Each head is a multinomial logistic regression (L2, lbfgs) over the features of
:func:`handlers.nlp.model.features` (the category head also over the lexicon's,
:func:`handlers.nlp.model.lexicon_features`). Features seen in fewer than ``min_count`` examples are
left out, and weights too small to matter are dropped, so the shipped file stays small.

``cross_validate`` gives, for each example, the probabilities a model trained *without its
group* (its corpus file: another writer, other estates) assigns: the honest material for
choosing how the model and the lexicons are blended.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .model import Example, Features, Head

SIZES = ("small", "big", "urgent")


def _head(rows: Sequence[Features], labels: Sequence[str], weights: Sequence[float], order: Sequence[str],
          *, c: float, min_count: int, prune: float) -> Head:
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    counts = Counter(f for feats in rows for f in feats)
    vocabulary = sorted(f for f, n in counts.items() if n >= min_count)
    index = {f: i for i, f in enumerate(vocabulary)}
    cells = [[(index[f], v) for f, v in feats.items() if f in index] for feats in rows]
    cols = [j for row in cells for j, _ in row]
    values = [v for row in cells for _, v in row]
    ptr = np.cumsum([0] + [len(row) for row in cells])
    x = csr_matrix((np.asarray(values, dtype=float), cols, ptr), shape=(len(rows), len(vocabulary)))
    present = [label for label in order if label in set(labels)]
    if len(present) < 2:
        raise ValueError(f"training needs examples of at least two labels, got {present}")
    y = np.array([present.index(label) for label in labels])
    fit = LogisticRegression(C=c, max_iter=5000).fit(x, y, sample_weight=np.asarray(weights, dtype=float))
    coef = np.zeros((len(order), len(vocabulary)))
    bias = np.full(len(order), -30.0)  # a label with no example is never chosen
    for k, label in enumerate(present):
        coef[order.index(label)] = fit.coef_[k]
        bias[order.index(label)] = fit.intercept_[k]
    keep = np.abs(coef).max(axis=0) >= prune
    table = {vocabulary[j]: tuple(float(v) for v in coef[:, j]) for j in np.flatnonzero(keep)}
    return Head(tuple(order), tuple(float(b) for b in bias), table)


def fit(examples: Sequence[Example], text_feats: Sequence[Features], lexicon_feats: Sequence[Features],
        categories: Sequence[str], *, c_category: float = 3.0, c_size: float = 3.0, min_count: int = 2,
        prune: float = 0.005) -> tuple[Head, Head]:
    """The category head (text and lexicon features) and the size head (text features)."""
    weights = [e.weight for e in examples]
    both = [{**t, **lx} for t, lx in zip(text_feats, lexicon_feats)]
    category = _head(both, [e.category for e in examples], weights, tuple(categories),
                     c=c_category, min_count=min_count, prune=prune)
    size = _head(text_feats, [e.size for e in examples], weights, SIZES, c=c_size, min_count=min_count,
                 prune=prune)
    return category, size


def read(intake, examples: Sequence[Example]) -> tuple[list[str], list[Features], list[Features]]:
    """Each example's normalised text, text features and lexicon features, as ``intake`` reads them."""
    from .blend import lexicon_of

    texts = [intake.normalizer(e.text) for e in examples]
    return texts, [intake.features(t) for t in texts], [lexicon_of(intake.classifier, t)[1] for t in texts]


def cross_validate(examples: Sequence[Example], text_feats: Sequence[Features], lexicon_feats: Sequence[Features],
                   categories: Sequence[str], **options) -> dict[str, tuple[Head, Head]]:
    """Per group (``Example.source``: a corpus file), the heads trained on all the other groups:
    an example read with its group's heads is read by a model that never saw its writer."""
    out = {}
    for group in sorted({e.source for e in examples}):
        train = [i for i, e in enumerate(examples) if e.source != group]
        out[group] = fit([examples[i] for i in train], [text_feats[i] for i in train],
                         [lexicon_feats[i] for i in train], categories, **options)
    return out
