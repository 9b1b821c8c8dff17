"""Feeds polled from a server on 127.0.0.1: new entries fetched and processed once, a second
poll answered 304 fetches nothing, refused links and broken feeds recorded with their reason,
a feed that keeps failing backed off and flagged."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.test import Client
from django.utils import timezone

from claims import feeds
from claims.models import Article, ArticleFetch, Feed, FeedEntry, Source
from claims.roles import EDITOR
from tests.factories import desk_user
from tests.httpserver import LocalServer

pytestmark = pytest.mark.django_db(transaction=True)

RSS = "application/rss+xml"
PORTS = ["Rotterdam", "Hamburg", "Antwerp", "Genoa", "Valencia", "Piraeus", "Gdansk",
         "Marseille", "Lisbon", "Bilbao", "Le Havre", "Trieste", "Riga", "Tallinn", "Oslo",
         "Aarhus", "Dublin", "Cork", "Bremen", "Naples"]


def story_page(number: int) -> str:
    port = PORTS[number % len(PORTS)]
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{port} port record"
            f"</title></head><body><article><h1>{port} port record</h1><p>The harbour master "
            f"of {port} said on Monday that the port handled {40 + number} ships in a single "
            f"day, a record for the season.</p><p>The shipping company denied that it had cut "
            f"wages in {port}, according to a statement released in the evening.</p>"
            "</article></body></html>")


def rss(links: list[tuple[str, str]], title: str = "Harbour wire") -> str:
    now = timezone.now()
    items = "".join(
        f"<item><title>{headline}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(hours=i))}</pubDate></item>"
        for i, (headline, link) in enumerate(links))
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>{title}</title><link>http://example.org/</link>{items}</channel></rss>")


def atom(links: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<entry><title>{headline}</title><link href='{link}'/><id>{link}</id>"
        f"<updated>2024-05-0{i + 1}T10:00:00Z</updated></entry>"
        for i, (headline, link) in enumerate(links))
    return ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
            f"<title>Atom wire</title><id>urn:x</id><updated>2024-05-01T10:00:00Z</updated>"
            f"{entries}</feed>")


def conditional(body: str, etag: str = '"v1"', content_type: str = "application/rss+xml"):
    """A feed answering 304 to a request that already has ``etag``."""

    def handle(request):
        if request.headers.get("If-None-Match") == etag:
            request.send_response(304)
            request.send_header("ETag", etag)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        data = body.encode("utf-8")
        request.send_response(200)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(data)))
        request.send_header("ETag", etag)
        request.end_headers()
        request.wfile.write(data)

    return handle


@pytest.fixture
def other():
    with LocalServer() as local:
        local.route("/x", story_page(0))
        yield local


def poll(feed: Feed) -> dict:
    """The beat's path: claim the due feed, then its poll runs (in process here)."""
    Feed.objects.filter(pk=feed.pk).update(next_poll_at=timezone.now() - timedelta(seconds=1))
    assert feeds.feeds_poll_due() == 1
    feed.refresh_from_db()
    return {"feed": feed}


def test_a_feed_of_20_entries_is_ingested_once_and_a_304_fetches_nothing(server):
    links = []
    for number in range(20):
        server.route(f"/news/{number}", story_page(number))
        links.append((f"{PORTS[number]} port record", server.url(f"/news/{number}")))
    server.route("/feed.xml", handler=conditional(rss(links)))
    source = Source.objects.create(name="Harbour Wire")
    feed = Feed.objects.create(url=server.url("/feed.xml"), source=source)

    assert feeds.feed_poll(feed_id=feed.pk) == {"status": "ok", "new": 20}
    feed.refresh_from_db()
    assert feed.etag == '"v1"' and feed.entries_seen == 20 and feed.title == "Harbour wire"
    assert feed.last_error == "" and feed.next_poll_at > timezone.now() + timedelta(minutes=29)
    articles = Article.objects.filter(source=source)
    assert articles.count() == 20
    assert set(articles.values_list("state", flat=True)) == {Article.State.DONE}
    entries = FeedEntry.objects.filter(feed=feed)
    assert set(entries.values_list("state", flat=True)) == {FeedEntry.State.DONE}
    assert entries.filter(article__isnull=False).count() == 20
    assert {e.published_at is not None for e in entries} == {True}

    assert feeds.feed_poll(feed_id=feed.pk) == {"status": "not_modified", "new": 0}
    second = server.requests_for("/feed.xml")[1]
    assert second.headers["if-none-match"] == '"v1"'
    assert all(len(server.requests_for(f"/news/{n}")) == 1 for n in range(20))
    assert Article.objects.count() == 20 and ArticleFetch.objects.count() == 20


