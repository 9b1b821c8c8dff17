"""The real-news check: sheets drawn from a stream in date order, labels re-scored against what
the product makes now (claims that changed are not counted)."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import CommandError, call_command

ARTICLES = [
    ("b_2016-02-01_port", "2016-02-01",
     "The harbour board said it had no record of the payments. Ana Ruiz criticized the mayor "
     "for supporting the toll. \"The ferries will run all winter,\" said Tom Reyes."),
    ("a_2016-01-01_fares", "2016-01-01",
     "Fares rose 40 percent in 2015, the port authority said. Officials denied that the "
     "ferry operator was losing money."),
]


@pytest.fixture
def stream(tmp_path):
    folder = tmp_path / "attribution"
    folder.mkdir()
    with (folder / "metadata.tsv").open("w", encoding="utf-8") as handle:
        handle.write("filename\tpublisher\tpublication_date\n")
        for doc_id, date, _ in ARTICLES:
            handle.write(f"{doc_id}\ttest\t{date}\n")
    text = ARTICLES[1][2]
    start = text.index("the ferry operator")
    negative = {"source": None, "cue": {"text": "denied"},
                "content": {"start": start, "end": len(text) - 1, "text": text[start:-1]}}
    (folder / "train.jsonl").write_text(
        json.dumps({"id": ARTICLES[0][0], "text": ARTICLES[0][2], "attributions": []}) + "\n")
    (folder / "dev.jsonl").write_text(
        json.dumps({"id": ARTICLES[1][0], "text": text, "attributions": [negative]}) + "\n")
    return folder


def draw(stream, out):
    call_command("judge_realnews", "draw", "--data", str(stream), "--out", str(out),
                 "--claims", "50", "--denials", "5")
    read = lambda name: [json.loads(line) for line in (out / name).open(encoding="utf-8")]  # noqa: E731
    return read("claims.jsonl"), read("denials.jsonl")


def write_labels(folder, claims, denials, **override):
    folder.mkdir(exist_ok=True)
    with (folder / "claims.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["article", "start", "end", "fingerprint", "faithful", "claimant",
                      "fragment", "denial"])
        for row in claims:
            labels = override.get(row["statement"], ("y", "y", "n", "n"))
            out.writerow([row["article"], row["start"], row["end"], row["fingerprint"], *labels])
    with (folder / "denials.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["article", "start", "end", "denial"])
        for row in denials:
            out.writerow([row["article"], row["start"], row["end"], "y"])


def test_the_sheets_follow_the_stream_in_date_order_with_the_words_to_judge(stream, tmp_path):
    claims, denials = draw(stream, tmp_path)
    assert [row["article"] for row in claims] == sorted(
        (row["article"] for row in claims), key=lambda a: a.split("_")[1])
    assert claims[0]["article"] == "a_2016-01-01_fares"
    assert all("[[" in row["context"] and row["statement"] for row in claims)
    assert [row["article"] for row in denials] == ["a_2016-01-01_fares"]


def test_score_counts_the_labels_of_claims_still_made(stream, tmp_path, capsys):
    claims, denials = draw(stream, tmp_path)
    capsys.readouterr()
    denial = next(row for row in claims if row["statement"] == "It had no record of the payments")
    write_labels(tmp_path / "labels", claims, denials,
                 **{denial["statement"]: ("y", "n", "n", "y")})
    call_command("judge_realnews", "score", "--data", str(stream),
                 "--labels", str(tmp_path / "labels"), "--json")
    figures = json.loads(capsys.readouterr().out)
    assert figures["claims"]["current"] == len(claims)
    assert figures["claims"]["claimant_right"]["count"] == len(claims) - 1
    assert figures["claims"]["denials_said_found"] == 1
    assert figures["denials"] == {"judged": 1, "denials": 1, "found": 1, "recall": 1.0,
                                  "missed": [], "missed_without_claim": 0}


def test_a_claim_whose_words_changed_is_not_counted(stream, tmp_path, capsys):
    claims, denials = draw(stream, tmp_path)
    capsys.readouterr()
    claims[0]["fingerprint"] = "0" * 12  # judged when it read differently
    write_labels(tmp_path / "labels", claims, denials)
    call_command("judge_realnews", "score", "--data", str(stream),
                 "--labels", str(tmp_path / "labels"), "--json")
    figures = json.loads(capsys.readouterr().out)
    assert figures["claims"]["current"] == len(claims) - 1
    assert figures["claims"]["stale"] == [
        f"{claims[0]['article']}:{claims[0]['start']}-{claims[0]['end']}"]


def test_bad_labels_and_a_missing_stream_are_clear_errors(stream, tmp_path):
    claims, denials = draw(stream, tmp_path)
    write_labels(tmp_path / "labels", claims, denials,
                 **{claims[0]["statement"]: ("yes", "y", "n", "n")})
    with pytest.raises(CommandError, match="faithful must be y or n"):
        call_command("judge_realnews", "score", "--data", str(stream),
                     "--labels", str(tmp_path / "labels"))
    with pytest.raises(CommandError, match="metadata.tsv is missing"):
        call_command("judge_realnews", "score", "--data", str(tmp_path / "nowhere"))
    with pytest.raises(CommandError, match="draw needs --out"):
        call_command("judge_realnews", "draw", "--data", str(stream))


LINKED = [
    ("c_2016-03-01_wall", "2016-03-01", "outlet-a",
     "The candidate said Mexico will pay for a border wall along the southern frontier. "
     "Crowds filled the arena."),
    ("d_2016-03-02_wall", "2016-03-02", "outlet-b",
     "The candidate said Mexico will pay for a border wall along the southern frontier. "
     "Rain fell on the rally."),
    ("e_2016-03-03_wall", "2016-03-03", "outlet-c",
     "Mexico's president denied that Mexico will pay for a border wall along the southern "
     "frontier."),
]


@pytest.fixture
def linked_stream(tmp_path):
    folder = tmp_path / "linked"
    folder.mkdir()
    with (folder / "metadata.tsv").open("w", encoding="utf-8") as handle:
        handle.write("filename\tpublisher\tpublication_date\n")
        for doc_id, date, outlet, _ in LINKED:
            handle.write(f"{doc_id}\t{outlet}\t{date}\n")
    (folder / "train.jsonl").write_text("".join(
        json.dumps({"id": doc_id, "text": text}) + "\n" for doc_id, _, _, text in LINKED))
    (folder / "dev.jsonl").write_text("")
    return folder


@pytest.mark.django_db(transaction=True)
def test_links_are_drawn_from_the_matched_stream_and_rescored(linked_stream, tmp_path):
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    call_command("judge_realnews", "links-draw", "--data", str(linked_stream),
                 "--out", str(sheets), "--links", "10")
    rows = [json.loads(line) for line in (sheets / "links.jsonl").open(encoding="utf-8")]
    relations = sorted(row["relation"] for row in rows)
    # the reprinted sentence supports itself; the president's denial contradicts both
    assert relations == ["contradicts", "contradicts", "supports"], rows
    assert all("Mexico" in row["statement_a"] and "[[" in row["context_a"] for row in rows)
    labels = tmp_path / "labels"
    labels.mkdir()
    with (sheets / "links.csv").open(encoding="utf-8") as handle:
        template = list(csv.DictReader(handle))
    assert [r["same"] for r in template] == ["", "", ""]
    for n, row in enumerate(template):
        row["same"], row["relation_right"] = "y", "y" if n else "n"
    with (labels / "links.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(template[0]))
        writer.writeheader()
        writer.writerows(template)
    out = tmp_path / "figures.json"
    with out.open("w") as handle:
        call_command("judge_realnews", "links-score", "--data", str(linked_stream),
                     "--labels", str(labels), "--json", stdout=handle)
    figures = json.loads(out.read_text())
    assert figures["still_suggested"] == 3 and figures["claims"] == 3
    assert figures["precision"] == {"count": 2, "of": 3, "rate": 0.667}
    assert figures["largest_proposition"] == 3 and figures["largest_share"] == 1.0
    # nothing of the stream is left in this database
    from claims.models import Claim
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_links_score_needs_its_labels(linked_stream, tmp_path):
    with pytest.raises(CommandError, match="links.csv is missing"):
        call_command("judge_realnews", "links-score", "--data", str(linked_stream),
                     "--labels", str(tmp_path))


def test_the_judged_link_sample_is_well_formed():
    """judged/links.csv: at least 200 distinct links, keyed as the scorer keys them, labels
    y or n, a link on different propositions never counted as the right relation."""
    from pathlib import Path

    from claims.realnews import read_labels
    from claims.realnews_links import KEY_COLUMNS, LINK_LABELS, _label_key

    path = Path(__file__).resolve().parent.parent / "judged" / "links.csv"
    rows = read_labels(path, LINK_LABELS)
    assert len(rows) >= 200
    assert len({_label_key(row) for row in rows}) == len(rows)
    assert all(row["relation"] in ("supports", "contradicts", "neutral") for row in rows)
    assert all(set(KEY_COLUMNS) <= set(row) for row in rows)
    assert not [row for row in rows if row["same"] == "n" and row["relation_right"] == "y"]
