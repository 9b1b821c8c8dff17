"""eval_relation reads id,claim,text and writes exactly id,label."""

import csv

import pytest
from django.core.management import CommandError, call_command


def test_eval_relation_writes_id_label(tmp_path):
    source = tmp_path / "in.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "claim", "text", "label", "group"])
        writer.writerow(["a", "Russia is preparing to invade Ukraine",
                         "Moscow denied any plans to invade", "contradicts", "g"])
        writer.writerow(["b", "Russia is preparing to invade Ukraine",
                         "U.S. envoy says Russia preparing invasion", "supports", "g"])
        writer.writerow(["c", "Russia is preparing to invade Ukraine",
                         "Is Russia preparing to invade Ukraine?", "neutral", "g"])
    out = tmp_path / "out.csv"
    call_command("eval_relation", input=source, output=out)
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    assert header == ["id", "label"]
    assert rows == [["a", "contradicts"], ["b", "supports"], ["c", "neutral"]]


def test_eval_relation_names_a_missing_column(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,claim,headline\n1,x,y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column.*text"):
        call_command("eval_relation", input=source, output=tmp_path / "out.csv")


def test_eval_relation_reports_an_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("eval_relation", input=tmp_path / "absent.csv", output=tmp_path / "o.csv")
    binary = tmp_path / "bad.csv"
    binary.write_bytes(b"id,claim,text\n1,\xff\xfe,x\n")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("eval_relation", input=binary, output=tmp_path / "o.csv")
