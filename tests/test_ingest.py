"""Ingestion: every kind of bad input gets a clear error and leaves no rows behind."""

import json

import pytest
from django.core.management import CommandError, call_command

from claims import ingestion
from claims.errors import (
    ArticleTooLarge,
    DuplicateArticle,
    EmptyArticle,
    InvalidArticle,
    NotUTF8,
)
from claims.models import Article, Claim, Source
from claims.urlcheck import canonical_url

# Real commits, so processing enqueued with transaction.on_commit runs as in production.
pytestmark = pytest.mark.django_db(transaction=True)

STORY = (
    "Harbour authorities said on Tuesday that the new ferry line carried 12,000 passengers "
    "in its first month.\n\nThe mayor denied that the city had paid for the terminal, "
    "according to a statement released in the evening."
)


def nothing_stored():
    return not Article.objects.exists() and not Claim.objects.exists() \
        and not Source.objects.exists()


def ingest(**fields):
    defaults = {"title": "Ferry line busy", "source_name": "Harbour Times", "text": STORY}
    return ingestion.article_ingest(**{**defaults, **fields})


def test_it_stores_an_article_and_processes_it():
    article = ingest(url="https://harbour.example/ferry")
    article.refresh_from_db()
    assert article.state == Article.State.DONE
    assert article.source.name == "Harbour Times"
    assert article.source.domain == "harbour.example"
    assert article.claims.exists()


@pytest.mark.parametrize("text", ["", "   \n\n  ", "Share\nComment\n0\nComments"])
def test_it_rejects_an_empty_article(text):
    with pytest.raises(EmptyArticle, match="no text"):
        ingest(text=text)
    assert nothing_stored()


def test_it_rejects_text_that_is_not_utf8():
    with pytest.raises(NotUTF8, match="UTF-8"):
        ingest(text=STORY.encode("utf-16"))
    with pytest.raises(NotUTF8):
        ingest(text="Caf\xe9 owners said prices rose by 20 percent.".encode("latin-1") * 3)
    assert nothing_stored()


def test_it_rejects_an_oversized_article(settings):
    settings.CLAIMTRACK_ARTICLE_MAX_BYTES = 1000
    with pytest.raises(ArticleTooLarge, match="limit is 1,000 bytes"):
        ingest(text="Officials said the bridge is safe. " * 100)
    assert nothing_stored()


def test_it_rejects_binary_content():
    with pytest.raises(InvalidArticle, match="NUL"):
        ingest(text=STORY + "\x00\x01\x02")
    assert nothing_stored()


def test_it_rejects_a_duplicate_text_even_when_reformatted():
    first = ingest()
    with pytest.raises(DuplicateArticle) as caught:
        ingest(text="  " + STORY.upper().replace(" ", "   "), title="Another title")
    assert caught.value.existing_id == first.pk
    assert Article.objects.count() == 1


def test_it_rejects_a_duplicate_url_that_differs_only_in_tracking():
    first = ingest(url="https://Harbour.example/ferry/?utm_source=feed#top")
    assert first.url == "https://harbour.example/ferry"
    with pytest.raises(DuplicateArticle) as caught:
        ingest(url="https://harbour.example/ferry?fbclid=abc", text=STORY + " More later.")
    assert caught.value.existing_id == first.pk
    assert Article.objects.count() == 1


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/admin", "http://localhost:8000/", "http://10.0.0.5/story",
    "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data", "http://[::1]/x",
    "http://2130706433/", "http://intranet/story", "javascript:alert(1)", "file:///etc/passwd",
    "ftp://files.example/a", "https://user:pw@news.example/a", "http://", "https://[bad/",
    "http://127.1/", "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/",
    "http://[64:ff9b::7f00:1]/", "http://[::ffff:10.0.0.1]/", "http://[2002:c0a8:101::1]/",
    "https://news.example/a?q=" + "é" * 400,  # short as given, too long once encoded
])
def test_it_rejects_urls_that_are_no_public_web_page(url):
    with pytest.raises(InvalidArticle):
        ingest(url=url)
    assert nothing_stored()


def test_it_keeps_a_public_url_with_its_query():
    assert canonical_url("HTTPS://www.News.example:443/a/b/?id=7&utm_medium=x") == \
        "https://www.news.example/a/b?id=7"


def test_it_stores_script_tags_in_plain_text_as_inert_text():
    hostile = STORY + '\n\nThe council said <script>alert("x")</script> nothing else.'
    article = ingest(text=hostile)
    assert "<script>" in article.text  # kept verbatim as text; every page escapes it


