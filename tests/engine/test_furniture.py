"""Bylines, photo captions and datelines never become claims or claim content."""

from __future__ import annotations

import pytest

from claims.engine import clean_text, extract_claims, split_sentences
from claims.engine.text import furniture_kind


@pytest.mark.parametrize("line", [
    "By Jane Doe",
    "By JANE DOE and JOHN ROE, Associated Press",
    "By Ana Ruiz, Lena van der Berg and Tom Reyes",
    "BY TOM REYES | Reuters",
    "By Jane Doe, Staff Writer",
])
def test_a_byline_is_furniture(line):
    assert furniture_kind(line) == "byline"


@pytest.mark.parametrize("line", [
    "The harbour master speaks during a news conference in Lisbon, March 3, 2022. "
    "REUTERS/Ana Ruiz",
    "Fishermen unload their catch at dawn. (AP Photo/Tom Reyes)",
    "Protesters march past the town hall on Saturday. AFP via Getty Images",
    "The mayor at the ceremony. Photo by Jane Doe",
])
def test_a_captioned_photo_is_furniture(line):
    assert furniture_kind(line) == "caption"


@pytest.mark.parametrize("line", [
    "By Tuesday, officials said, the ferry will run again.",
    "By signing the bill, the governor said she had kept her word.",
    "The mayor said the ferry will run again.",
    "He paid 20/20 for the view, Reyes said.",
])
def test_ordinary_sentences_are_not_furniture(line):
    assert furniture_kind(line) == ""


def test_byline_and_caption_lines_never_produce_claims():
    text = (
        "Ferry to resume service, mayor says\n"
        "By JANE DOE and JOHN ROE, Associated Press\n"
        "By Jane Doe\n"
        "Mayor Ana Ruiz said on Tuesday that the ferry would resume service in May.\n"
        "Mayor Ana Ruiz speaks during a news conference in Porto, Portugal, March 3, 2022. "
        "REUTERS/Tom Reyes\n"
        "Ruiz said the repairs had cost $2 million.\n"
    )
    claims = extract_claims(text)
    spans = [c.content.text for c in claims]
    assert not [s for s in spans if "JANE DOE" in s or "Jane Doe" in s or "REUTERS" in s
                or "speaks during" in s]
    assert "the ferry would resume service in May" in spans
    every = extract_claims(text, include_non_claims=True)
    kinds = {c.sentence.text: c.extra.get("furniture") for c in every if c.kind == "not_claim"}
    assert kinds["By JANE DOE and JOHN ROE, Associated Press"] == "byline"
    assert "caption" in kinds.values()


def test_clean_text_drops_a_caption_with_an_agency_credit():
    raw = ("Ferry to resume service\n"
           "Mayor Ana Ruiz speaks in Porto on March 3. REUTERS/Tom Reyes\n"
           "The ferry will resume service in May, the mayor said.\n")
    assert "REUTERS" not in clean_text(raw)


@pytest.mark.parametrize("text, first", [
    ("KYIV, Ukraine (Reuters) - The ministry said the drills had ended. Markets rose.",
     "The ministry said the drills had ended."),
    ("LISBON - The harbour reopened on Friday.", "The harbour reopened on Friday."),
])
def test_a_dateline_with_a_hyphen_is_not_part_of_the_first_sentence(text, first):
    assert split_sentences(text)[0].text == first
    claims = extract_claims(text)
    assert all("Reuters" not in c.content.text and "LISBON" not in c.content.text
               for c in claims)
