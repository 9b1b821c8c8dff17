"""The evaluation commands read and write exactly the formats of the data README."""

import csv
import json

import pytest
from django.core.management import CommandError, call_command

from claims import engine
from claims.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_eval_checkworthiness_writes_id_score_label(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "id,text,label\n7,Unemployment fell to 4.1 percent in 2019.,1\n"
        "8,\"Thank you, and good evening.\",0\n", encoding="utf-8")
    call_command("eval_checkworthiness", input=source, output=tmp_path / "out.csv")
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["7", "8"]
    assert rows[0]["label"] == "1" and rows[1]["label"] == "0"
    assert all(0 <= float(r["score"]) <= 1 for r in rows)


def test_eval_checkworthiness_names_a_missing_column(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,sentence\n1,x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="text"):
        call_command("eval_checkworthiness", input=source, output=tmp_path / "out.csv")


def test_eval_extraction_writes_claims_with_offsets_into_the_input(tmp_path):
    text = ("  MOSCOW (AP) — The Kremlin denied on Friday that it planned to close the border. "
            '"We have no such plans," spokesman Ivan Petrov told reporters.')
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a1", "text": text, "extra": 1}) + "\n", encoding="utf-8")
    call_command("eval_extraction", input=source, output=tmp_path / "out.jsonl")
    (record,) = [json.loads(line) for line in (tmp_path / "out.jsonl").open(encoding="utf-8")]
    assert record["id"] == "a1"
    assert record["claims"]
    for claim in record["claims"]:
        assert text[claim["start"]:claim["end"]] == claim["text"]
        for key in ("speaker", "cue"):
            if claim[key]:
                assert text[claim[key]["start"]:claim[key]["end"]] == claim[key]["text"]
        assert claim["kind"] in engine.KINDS
    assert any(c["kind"] == "denial" for c in record["claims"])


def test_eval_extraction_reports_a_malformed_line(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "body": "x"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match=":1: not a"):
        call_command("eval_extraction", input=source, output=tmp_path / "out.jsonl")


def test_reextract_outdated_queues_only_articles_of_older_engines(
        django_capture_on_commit_callbacks):
    old = ArticleFactory(extractor_version="0.0.1")
    current = ArticleFactory(extractor_version=engine.ENGINE_VERSION)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reextract_outdated")
    old.refresh_from_db()
    current.refresh_from_db()
    assert old.extractor_version == engine.ENGINE_VERSION
    assert old.state == Article.State.DONE and old.claims.exists()
    assert not current.claims.exists()  # left alone


def test_eval_checkworthiness_reads_a_file_with_a_byte_order_mark(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("\ufeffid,text\n1,Taxes rose by 3 percent in 2020.\n", encoding="utf-8")
    call_command("eval_checkworthiness", input=source, output=tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("id,score,label")


def test_eval_extraction_reports_bad_input_without_leaving_a_partial_file(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b'{"id": 1, "text": "The mayor said taxes rose."}\n'
                       b'{"id": 2, "text": "Caf\xe9"}\n')
    with pytest.raises(CommandError, match=":2: not valid UTF-8"):
        call_command("eval_extraction", input=source, output=tmp_path / "out.jsonl")
    assert not (tmp_path / "out.jsonl").exists()
    assert not list(tmp_path.glob(".out.jsonl.*"))
    source.write_text("[" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match=":1: not a"):
        call_command("eval_extraction", input=source, output=tmp_path / "out.jsonl")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("eval_extraction", input=source, output=tmp_path / "nope" / "out.jsonl")


def test_eval_extraction_survives_a_lone_surrogate(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "The mayor said taxes rose by 3%. \\ud800"}\n',
                      encoding="utf-8")
    call_command("eval_extraction", input=source, output=tmp_path / "out.jsonl")
    assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))["claims"]


def test_reextract_outdated_leaves_articles_the_current_engine_failed(
        django_capture_on_commit_callbacks):
    failed_now = ArticleFactory(state=Article.State.FAILED, error="Extraction error: x",
                                extractor_version=engine.ENGINE_VERSION)
    failed_by_worker = ArticleFactory(state=Article.State.FAILED, error="Gave up",
                                      extractor_version="")
    failed_before = ArticleFactory(state=Article.State.FAILED, error="Extraction error: y",
                                   extractor_version="0.0.1")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reextract_outdated")
    for article, state in ((failed_now, "failed"), (failed_by_worker, "failed"),
                           (failed_before, "done")):
        article.refresh_from_db()
        assert article.state == state
    with pytest.raises(CommandError):
        call_command("reextract_outdated", "--limit=-1")