def test_an_atom_feed_and_a_changed_feed_fetch_only_what_is_new(server):
    server.route("/a/1", story_page(1))
    server.route("/a/2", story_page(2))
    server.route("/atom", atom([("One", server.url("/a/1"))]),
                 content_type="application/atom+xml")
    feed = Feed.objects.create(url=server.url("/atom"))
    assert feeds.feed_poll(feed_id=feed.pk) == {"status": "ok", "new": 1}
    # The feed gains an entry (and lists the first with a tracking parameter): one new fetch.
    server.route("/atom", atom([("Two", server.url("/a/2")),
                                ("One", server.url("/a/1?utm_source=feed"))]),
                 content_type="application/atom+xml")
    assert feeds.feed_poll(feed_id=feed.pk) == {"status": "ok", "new": 1}
    assert len(server.requests_for("/a/1")) == 1 and len(server.requests_for("/a/2")) == 1
    assert Article.objects.count() == 2


def test_an_article_already_stored_is_not_fetched_again_from_another_feed(server):
    server.route("/s", story_page(3))
    server.route("/f1", rss([("S", server.url("/s"))]), content_type=RSS)
    server.route("/f2", rss([("S", server.url("/s"))]), content_type=RSS)
    first = Feed.objects.create(url=server.url("/f1"))
    second = Feed.objects.create(url=server.url("/f2"))
    feeds.feed_poll(feed_id=first.pk)
    feeds.feed_poll(feed_id=second.pk)
    entry = FeedEntry.objects.get(feed=second)
    assert entry.state == FeedEntry.State.DONE and entry.article == Article.objects.get()
    assert len(server.requests_for("/s")) == 1


def test_links_into_private_ranges_are_refused_with_their_reason_and_never_reached(
        server, other):
    server.route("/ok", story_page(4))
    server.route("/feed", rss([
        ("Metadata", "http://169.254.169.254/latest/meta-data/"),
        ("Intranet", "http://10.0.0.1/x"),
        ("Other port", other.url("/x")),
        ("Fine", server.url("/ok")),
    ]), content_type=RSS)
    feed = Feed.objects.create(url=server.url("/feed"))
    assert feeds.feed_poll(feed_id=feed.pk)["new"] == 4
    reasons = dict(FeedEntry.objects.filter(state=FeedEntry.State.FAILED)
                   .values_list("title", "reason"))
    assert reasons == {
        "Metadata": "169.254.169.254 is a local or private address: only public web pages "
                    "are fetched.",
        "Intranet": "10.0.0.1 is a local or private address: only public web pages are "
                    "fetched.",
        "Other port": "127.0.0.1 is a local or private address: only public web pages are "
                      "fetched.",
    }
    assert FeedEntry.objects.get(title="Fine").state == FeedEntry.State.DONE
    assert other.seen == []
    # Listed again, a refused entry is not tried again.
    Feed.objects.filter(pk=feed.pk).update(etag="")
    assert feeds.feed_poll(feed_id=feed.pk)["new"] == 0


