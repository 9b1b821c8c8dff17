"""clean_text: normalisation and boilerplate lines, on invented pages."""

from __future__ import annotations

from claims.engine import clean_text

PAGE = (
    "  • Home\r\n"
    "  • Share\r\n"
    "World > Europe\r\n"
    "\r\n"
    "Port Workers Strike Over Pay in Valencia\r\n"
    "\r\n\r\n\r\n"
    "  • Dock workers march past the harbour gates on Monday.\r\n"
    "Dock workers march past the harbour gates on Monday. | Photo: Example Agency\r\n"
    "Updated 3 March 2023\r\n"
    "Analysis\r\n"
    "Caf\u0065\u0301 owners said trade fell\u00a0by half.   \r\n"
    "READ MORE:\r\n"
    "Ferry Routes Cut After Storm\r\n"
    "The union said 2,000 members joined the strike.\r\n"
    "Comment\r\n"
    "3\r\n"
    "Comments\r\n"
    "Post with no comments.\r\n"
)


def test_it_drops_navigation_captions_stamps_and_comment_widgets():
    out = clean_text(PAGE)
    assert out == (
        "Port Workers Strike Over Pay in Valencia\n"
        "\n"
        "Caf\u00e9 owners said trade fell by half.\n"
        "The union said 2,000 members joined the strike.\n"
    )


def test_it_keeps_short_lines_that_read_as_sentences():
    out = clean_text("Talks Collapse\n\nPrices rose.\nHe resigned\n")
    assert "Prices rose." in out and "He resigned" in out


def test_it_collapses_blank_runs_and_strips_trailing_spaces():
    out = clean_text("First paragraph here today.   \n\n\n\n\nSecond paragraph here today.\n")
    assert out == "First paragraph here today.\n\nSecond paragraph here today.\n"


def test_it_keeps_a_sentence_with_markup_in_it_as_text():
    line = 'The council said <script>alert("x")</script> nothing else.'
    assert line in clean_text(f"Headline Of The Story\n\n{line}\n")
