"""The optional dense path: fusion, caching and the clear error without the 'dense' extra.

None of these needs torch or the model: a fake encoder (word-hashing vectors) stands in for
all-MiniLM-L6-v2. The vector tests need numpy (the dev extra pins it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np  # pinned in the dev extra; the engine itself does not need it
import pytest
from django.core.management import CommandError, call_command

from claims.engine import dense, retrieval

ROOT = Path(__file__).resolve().parents[2]


# --- fusion (pure Python) -----------------------------------------------------------------

LEX = [("a", 10.0), ("b", 8.0), ("c", 2.0)]
DEN = [("c", 0.9), ("d", 0.8), ("a", 0.5)]


def test_weight_zero_keeps_the_lexical_order_and_one_the_dense_order():
    assert [rid for rid, _ in dense.fuse(LEX, [], 0.0, k=3)] == ["a", "b", "c"]
    assert [rid for rid, _ in dense.fuse([], DEN, 1.0, k=3)] == ["c", "d", "a"]
    # Both lists given: the other side only breaks ties.
    assert [rid for rid, _ in dense.fuse(LEX, DEN, 0.0, k=3)] == ["a", "b", "c"]
    assert [rid for rid, _ in dense.fuse(LEX, DEN, 1.0, k=3)] == ["c", "d", "a"]


def test_fusion_is_a_weighted_sum_of_min_max_normalised_scores():
    fused = dict(dense.fuse(LEX, DEN, 0.5, k=4))
    # lexical normalised over a b c d (d missing: the minimum): a 1, b 0.75, c 0, d 0
    # dense normalised over a b c d (b missing: the minimum): c 1, d 0.75, a 0, b 0
    assert fused["a"] == pytest.approx(0.5)
    assert fused["b"] == pytest.approx(0.375)
    assert fused["c"] == pytest.approx(0.5)
    assert fused["d"] == pytest.approx(0.375)
    # An exact tie breaks by the lexical rank.
    assert [rid for rid, _ in dense.fuse(LEX, DEN, 0.5, k=2)] == ["a", "c"]


def test_exact_dense_scores_fill_in_records_outside_the_dense_list():
    fused = dict(dense.fuse(LEX, DEN, 0.5, k=4, dense_score={"b": 0.9}.get))
    # b's cosine 0.9 ties c at the dense top: b 0.5*0.75 + 0.5*1
    assert fused["b"] == pytest.approx(0.875)
    assert dense.fuse(LEX, DEN, 0.5, k=1, dense_score={"b": 0.9}.get)[0][0] == "b"


def test_fusion_edge_cases():
    assert dense.fuse([], [], 0.5) == []
    assert dense.fuse([("x", 3.0)], [("x", 0.2)], 0.3) == [("x", 1.0)]
    with pytest.raises(ValueError, match="0..1"):
        dense.fuse(LEX, DEN, 1.5)


def test_texts_embedded():
    snopes = {"vclaim_id": "s", "vclaim": "McDonald's offers $1 fries.",
              "title": "$1 Fries", "subtitle": "Rumor: McDonald's offers $1 fries."}
    assert dense.record_text(snopes) == "McDonald's offers $1 fries. $1 Fries"
    politifact = {"vclaim_id": "p", "vclaim": "Crime  fell.", "speaker": "Joe Biden",
                  "title": "Biden on crime"}
    assert dense.record_text(politifact) == "Joe Biden: Crime fell. Biden on crime"
    tweet = ("Crowds were huge #FakeNews https://t.co/x pic.twitter.com/abc "
             "— Sean Spicer (@seanspicer) January 29, 2017")
    assert dense.query_text(tweet) == "Crowds were huge Fake News"


# --- without the extra ----------------------------------------------------------------------

def test_the_engine_imports_without_torch_or_numpy():
    code = ("import sys, claims.engine.dense, claims.engine.retrieval; "
            "bad = {'torch', 'numpy', 'sentence_transformers'} & set(sys.modules); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_a_missing_extra_raises_an_error_naming_it(monkeypatch):
    # None in sys.modules makes the import fail, whether the package is installed or not.
    monkeypatch.setitem(sys.modules, dense.MODEL_PACKAGE, None)
    with pytest.raises(dense.DenseUnavailable) as caught:
        dense.load_encoder()
    message = str(caught.value)
    assert "'dense' extra" in message and "claimtrack[dense]" in message
    assert isinstance(caught.value, ImportError)


def test_the_command_reports_the_missing_extra(monkeypatch, files):
    monkeypatch.setitem(sys.modules, dense.MODEL_PACKAGE, None)
    vclaims, queries, _, run = files
    with pytest.raises(CommandError, match=r"claimtrack\[dense\]"):
        call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run, dense=0.5)
    assert not run.exists()


def test_the_command_checks_its_dense_options(files):
    vclaims, queries, _, run = files
    with pytest.raises(CommandError, match="0..1"):
        call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run, dense=2.0)
    with pytest.raises(CommandError, match="needs --dense"):
        call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run,
                     dense_cache=run.parent / "cache")


# --- with a fake encoder (numpy) ------------------------------------------------------------

class FakeEncoder:
    """Bag of hashed words in 64 dimensions: texts sharing words have a high cosine."""

    def __init__(self):
        self.encoded = 0

    def encode(self, texts, batch_size=32, show_progress_bar=False, convert_to_numpy=True,
               normalize_embeddings=True):
        self.encoded += len(texts)
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in retrieval.analyse(text)[0]:
                out[row, zlib.crc32(word.encode()) % 64] += 1.0
        out[:, 63] += 0.01  # no zero vector
        return out


RECORDS = [
    {"vclaim_id": "v1", "vclaim": "Russia is preparing to invade Ukraine.", "title": "Invasion"},
    {"vclaim_id": "v2", "vclaim": "Drinking bleach cures the flu.", "title": "Bleach"},
    {"vclaim_id": "v3", "vclaim": "Ukraine grain exports doubled in 2021.", "title": "Grain"},
    {"vclaim_id": "v4", "vclaim": "The Kremlin has no plans to invade.", "title": "Denial"},
    {"vclaim_id": "v5", "vclaim": "Gas prices doubled in Europe.", "title": "Gas"},
    {"vclaim_id": "v6", "vclaim": "NATO will not change its open-door policy.", "title": "NATO"},
]


@pytest.fixture
def files(tmp_path):
    vclaims = tmp_path / "vclaims.jsonl"
    vclaims.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    queries = tmp_path / "queries.tsv"
    queries.write_text("q1\tRussia preparing to invade Ukraine https://t.co/x\n"
                       "q2\tbleach cures flu\n", encoding="utf-8")
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("q1\t0\tv1\t1\nq2\t0\tv2\t1\n", encoding="utf-8")
    return vclaims, queries, qrels, tmp_path / "run.tsv"


def test_dense_search_ranks_by_cosine():
    index = dense.DenseIndex.build(RECORDS, FakeEncoder())
    ranked = index.search("bleach cures the flu", k=3)
    assert ranked[0][0] == "v2"
    assert len(ranked) == 3 and ranked[0][1] >= ranked[1][1] >= ranked[2][1]
    assert ranked[0][1] == pytest.approx(1.0, abs=0.3)
    assert len(index.search("anything", k=50)) == len(RECORDS)


def test_hybrid_search_fuses_both_paths():
    lexical = retrieval.Index.build(RECORDS)
    vectors = dense.DenseIndex.build(RECORDS, FakeEncoder())
    query = "Is Russia preparing to invade Ukraine?"
    for weight in (0.0, 0.5, 1.0):
        ranked = dense.hybrid_search(lexical, vectors, query, k=5, weight=weight)
        assert ranked[0][0] == "v1"
        assert len({rid for rid, _ in ranked}) == len(ranked)
        # Only the lexical path can come short of k (records sharing no word are not scored).
        assert len(ranked) == 5 or weight == 0.0
    assert [r for r, _ in dense.hybrid_search(lexical, vectors, query, k=3, weight=0.0)] == \
        [r for r, _ in lexical.search(query, 3)]
    assert [r for r, _ in dense.hybrid_search(lexical, vectors, query, k=3, weight=1.0)] == \
        [r for r, _ in vectors.search(query, 3)]


def test_the_cache_is_keyed_by_the_file_hash(tmp_path, files):
    vclaims = files[0]
    cache = tmp_path / "cache"
    encoder = FakeEncoder()
    first = dense.DenseIndex.build(RECORDS, encoder, cache_dir=cache, source=vclaims)
    assert not first.encoded_from_cache and encoder.encoded == len(RECORDS)
    saved = list(cache.glob("*.npy"))
    assert len(saved) == 1 and dense.file_hash(vclaims)[:32] in saved[0].name
    again = dense.DenseIndex.build(RECORDS, encoder, cache_dir=cache, source=vclaims)
    assert again.encoded_from_cache and encoder.encoded == len(RECORDS)  # not encoded again
    assert np.array_equal(again.vectors, first.vectors)
    # Another file (other contents) gets its own entry.
    vclaims.write_text(vclaims.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    other = dense.DenseIndex.build(RECORDS, encoder, cache_dir=cache, source=vclaims)
    assert not other.encoded_from_cache and len(list(cache.glob("*.npy"))) == 2


def test_the_command_runs_the_hybrid_with_a_cache(monkeypatch, files, capsys):
    encoder = FakeEncoder()
    monkeypatch.setattr(dense, "load_encoder", lambda device="cpu": encoder)
    vclaims, queries, qrels, run = files
    cache = run.parent / "cache"
    for _ in range(2):
        call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run,
                     qrels=qrels, dense=dense.DENSE_WEIGHT, dense_cache=cache)
    out = capsys.readouterr().out
    assert "vclaims encoded" in out and "vclaims from cache" in out
    assert "MAP@5 1.0000 over 2 queries" in out
    lines = [line.split("\t") for line in run.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 10
    assert lines[0][:4] == ["q1", "Q0", "v1", "1"] and lines[0][5] == "claimtrack-hybrid"
    assert [line[2] for line in lines if line[0] == "q2"][0] == "v2"
    call_command("eval_retrieval", "--dense", "--vclaims", str(vclaims), "--queries",
                 str(queries), "--output", str(run))  # the flag alone: the default weight
    assert f"dense weight {dense.DENSE_WEIGHT:g}" in capsys.readouterr().out