def test_a_redirect_from_an_entry_to_a_private_address_is_refused_on_the_entry(server, other):
    server.route("/hop", status=302, headers={"Location": other.url("/x")}, content_type="")
    server.route("/hop2", status=302, headers={"Location": "http://10.0.0.1/"}, content_type="")
    server.route("/feed", rss([("Hop", server.url("/hop")), ("Hop2", server.url("/hop2"))]),
                 content_type=RSS)
    feed = Feed.objects.create(url=server.url("/feed"))
    feeds.feed_poll(feed_id=feed.pk)
    hop, hop2 = FeedEntry.objects.get(title="Hop"), FeedEntry.objects.get(title="Hop2")
    assert hop.state == FeedEntry.State.FAILED
    assert hop.reason.startswith(f"Redirect to http://127.0.0.1:{other.port} refused")
    assert hop2.reason.startswith("Redirect to http://10.0.0.1 refused")
    assert other.seen == [] and not Article.objects.exists()


def test_an_entry_whose_page_is_no_article_keeps_the_reason(server):
    server.route("/pic", b"\x89PNG", content_type="image/png")
    server.route("/feed", rss([("Picture", server.url("/pic"))]), content_type=RSS)
    feed = Feed.objects.create(url=server.url("/feed"))
    feeds.feed_poll(feed_id=feed.pk)
    entry = FeedEntry.objects.get()
    assert entry.state == FeedEntry.State.FAILED
    assert entry.reason == "Content type image/png is not a web page."
    assert entry.fetch.state == ArticleFetch.State.FAILED


def test_malformed_xml_is_the_feeds_error_and_five_failures_flag_and_back_off(server):
    server.route("/broken", "<rss><channel><title>Half", content_type="application/rss+xml")
    feed = Feed.objects.create(url=server.url("/broken"), interval_minutes=10)
    for failures in range(1, 6):
        before = timezone.now()
        assert feeds.feed_poll(feed_id=feed.pk)["status"] == "failed"
        feed.refresh_from_db()
        assert feed.consecutive_failures == failures
        assert feed.last_error.startswith("The feed is not well-formed")
        wait = min(10 * 60 * 2 ** failures, 86400)
        assert before + timedelta(seconds=wait - 5) <= feed.next_poll_at <= \
            timezone.now() + timedelta(seconds=wait + 5)
        assert feed.flagged == (failures >= 5)
    # Repaired: the next poll clears the failures and the flag.
    server.route("/broken", rss([]), content_type="application/rss+xml")
    assert feeds.feed_poll(feed_id=feed.pk)["status"] == "ok"
    feed.refresh_from_db()
    assert (feed.consecutive_failures, feed.flagged, feed.last_error) == (0, False, "")


def test_a_feed_with_an_error_but_readable_entries_is_read_with_a_note(server):
    server.route("/s", story_page(5))
    body = rss([("S", server.url("/s"))]).replace("</channel></rss>", "<junk>&bad;</channel>")
    server.route("/feed", body, content_type="application/rss+xml")
    feed = Feed.objects.create(url=server.url("/feed"))
    assert feeds.feed_poll(feed_id=feed.pk) == {"status": "ok", "new": 1}
    feed.refresh_from_db()
    assert feed.last_note.startswith("Read despite an error in the feed")
    assert feed.consecutive_failures == 0


def test_the_wrong_content_type_and_timeouts_are_feed_failures(server):
    server.route("/page", "<html></html>", content_type="text/html")
    feed = Feed.objects.create(url=server.url("/page"))
    feeds.feed_poll(feed_id=feed.pk)
    feed.refresh_from_db()
    assert feed.last_error == "Content type text/html is not an RSS or Atom feed."


def test_a_due_feed_is_claimed_once_by_concurrent_beats(server):
    server.route("/feed", rss([]), content_type=RSS)
    feed = Feed.objects.create(url=server.url("/feed"),
                               next_poll_at=timezone.now() - timedelta(minutes=1))
    now = timezone.now()
    assert feeds.feed_poll_request(feed_id=feed.pk, now=now) is True
    assert feeds.feed_poll_request(feed_id=feed.pk, now=now) is False
    assert len(server.requests_for("/feed")) == 1
    # Inactive or not yet due: nothing.
    Feed.objects.filter(pk=feed.pk).update(active=False, next_poll_at=now)
    assert feeds.feeds_poll_due() == 0


