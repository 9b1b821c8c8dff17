"""attribution_prf on tiny invented gold sets."""

from __future__ import annotations

import pytest

from claims.engine import extract_claims
from claims.engine.scoring import attribution_prf

TEXT = "Reyes said the bridge was safe. The river rose two feet on Monday."


def _gold(content, source):
    def span(s):
        i = TEXT.index(s)
        return {"start": i, "end": i + len(s), "text": s}

    return {"source": span(source), "cue": None, "content": span(content)}


def test_it_scores_a_perfect_prediction():
    gold = [{"id": "a", "text": TEXT, "attributions": [_gold("the bridge was safe", "Reyes")]}]
    scores = attribution_prf(gold, {"a": extract_claims(TEXT)})
    # The outlet's own sentence has no speaker and is not counted as a prediction.
    assert scores["precision"] == scores["recall"] == scores["f1"] == 1.0
    assert scores["speaker_touch"] == 1.0


def test_it_requires_half_of_the_union_to_overlap_and_matches_one_to_one():
    gold = [{"id": "a", "text": TEXT, "attributions": [_gold("the bridge was safe", "Reyes")]}]
    pred = {"a": [
        {"start": 11, "end": 14, "speaker": {"start": 0, "end": 5}},  # "the": too small
        {"start": 11, "end": 29, "speaker": {"start": 0, "end": 5}},
        {"start": 11, "end": 30, "speaker": None},  # no speaker: not a prediction
        {"start": 12, "end": 30, "speaker": {"start": 32, "end": 35}},  # second match refused
    ]}
    scores = attribution_prf(gold, pred)
    assert scores["matched"] == 1 and scores["predicted"] == 3
    assert scores["precision"] == pytest.approx(1 / 3)
    assert scores["recall"] == 1.0
    assert scores["speaker_touch"] == 1.0


def test_the_cli_scores_either_half_of_a_file(tmp_path, capsys):
    from claims.engine.scoring import main

    path = tmp_path / "gold.jsonl"
    import json

    arts = [{"id": f"a{i}", "text": TEXT,
             "attributions": [_gold("the bridge was safe", "Reyes")]} for i in range(4)]
    path.write_text("\n".join(json.dumps(a) for a in arts) + "\n", encoding="utf-8")
    for half in ("first", "second"):
        assert main([str(path), "--half", half]) == 0
        out = capsys.readouterr().out
        assert "gold           2" in out and "f1             1.000" in out
