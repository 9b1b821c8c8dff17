"""Sentence splitter: abbreviations, numbers, quotes, datelines, line breaks."""

from __future__ import annotations

import pytest

from claims.engine import split_sentences


def _texts(text):
    spans = split_sentences(text)
    assert all(text[s.start:s.end] == s.text for s in spans)
    return [s.text for s in spans]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Sen. Mary Jones met Dr. A. Brown and Mr. Lee in Ohio on Jan. 4. The meeting ran late.",
            ["Sen. Mary Jones met Dr. A. Brown and Mr. Lee in Ohio on Jan. 4.",
             "The meeting ran late."],
        ),
        (
            "The vote is set for 9 a.m. on Friday. Turnout was 61.5 percent last time.",
            ["The vote is set for 9 a.m. on Friday.", "Turnout was 61.5 percent last time."],
        ),
        (
            "He moved to the U.S. The move surprised his staff.",
            ["He moved to the U.S.", "The move surprised his staff."],
        ),
        (
            "The U.S. Senate voted. J. R. Smith abstained.",
            ["The U.S. Senate voted.", "J. R. Smith abstained."],
        ),
        (
            "The budget... Well, it grew. Then it shrank.",
            ["The budget... Well, it grew.", "Then it shrank."],
        ),
    ],
)
def test_it_survives_abbreviations_numbers_and_ellipses(text, expected):
    assert _texts(text) == expected


def test_it_keeps_a_closing_quote_and_its_attribution_in_one_sentence():
    text = '"The pier will stay shut today," Mayor Ruiz said. Crews left at noon.'
    assert _texts(text) == ['"The pier will stay shut today," Mayor Ruiz said.',
                            "Crews left at noon."]


def test_it_keeps_a_multi_sentence_quote_with_its_attribution():
    text = '"We tried. We failed. We will try again," she stressed. The board agreed.'
    assert _texts(text) == ['"We tried. We failed. We will try again," she stressed.',
                            "The board agreed."]


def test_it_ends_a_sentence_after_a_closing_quote():
    text = 'She told them to "go home." Nobody moved.'
    assert _texts(text) == ['She told them to "go home."', "Nobody moved."]


@pytest.mark.parametrize(
    "text, first",
    [
        ("MOSCOW (AP) — The ministry said the drills had ended. Markets rose.",
         "The ministry said the drills had ended."),
        ("SPRINGFIELD, Ill., March 3 (Reuters) — The plant closed. Workers left.",
         "The plant closed."),
        ("WASHINGTON — The Senate adjourned on Friday.", "The Senate adjourned on Friday."),
    ],
)
def test_it_drops_datelines_from_the_first_sentence(text, first):
    assert _texts(text)[0] == first


def test_it_always_ends_a_sentence_at_a_line_break():
    text = "A headline without a stop\nThe body starts here. It goes on\n\nNew paragraph."
    assert _texts(text) == ["A headline without a stop", "The body starts here.", "It goes on",
                            "New paragraph."]


def test_it_does_not_split_on_question_marks_inside_an_attributed_quote():
    text = '"Why now?" she asked. Nobody answered.'
    assert _texts(text) == ['"Why now?" she asked.', "Nobody answered."]
