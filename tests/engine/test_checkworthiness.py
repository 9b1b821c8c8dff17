"""The shipped check-worthiness model: exact features, sensible scores, reproducible build."""

from __future__ import annotations

from pathlib import Path

import pytest

from claims.engine import analyse, checkworthiness
from tests.conftest import require_data

TRAIN = Path(__file__).resolve().parents[3] / "shared" / "data" / "checkworthiness" / "train.csv"


def test_it_scores_a_factual_figure_above_an_opinion():
    model = checkworthiness.load_model()
    factual = model.score("Unemployment fell to 4.1 percent last year, the lowest since 2001.")
    opinion = model.score("I think we all want a better future for our children.")
    assert 0.0 <= opinion < 0.5 < factual <= 1.0


def test_it_puts_the_default_threshold_at_one_half():
    model = checkworthiness.load_model()
    sentence = "The budget grew by 12 percent in 2019."
    assert (model.score(sentence) >= 0.5) == (model.decision(sentence) >= model.threshold)


def test_it_builds_character_ngrams_like_the_trainer():
    assert checkworthiness.char_ngrams("ab  c", 2, 3) == [
        " a", "ab", "b ", " ab", "ab ", " c", "c ", " c "]
    assert checkworthiness.word_ngrams("we cut 0 %") == ["we", "cut", "0", "%", "we cut", "cut 0", "0 %"]


def test_analyse_scores_each_claim_by_its_sentence():
    text = ("The mayor said on Monday that the city spent $4 million on the bridge in 2021. "
            "\"I love this town,\" she said.")
    claims = analyse(text)
    assert claims and all(c.checkworthiness is not None for c in claims)
    spending = next(c for c in claims if "$4 million" in c.content.text)
    assert spending.checkworthiness > 0.5


def test_the_pure_python_scorer_matches_the_trainers_model(tmp_path):
    import csv

    require_data(TRAIN)

    from claims.training import checkworthiness as training

    sample = tmp_path / "sample.csv"
    with TRAIN.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:3000]
    with sample.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    vectorisers, svm = training._fit(
        [checkworthiness.normalise(r["text"]) for r in rows], [int(r["label"]) for r in rows], 1)
    path = tmp_path / "model.json.gz"
    training.write_model(training.train(sample, seed=1), path)
    model = checkworthiness.Model.__new__(checkworthiness.Model)
    import gzip
    import json

    model.__init__(json.loads(gzip.decompress(path.read_bytes())))
    texts = [r["text"] for r in rows[:200]]
    expected = training._decisions(vectorisers, svm, [checkworthiness.normalise(t) for t in texts])
    for text, want in zip(texts, expected):
        assert model.decision(text) == pytest.approx(want, abs=1e-4)


@pytest.mark.slow
def test_the_shipped_model_is_rebuilt_bit_for_bit_from_the_data():
    require_data(TRAIN)
    from claims.training import checkworthiness as training

    rebuilt = training.model_bytes(training.train(TRAIN, seed=13))
    assert rebuilt == training.read_model_bytes(checkworthiness.MODEL_PATH)