def test_it_extracts_the_main_text_from_html_and_drops_scripts():
    html = (
        "<html><head><title>Ferry line busy</title><script>steal()</script></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/news'>News</a></nav>"
        f"<article><h1>Ferry line busy</h1><p>{STORY.split(chr(10))[0]}</p>"
        f"<p>{STORY.split(chr(10))[-1]}</p></article>"
        "<footer>Copyright 2022 Harbour Times. All rights reserved.</footer></body></html>"
    )
    article = ingestion.article_ingest(title="", source_name="Harbour Times", html=html)
    assert "12,000 passengers" in article.text
    assert "steal()" not in article.text
    assert article.title == "Ferry line busy"


def test_it_needs_a_title_and_a_source():
    with pytest.raises(InvalidArticle, match="title"):
        ingest(title="  ")
    with pytest.raises(InvalidArticle, match="source"):
        ingest(source_name="")
    assert nothing_stored()


def test_it_rejects_text_and_html_together():
    with pytest.raises(InvalidArticle, match="exactly one"):
        ingest(html="<p>x</p>")


# --- The command ------------------------------------------------------------------------------


def write_jsonl(path, lines):
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def record(**fields):
    base = {"title": "Ferry line busy", "source": "Harbour Times", "text": STORY,
            "url": "https://harbour.example/ferry", "published": "2022-01-11T09:30:00+00:00"}
    return json.dumps({**base, **fields}).encode()


def test_the_command_reports_each_bad_record_and_keeps_the_good_ones(tmp_path, settings, capsys):
    settings.CLAIMTRACK_ARTICLE_MAX_BYTES = 5000
    write_jsonl(tmp_path / "feed.jsonl", [
        record(),
        b"{not json",
        record(url="https://harbour.example/two", text="Caf\xe9 said so.").replace(
            b"Caf\\u00e9", b"Caf\xe9"),
        record(url="https://harbour.example/three", text=None, html=None),
        record(url="https://harbour.example/big", text="Officials said it was safe. " * 400),
        record(url="https://harbour.example/ferry?utm_source=x"),  # duplicate by URL
        record(url="https://harbour.example/four", published="next tuesday",
               text="The port said it handled 40 ships on Monday, a record for January."),
        b"[1, 2, 3]",
        record(url="https://harbour.example/five", source="Quay Post",
               text="The port said it handled 41 ships on Tuesday, another record high."),
    ])
    (tmp_path / "story.txt").write_text(
        "Dock workers said on Friday that the strike would end after 9 days of talks.\n",
        encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes("Les dockers ont dit: 10 jours.".encode("utf-16"))
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf-8")

    with pytest.raises(CommandError, match=r"3 created, 1 duplicates skipped, 8 failed"):
        call_command("ingest_articles", str(tmp_path), source="Dock Daily", no_progress=True)

    output = capsys.readouterr()
    messages = output.out + output.err
    assert "feed.jsonl:2: Not valid JSON" in messages
    assert "feed.jsonl:3: Not valid UTF-8" in messages
    assert "feed.jsonl:4: A record needs exactly one of 'text' or 'html'" in messages
    assert "feed.jsonl:5: The record is" in messages
    assert "feed.jsonl:7: 'published' 'next tuesday'" in messages
    assert "feed.jsonl:8: Each line must be a JSON object" in messages
    assert "bad.txt: The text is not valid UTF-8" in messages
    assert "empty.txt: The article has no text" in messages
    assert set(Article.objects.values_list("source__name", flat=True)) == {
        "Harbour Times", "Quay Post", "Dock Daily"}
    assert Article.objects.filter(state=Article.State.DONE).count() == 3


def test_the_command_is_safe_to_run_twice(tmp_path):
    feed = write_jsonl(tmp_path / "feed.jsonl", [record()])
    call_command("ingest_articles", str(feed), no_progress=True)
    call_command("ingest_articles", str(feed), no_progress=True)
    assert Article.objects.count() == 1
    assert Claim.objects.filter(article__url="https://harbour.example/ferry").exists()


def test_the_command_takes_a_headline_as_title_for_text_files(tmp_path):
    story = tmp_path / "ferry-story.txt"
    story.write_text("• Share\nFerry Line Carries Record Crowds\n\n" + STORY, encoding="utf-8")
    call_command("ingest_articles", str(story), source="Harbour Times", no_progress=True,
                 published="2022-01-11")
    article = Article.objects.get()
    assert article.title == "Ferry Line Carries Record Crowds"
    assert article.published_at.isoformat() == "2022-01-11T00:00:00+00:00"


def test_the_command_refuses_a_bad_published_option(tmp_path):
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    with pytest.raises(CommandError, match="--published"):
        call_command("ingest_articles", str(tmp_path / "a.txt"), source="X",
                     published="yesterday", no_progress=True)
    assert nothing_stored()


def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="0 created"):
        call_command("ingest_articles", str(tmp_path / "nope.txt"), source="X", no_progress=True)


def test_stored_claims_carry_a_checkworthiness_score():
    article = ingest()
    scores = list(article.claims.values_list("checkworthiness", flat=True))
    assert scores and all(0.0 <= s <= 1.0 for s in scores)
