"""Fact-checks imported from the web (a server on 127.0.0.1): ClaimReview JSON-LD in pages,
JSON feeds (DataFeed), RSS feeds of fact-check pages; a bad block loses none of the good ones.
And the commands that fetch articles and poll feeds."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from claims import feeds
from claims.models import Article, ArticleFetch, FactCheck, Feed, FeedEntry

pytestmark = pytest.mark.django_db(transaction=True)


def review(claim: str, verdict: str, url: str, **extra) -> dict:
    return {"@context": "https://schema.org", "@type": "ClaimReview", "url": url,
            "claimReviewed": claim, "author": {"@type": "Organization", "name": "Checks Desk"},
            "datePublished": "2024-05-02",
            "itemReviewed": {"@type": "Claim", "author": {"@type": "Person",
                                                         "name": "A. Minister"}},
            "reviewRating": {"@type": "Rating", "ratingValue": 1, "bestRating": 5,
                             "worstRating": 1, "alternateName": verdict}, **extra}


def page(*blocks: str) -> str:
    scripts = "".join(f'<script type="application/ld+json">{block}</script>'
                      for block in blocks)
    return (f"<!doctype html><html><head><title>Fact check</title>{scripts}</head>"
            "<body><p>Our verdict.</p></body></html>")


def test_a_page_with_two_claimreviews_one_in_a_graph_gives_two_factchecks(server):
    first = review("The port handled 400 ships in a day.", "False", server.url("/fc/1"))
    second = review("Wages at the port were cut by half.", "Misleading", server.url("/fc/1"))
    graph = {"@context": "https://schema.org",
             "@graph": [{"@type": "WebPage", "name": "x"}, second]}
    server.route("/fc/1", page(json.dumps(first), json.dumps(graph)))
    call_command("import_factchecks", "--url", server.url("/fc/1"), "--no-progress")
    rows = {fc.claim_reviewed: fc for fc in FactCheck.objects.all()}
    assert set(rows) == {"The port handled 400 ships in a day.",
                         "Wages at the port were cut by half."}
    assert rows["The port handled 400 ships in a day."].verdict == "False"
    assert rows["Wages at the port were cut by half."].publisher == "Checks Desk"
    assert rows["Wages at the port were cut by half."].claimant_name == "A. Minister"
    # Imported again: updated in place.
    call_command("import_factchecks", "--url", server.url("/fc/1"), "--no-progress")
    assert FactCheck.objects.count() == 2


def test_a_datafeed_json_gives_its_reviews(server):
    datafeed = {"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": [
        {"@type": "DataFeedItem", "dateCreated": "2024-05-02", "item": [
            review("The ferry carried 12,000 people in May.", "True", server.url("/a"))]},
        {"@type": "DataFeedItem", "item": review("The terminal cost nothing.", "False",
                                                 server.url("/b"))},
    ]}
    server.route("/feed.json", json.dumps(datafeed), content_type="application/json")
    call_command("import_factchecks", "--url", server.url("/feed.json"), "--no-progress")
    assert sorted(FactCheck.objects.values_list("verdict", flat=True)) == ["False", "True"]


def test_a_malformed_block_is_reported_and_the_valid_one_kept(server):
    good = review("The bridge opened in 1999.", "False", server.url("/mixed"))
    server.route("/mixed", page('{"@type": "ClaimReview", "claimReviewed": ', json.dumps(good)))
    with pytest.raises(CommandError, match="0 updated, 1 failed"):
        call_command("import_factchecks", "--url", server.url("/mixed"), "--no-progress")
    assert list(FactCheck.objects.values_list("claim_reviewed", flat=True)) == [
        "The bridge opened in 1999."]


def test_a_refused_or_failing_url_is_a_clear_error_and_stores_nothing(server):
    with pytest.raises(CommandError) as caught:
        call_command("import_factchecks", "--url", "http://10.0.0.1/feed.json",
                     "--no-progress")
    assert "1 failed" in str(caught.value)
    server.route("/none", page('{"@type": "WebPage"}'))
    with pytest.raises(CommandError):
        call_command("import_factchecks", "--url", server.url("/none"), "--no-progress")
    assert not FactCheck.objects.exists()


def test_a_claimreview_feed_of_pages_is_polled_and_each_page_imported_once(server):
    for number in (1, 2):
        server.route(f"/checks/{number}", page(json.dumps(review(
            f"Claim number {number} about the harbour budget.", "False",
            server.url(f"/checks/{number}")))))
    items = "".join(f"<item><title>Check {n}</title><link>{server.url(f'/checks/{n}')}</link>"
                    "</item>" for n in (1, 2))
    server.route("/checks.rss", f"<rss version='2.0'><channel><title>Checks</title>{items}"
                 "</channel></rss>", content_type="application/rss+xml")
    feed = Feed.objects.create(url=server.url("/checks.rss"), kind=Feed.Kind.CLAIMREVIEW)
    assert feeds.feed_poll(feed_id=feed.pk) == {"status": "ok", "new": 2}
    assert FactCheck.objects.count() == 2
    assert set(FeedEntry.objects.values_list("state", flat=True)) == {FeedEntry.State.DONE}
    assert feeds.feed_poll(feed_id=feed.pk)["new"] == 0
    assert len(server.requests_for("/checks/1")) == 1


def test_a_claimreview_json_feed_is_polled_into_the_library(server):
    server.route("/cr.json", json.dumps([review("The tunnel is 9 km long.", "False",
                                                server.url("/t"))]),
                 content_type="application/ld+json")
    feed = Feed.objects.create(url=server.url("/cr.json"), kind=Feed.Kind.CLAIMREVIEW)
    assert feeds.feed_poll(feed_id=feed.pk)["status"] == "ok"
    assert FactCheck.objects.get().claim_reviewed == "The tunnel is 9 km long."


# --- commands ------------------------------------------------------------------------------------


STORY = ("<html><head><title>Quay record</title></head><body><article><p>The harbour master "
         "said on Monday that the port handled 40 ships in a single day, a record.</p>"
         "</article></body></html>")


def test_fetch_article_fetches_and_says_what_became_of_each_url(server, capsys):
    server.route("/story", STORY)
    call_command("fetch_article", server.url("/story"), "--source", "Harbour Times")
    article = Article.objects.get()
    assert article.source.name == "Harbour Times"
    assert f"done {server.url('/story')}: article {article.pk}" in capsys.readouterr().out
    with pytest.raises(CommandError, match="1 of 2 URL"):
        call_command("fetch_article", "http://169.254.169.254/latest/", server.url("/story"))
    assert ArticleFetch.objects.count() == 2  # the refused URL left nothing


def test_poll_feeds_adds_and_polls_a_feed(server, capsys):
    server.route("/story", STORY)
    server.route("/rss", f"<rss version='2.0'><channel><title>W</title><item><title>Q</title>"
                 f"<link>{server.url('/story')}</link></item></channel></rss>",
                 content_type="application/rss+xml")
    call_command("poll_feeds", "--add", server.url("/rss"))
    assert Article.objects.count() == 1
    assert "1 new entry." in capsys.readouterr().out
    with pytest.raises(CommandError, match="local or private"):
        call_command("poll_feeds", "--add", "http://10.0.0.1/rss")


def test_pages_a_poll_left_for_later_are_imported_by_the_next_even_on_a_304(server, settings):
    for number in (1, 2):
        server.route(f"/later/{number}", page(json.dumps(review(
            f"Later claim {number} about the harbour.", "False", server.url(f"/later/{number}")))))
    items = "".join(f"<item><title>L{n}</title><link>{server.url(f'/later/{n}')}</link></item>"
                    for n in (1, 2))
    body = f"<rss version='2.0'><channel><title>Later</title>{items}</channel></rss>"

    def handle(request):
        if request.headers.get("If-None-Match") == '"c1"':
            request.send_response(304)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        data = body.encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("ETag", '"c1"')
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    server.route("/later.rss", handler=handle)
    feed = Feed.objects.create(url=server.url("/later.rss"), kind=Feed.Kind.CLAIMREVIEW)
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 0  # no time for pages: all are left pending
    assert feeds.feed_poll(feed_id=feed.pk) == {"status": "ok", "new": 2}
    assert set(FeedEntry.objects.values_list("state", flat=True)) == {FeedEntry.State.PENDING}
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 270
    assert feeds.feed_poll(feed_id=feed.pk)["status"] == "not_modified"
    assert set(FeedEntry.objects.values_list("state", flat=True)) == {FeedEntry.State.DONE}
    assert FactCheck.objects.count() == 2
