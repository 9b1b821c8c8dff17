"""Training of the check-worthiness model (needs the ``train`` extra: scikit-learn).

Deterministic: the same data file, seed and library versions give the same JSON bytes.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from pathlib import Path

from claims.engine.checkworthiness import char_ngrams, normalise, word_ngrams

# Hyper-parameters chosen by 5-fold cross-validation on train.csv only (see docs/quality.md):
# word 1-2-grams (min_df 2) + within-word character 2-5-grams (min_df 3), LinearSVC C=0.1.
C = 0.1
WORD_MIN_DF = 2
CHAR_MIN_DF = 3
FOLDS = 5
SIGNIFICANT = 7  # digits kept per weight: small file, stable bytes


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT}g}")


def read_rows(path: Path) -> tuple[list[str], list[int]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [int(r["label"]) for r in rows]


def _vectorisers():
    from sklearn.feature_extraction.text import TfidfVectorizer

    common = {"sublinear_tf": True, "lowercase": False}
    return {
        "word": TfidfVectorizer(analyzer=word_ngrams, min_df=WORD_MIN_DF, **common),
        "char": TfidfVectorizer(analyzer=char_ngrams, min_df=CHAR_MIN_DF, **common),
    }


def _fit(texts, labels, seed):
    from scipy.sparse import hstack
    from sklearn.svm import LinearSVC

    vectorisers = _vectorisers()
    matrix = hstack([v.fit_transform(texts) for v in vectorisers.values()]).tocsr()
    model = LinearSVC(C=C, random_state=seed, max_iter=5000).fit(matrix, labels)
    return vectorisers, model


def _decisions(vectorisers, model, texts):
    from scipy.sparse import hstack

    return model.decision_function(hstack([v.transform(texts) for v in vectorisers.values()]))


def _best_threshold(labels, scores) -> float:
    """The decision threshold with the best positive-class F1 over out-of-fold scores."""
    import numpy as np
    from sklearn.metrics import f1_score

    grid = np.round(np.arange(-1.0, 1.0001, 0.05), 2)
    results = [(f1_score(labels, (scores > t).astype(int)), -abs(t), t) for t in grid]
    return float(max(results)[2])


def _platt_slope(labels, scores, threshold) -> float:
    from sklearn.linear_model import LogisticRegression

    shifted = (scores - threshold).reshape(-1, 1)
    return float(LogisticRegression(C=1.0).fit(shifted, labels).coef_[0][0])


def train(path: Path, *, seed: int) -> dict:
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    texts, labels = read_rows(path)
    texts = [normalise(t) for t in texts]
    labels = np.array(labels)
    out_of_fold = np.zeros(len(labels))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    for fit_idx, held_idx in folds.split(texts, labels):
        vectorisers, model = _fit([texts[i] for i in fit_idx], labels[fit_idx], seed)
        out_of_fold[held_idx] = _decisions(vectorisers, model, [texts[i] for i in held_idx])
    threshold = _best_threshold(labels, out_of_fold)
    slope = _platt_slope(labels, out_of_fold, threshold)

    vectorisers, model = _fit(texts, labels, seed)
    weights = model.coef_[0]
    features, offset = {}, 0
    for name, vectoriser in vectorisers.items():
        vocabulary = vectoriser.vocabulary_
        block = {}
        for term, index in sorted(vocabulary.items()):
            block[term] = [_round(vectoriser.idf_[index]), _round(weights[offset + index])]
        features[name] = block
        offset += len(vocabulary)
    return {
        "version": f"cw-{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}-s{seed}",
        "trained_on": path.name,
        "rows": len(labels),
        "seed": seed,
        "C": C,
        "intercept": _round(model.intercept_[0]),
        "threshold": threshold,
        "slope": _round(slope),
        "features": features,
    }


def model_bytes(model: dict) -> bytes:
    """The model as canonical JSON (sorted keys, fixed separators)."""
    return json.dumps(model, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def write_model(model: dict, path: Path) -> None:
    buffer = io.BytesIO()
    # mtime=0 and no file name: the same model gives the same file.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(model_bytes(model))
    path.write_bytes(buffer.getvalue())


def read_model_bytes(path: Path) -> bytes:
    with gzip.open(path, "rb") as handle:
        return handle.read()
