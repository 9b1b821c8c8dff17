"""calibrate_matching scores the product's fact-check rule on CheckThat!-format files.

The fixture is built so that every number is known: vocabularies do not overlap between
topics (each query's only candidates are the intended ones), all words are lower case (no name
doubling) and each kept term has weight 2 in ``claim_vector``, so a query that repeats a
four-term fact-check and adds four other terms scores 4 / sqrt(4 * 8) = 0.707.

No test here is marked ``django_db``: a command that touched the database would fail them.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from claims.management.commands.calibrate_matching import Pair, best_row, threshold_table

SNOPES_VCLAIMS = [
    {"vclaim_id": "s1", "vclaim": "volcano ash grounded flights over iceland", "title": "Ash"},
    {"vclaim_id": "s2", "vclaim": "penguins learned to skate on frozen lakes"},
    {"vclaim_id": "s3", "vclaim": "a comet will hit the moon next tuesday"},
    {"vclaim_id": "s4", "vclaim": "farmers harvest purple carrots"},
    {"vclaim_id": "s5", "vclaim": "llamas yodel"},
    {"vclaim_id": "s6", "title": "no claim text: the importer refuses it"},
]
SNOPES_QUERIES = [
    # identical to its fact-check once the tweet's link and trailer are gone: right at 1.0
    ("q1", "volcano ash grounded flights over iceland https://t.co/x1 "
           "— Ann Lee (@annlee) May 1, 2020"),
    # identical to a fact-check that is not its own (s3 shares no word): wrong at 1.0
    ("q2", "penguins learned to skate on frozen lakes"),
    # its fact-check plus four other terms: right at 0.707
    ("q3", "farmers harvest purple carrots despite heavy autumn rain"),
    # its fact-check exactly, but only two terms: never suggested
    ("q4", "llamas yodel"),
    # not in the qrels: neither right nor wrong
    ("q5", "volcano ash grounded flights over iceland"),
]
SNOPES_QRELS = [("q1", "s1"), ("q2", "s3"), ("q3", "s4"), ("q4", "s5")]
POLITIFACT_VCLAIMS = [
    {"vclaim_id": "p1", "vclaim": "the deficit tripled under the governor", "speaker": "someone"},
    {"vclaim_id": "p2", "vclaim": "wind turbines cause whales to beach themselves"},
]
POLITIFACT_QUERIES = [("d1", "the deficit tripled under the governor")]
POLITIFACT_QRELS = [("d1", "p1")]


def write_dataset(folder, vclaims, queries, qrels, split="train"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vclaims.jsonl").write_text("".join(json.dumps(r) + "\n" for r in vclaims),
                                          encoding="utf-8")
    (folder / f"queries-{split}.tsv").write_text(
        "".join(f"{qid}\t{text}\n" for qid, text in queries), encoding="utf-8")
    (folder / f"qrels-{split}.tsv").write_text(
        "".join(f"{qid}\t0\t{vid}\t1\n" for qid, vid in qrels), encoding="utf-8")


@pytest.fixture
def data(tmp_path):
    root = tmp_path / "retrieval"
    write_dataset(root / "snopes", SNOPES_VCLAIMS, SNOPES_QUERIES, SNOPES_QRELS)
    write_dataset(root / "politifact", POLITIFACT_VCLAIMS, POLITIFACT_QUERIES, POLITIFACT_QRELS)
    return root


def rows_by_threshold(table):
    return {row["threshold"]: row for row in table["rows"]}


def test_it_reports_precision_and_recall_of_the_rule_per_dataset(data, tmp_path):
    output = tmp_path / "table.json"
    call_command("calibrate_matching", data=data, output=output)
    report = json.loads(output.read_text(encoding="utf-8"))
    snopes = report["datasets"]["snopes"]
    assert (snopes["queries"], snopes["gold_in_candidates"]) == (4, 3)  # q2's s3 is not found
    rows = rows_by_threshold(snopes)
    assert sorted(rows) == [round(0.30 + 0.05 * i, 2) for i in range(14)]
    for threshold in (0.30, 0.50, 0.70):  # q1 right, q2 wrong, q3 right (0.707)
        row = rows[threshold]
        assert (row["suggested"], row["correct"], row["queries_found"]) == (3, 2, 2)
        assert row["precision"] == pytest.approx(2 / 3)
        assert row["recall"] == pytest.approx(2 / 4)
        assert row["f1"] == pytest.approx(4 / 7)
        assert row["f0_5"] == pytest.approx(0.625)
    for threshold in (0.75, 0.90, 0.95):  # q3 drops out; q1 still scores 1.0 without its trailer
        row = rows[threshold]
        assert (row["suggested"], row["correct"]) == (2, 1)
        assert row["precision"] == pytest.approx(0.5)
        assert row["recall"] == pytest.approx(0.25)


def test_it_pools_both_datasets_and_picks_the_best_f05(data, tmp_path):
    output = tmp_path / "table.json"
    out = io.StringIO()
    call_command("calibrate_matching", data=data, output=output, stdout=out)
    report = json.loads(output.read_text(encoding="utf-8"))
    pooled = rows_by_threshold(report["pooled"])
    assert report["pooled"]["queries"] == 5
    assert (pooled[0.70]["suggested"], pooled[0.70]["correct"]) == (4, 3)
    assert pooled[0.70]["f0_5"] == pytest.approx(1.25 * 0.75 * 0.6 / (0.25 * 0.75 + 0.6))
    assert (pooled[0.75]["suggested"], pooled[0.75]["correct"]) == (3, 2)
    # 0.30 .. 0.70 tie on F0.5; the highest of them is chosen (fewer wrong suggestions).
    assert report["best_threshold"] == 0.70
    assert "threshold 0.70 (precision 0.750, recall 0.600" in out.getvalue()


def test_it_reads_the_split_it_is_given(data, tmp_path):
    # dev holds only q4 (never suggested), so nothing is found on dev.
    write_dataset(data / "snopes", SNOPES_VCLAIMS, [SNOPES_QUERIES[3]], [SNOPES_QRELS[3]],
                  split="dev")
    output = tmp_path / "dev.json"
    call_command("calibrate_matching", data=data, split="dev", datasets=["snopes"], output=output)
    report = json.loads(output.read_text(encoding="utf-8"))
    assert report["split"] == "dev" and list(report["datasets"]) == ["snopes"]
    assert report["pooled"]["queries"] == 1
    assert all(row["suggested"] == 0 and row["precision"] == 0.0
               for row in report["pooled"]["rows"])


def test_it_names_a_missing_file(data):
    with pytest.raises(CommandError, match=r"politifact[/\\]qrels-dev.tsv"):
        call_command("calibrate_matching", data=data, split="dev", datasets=["politifact"])


def test_it_counts_a_query_once_however_many_of_its_fact_checks_are_suggested():
    pairs = [Pair("q", "a", 0.9, 3, True), Pair("q", "b", 0.9, 3, True),
             Pair("r", "c", 0.9, 2, True), Pair("r", "d", 0.4, 5, False)]
    row = threshold_table(pairs, judged=2, thresholds=(0.35, 0.5))
    assert (row[0]["suggested"], row[0]["correct"], row[0]["queries_found"]) == (3, 2, 1)
    assert row[0]["precision"] == pytest.approx(2 / 3) and row[0]["recall"] == 0.5
    assert row[1]["precision"] == 1.0 and row[1]["recall"] == 0.5
    assert best_row(row)["threshold"] == 0.5
