"""eval_retrieval reads the data README's formats and writes a TREC run, 5 lines a query."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

RECORDS = [
    {"vclaim_id": "v1", "vclaim": "Russia is preparing to invade Ukraine.", "title": "Invasion?",
     "speaker": "Julianne Smith", "truth_label": "false"},
    {"vclaim_id": "v2", "vclaim": "Drinking bleach cures the flu.", "title": "Bleach and flu",
     "speaker": "Facebook posts"},
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
    queries.write_text("q1\tEnvoy: Russia preparing to invade Ukraine https://t.co/x\n"
                       "q2\tbleach cures flu — A B (@ab) May 1, 2020\n"
                       "q3\tzzzz nothing in common\n", encoding="utf-8")
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("q1\t0\tv1\t1\nq2\t0\tv2\t1\nq3\t0\tv5\t1\n", encoding="utf-8")
    return vclaims, queries, qrels, tmp_path / "run.tsv"


def test_writes_a_trec_run_with_five_lines_a_query(files, capsys):
    vclaims, queries, qrels, run = files
    call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run)
    lines = [line.split("\t") for line in run.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 15
    for query_id in ("q1", "q2", "q3"):
        rows = [row for row in lines if row[0] == query_id]
        assert len(rows) == 5
        assert [int(row[3]) for row in rows] == [1, 2, 3, 4, 5]
        assert all(len(row) == 6 and row[1] == "Q0" and row[5] for row in rows)
        assert len({row[2] for row in rows}) == 5
        scores = [float(row[4]) for row in rows]
        assert scores == sorted(scores, reverse=True)
    assert [row[2] for row in lines if row[0] == "q1"][0] == "v1"
    assert [row[2] for row in lines if row[0] == "q2"][0] == "v2"


def test_prints_map_at_5_with_qrels(files, capsys):
    vclaims, queries, qrels, run = files
    call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run, qrels=qrels)
    out = capsys.readouterr().out
    assert "MAP@5" in out and "over 3 queries" in out
    assert "vclaim 1, title 0.8, speaker 0.3" in out  # fields detected from the records


def test_reports_a_bad_json_line_with_its_number(files):
    vclaims, queries, _, run = files
    vclaims.write_text(json.dumps(RECORDS[0]) + "\n{not json\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"vclaims.jsonl:2: not a JSON object"):
        call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run)


def test_reports_a_record_without_id(files):
    vclaims, queries, _, run = files
    vclaims.write_text(json.dumps({"vclaim": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r":1: no vclaim_id"):
        call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run)


def test_reports_records_without_text_fields(files):
    vclaims, queries, _, run = files
    vclaims.write_text(json.dumps({"vclaim_id": "a", "date": "2020"}) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no text field"):
        call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run)


def test_reports_a_query_line_without_the_text_column(files):
    vclaims, queries, _, run = files
    queries.write_text("q1\tfine\nq2 no tab here\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"queries.tsv:2: expected two tab-separated columns"):
        call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run)


def test_reports_a_malformed_qrels_line(files):
    vclaims, queries, qrels, run = files
    qrels.write_text("q1 0 v1\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"qrels.tsv:1: expected 4 columns"):
        call_command("eval_retrieval", vclaims=vclaims, queries=queries, output=run, qrels=qrels)


def test_reports_a_missing_file(files):
    _, queries, _, run = files
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("eval_retrieval", vclaims=run.parent / "absent.jsonl", queries=queries,
                     output=run)