def test_the_admin_lists_feeds_flags_failing_ones_and_polls_on_request(server):
    server.route("/s", story_page(6))
    server.route("/feed", rss([("S &lt;script&gt;alert(1)&lt;/script&gt;", server.url("/s"))]),
                 content_type=RSS)
    good = Feed.objects.create(url=server.url("/feed"), title="Good wire")
    Feed.objects.create(url=server.url("/bad"), title="Bad wire", flagged=True,
                        consecutive_failures=5, last_error="HTTP 404 Not Found")
    staff = Client()
    staff.force_login(desk_user("desk", EDITOR, is_superuser=True))
    listing = staff.get("/admin/claims/feed/").content.decode()
    assert "Good wire" in listing and "Bad wire" in listing and "Flagged" in listing
    flagged_only = staff.get("/admin/claims/feed/?flagged__exact=1").content.decode()
    assert "Bad wire" in flagged_only and "Good wire" not in flagged_only
    response = staff.post("/admin/claims/feed/", {"action": "poll_now",
                                                  "_selected_action": [good.pk]})
    assert response.status_code == 302
    assert Article.objects.count() == 1
    entries = staff.get("/admin/claims/feedentry/").content.decode()
    assert "<script>alert(1)</script>" not in entries
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in entries
    bad = Feed.objects.get(title="Bad wire")
    staff.post("/admin/claims/feed/", {"action": "reset_failures",
                                       "_selected_action": [bad.pk]})
    bad.refresh_from_db()
    assert (bad.flagged, bad.consecutive_failures) == (False, 0)


def test_the_admin_adds_an_article_from_its_url_and_refuses_a_private_one(server):
    server.route("/s", story_page(7))
    reporter = Client()
    from claims.roles import REPORTER

    reporter.force_login(desk_user("reporter", REPORTER))
    form = reporter.get("/admin/claims/articlefetch/add/")
    assert form.status_code == 200
    response = reporter.post("/admin/claims/articlefetch/add/", {
        "url": server.url("/s"), "title": "", "source_name": "Harbour Times"})
    assert response.status_code == 302, response.content.decode()[:2000]
    item = ArticleFetch.objects.get()
    assert item.state == ArticleFetch.State.DONE and item.requested_by.username == "reporter"
    assert item.article.source.name == "Harbour Times"
    refused = reporter.post("/admin/claims/articlefetch/add/", {"url": "http://10.0.0.1/x"})
    assert refused.status_code == 200
    assert "10.0.0.1 is a local or private address" in refused.content.decode()
    assert ArticleFetch.objects.count() == 1
    # Feeds are run by whoever runs the outlets: a reporter may look, not add.
    assert reporter.get("/admin/claims/feed/").status_code == 200
    assert reporter.get("/admin/claims/feed/add/").status_code == 403


def test_the_article_add_form_points_to_fetching_from_a_url(db):
    from claims.roles import REPORTER

    reporter = Client()
    reporter.force_login(desk_user("reporter", REPORTER))
    html = reporter.get("/admin/claims/article/add/").content.decode()
    assert 'href="/admin/claims/articlefetch/add/"' in html


def test_an_entry_left_without_its_fetch_by_a_dead_poll_is_fetched_by_the_next(server):
    server.route("/s", story_page(8))
    server.route("/feed", rss([("S", server.url("/s"))]), content_type=RSS)
    feed = Feed.objects.create(url=server.url("/feed"))
    FeedEntry.objects.create(feed=feed, url=server.url("/s"), title="S")  # no fetch yet
    assert feeds.feed_poll(feed_id=feed.pk) == {"status": "ok", "new": 0}
    entry = FeedEntry.objects.get()
    assert entry.state == FeedEntry.State.DONE and entry.article is not None
