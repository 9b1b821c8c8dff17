"""The fetcher against a server on 127.0.0.1: only the address allowed by setting is reached;
redirects into private ranges, slow and oversized answers and wrong types are refused with a
reason an editor can read; articles by URL are fetched, extracted and stored once."""

from __future__ import annotations

import socket
import time

import pytest
from django.test import Client

from claims import feeds, fetch
from claims.models import Article, ArticleFetch
from claims.roles import EDITOR
from tests.factories import desk_user
from tests.httpserver import LocalServer, dripping, endless
from tests.test_pipeline_services import (  # noqa: F401 - fixtures: a real worker
    services_required,
    wait_for_state,
    worker_factory,
)

pytestmark = pytest.mark.django_db(transaction=True)

STORY = ("<p>The harbour master said on Monday that the port handled 40 ships in a single day, "
         "a record for the season.</p><p>The shipping company denied that it had cut wages, "
         "according to a statement released in the evening.</p>")


def page(title: str, body: str = STORY, head: str = "") -> str:
    return (f"<!doctype html><html><head><meta charset='utf-8'>{head}<title>{title}</title>"
            f"</head><body><article><h1>{title}</h1>{body}</article></body></html>")


@pytest.fixture
def other():
    """A second server, on another port of 127.0.0.1 that no setting allows."""
    with LocalServer() as local:
        local.route("/x", page("Internal"))
        yield local


@pytest.fixture
def no_dns(monkeypatch):
    """Fails a test that resolves any name (nothing may leave the machine)."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host != "127.0.0.1":
            raise AssertionError(f"resolved {host}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def refused(url, **kwargs) -> fetch.FetchError:
    with pytest.raises(fetch.FetchError) as caught:
        fetch.fetch(url, **kwargs)
    return caught.value


def test_it_fetches_a_page_from_the_allowed_address_with_its_user_agent(server, settings):
    settings.CLAIMTRACK_PUBLISHER_URL = "https://desk.example/"
    server.route("/a", page("Quay"))
    result = fetch.fetch(server.url("/a"))
    assert result.status == 200 and b"harbour master" in result.body
    assert result.content_type == "text/html" and result.charset == "utf-8"
    agent = server.requests_for("/a")[0].headers["user-agent"]
    assert agent.startswith("Claimtrack/") and agent.endswith("(+https://desk.example/)")


@pytest.mark.parametrize("url, words", [
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a local or private"),
    ("http://10.0.0.1/x", "10.0.0.1 is a local or private"),
    ("http://localhost:8000/", "localhost is a local or private"),
    ("ftp://example.org/file", "must start with http:// or https://"),
    ("http://user:pw@example.org/", "user name or password"),
])
def test_it_refuses_private_and_odd_urls_before_connecting(server, no_dns, url, words):
    error = refused(url)
    assert words in error.reason
    assert not error.transient


def test_another_port_of_the_allowed_address_is_refused_and_never_reached(server, other,
                                                                         no_dns):
    error = refused(other.url("/x"))
    assert error.code == "private_url" and "127.0.0.1 is a local or private" in error.reason
    assert other.seen == []


def test_a_name_resolving_to_a_private_address_is_refused(server, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))])
    error = refused("http://news.example.org/story")
    assert error.reason == ("news.example.org resolves to 10.1.2.3, a local or private "
                            "address: only public web pages are fetched.")


@pytest.mark.parametrize("location, words", [
    ("http://10.0.0.1/admin", "Redirect to http://10.0.0.1 refused: 10.0.0.1 is a local"),
    ("http://169.254.169.254/latest/meta-data/", "Redirect to http://169.254.169.254 refused"),
])
def test_a_redirect_into_a_private_range_is_refused(server, no_dns, location, words):
    server.route("/go", status=302, headers={"Location": location}, content_type="")
    error = refused(server.url("/go"))
    assert error.reason.startswith(words), error.reason
    assert error.code == "private_url"


def test_a_redirect_to_another_local_port_is_refused_and_never_reached(server, other, no_dns):
    server.route("/go", status=301, headers={"Location": other.url("/x")}, content_type="")
    error = refused(server.url("/go"))
    assert error.reason.startswith(f"Redirect to http://127.0.0.1:{other.port} refused")
    assert other.seen == []


def test_redirects_on_the_allowed_server_are_followed_up_to_the_limit(server, settings):
    settings.CLAIMTRACK_FETCH_MAX_REDIRECTS = 2
    server.route("/r1", status=301, headers={"Location": "/r2"}, content_type="")
    server.route("/r2", status=302, headers={"Location": server.url("/final")}, content_type="")
    server.route("/final", page("Final"))
    assert fetch.fetch(server.url("/r1")).final_url == server.url("/final")
    server.route("/loop", status=302, headers={"Location": "/loop"}, content_type="")
    assert refused(server.url("/loop")).reason == "More than 2 redirects."


def test_a_slow_drip_times_out_at_the_total_deadline(server):
    server.route("/slow", handler=dripping(every=0.2))
    started = time.monotonic()
    error = refused(server.url("/slow"))
    assert time.monotonic() - started < 4
    assert error.code == "timeout" and error.transient
    assert error.reason == "The server took longer than 2 s to send the page."


def test_an_oversized_body_is_cut_off(server, settings):
    settings.CLAIMTRACK_FETCH_MAX_BYTES = 100_000
    server.route("/endless", handler=endless())
    assert refused(server.url("/endless")).reason == "Response over 100,000 bytes."
    server.route("/big", "x" * 200_000)
    assert refused(server.url("/big")).reason == \
        "Response over 100,000 bytes (200,000 declared)."


def test_a_compressed_body_is_capped_by_its_decompressed_size(server, settings):
    import gzip

    settings.CLAIMTRACK_FETCH_MAX_BYTES = 100_000
    bomb = gzip.compress(b"<p>" + b"0" * 50_000_000 + b"</p>")
    assert len(bomb) < 100_000
    server.route("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    assert refused(server.url("/bomb")).reason == "Response over 100,000 bytes."
    small = b"<p>" + "caf\u00e9 ".encode() * 100 + b"</p>"
    server.route("/small", gzip.compress(small), headers={"Content-Encoding": "gzip"})
    assert fetch.fetch(server.url("/small")).body == small


@pytest.mark.parametrize("content_type, reason", [
    ("image/png", "Content type image/png is not a web page."),
    ("application/pdf", "Content type application/pdf is not a web page."),
])
def test_a_document_that_is_not_a_page_is_refused(server, content_type, reason):
    server.route("/file", b"\x89PNG....", content_type=content_type)
    assert refused(server.url("/file")).reason == reason


def test_http_errors_say_their_status_and_whether_to_try_again(server):
    server.route("/gone", "no", status=404)
    server.route("/busy", "later", status=503)
    gone, busy = refused(server.url("/gone")), refused(server.url("/busy"))
    assert gone.reason == "HTTP 404 Not Found" and not gone.transient
    assert busy.reason.startswith("HTTP 503") and busy.transient


def test_conditional_headers_are_sent_and_304_is_not_modified(server):
    server.route("/feed", status=304, content_type="")
    result = fetch.fetch(server.url("/feed"), accept=fetch.FEED_TYPES, etag='"v1"',
                         last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    assert result.not_modified
    seen = server.requests_for("/feed")[0].headers
    assert seen["if-none-match"] == '"v1"'
    assert seen["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_a_windows_1252_page_decodes_by_its_meta_declaration(server):
    html = ("<html><head><meta http-equiv='Content-Type' content='text/html; "
            "charset=windows-1252'><title>Caf\u00e9 \u201cquotes\u201d</title></head>"
            "<body><p>Cr\u00e8me br\u00fbl\u00e9e \u2013 said the chef.</p></body></html>")
    server.route("/cp", html.encode("cp1252"), content_type="text/html")
    text = fetch.fetch(server.url("/cp")).text()
    assert "Caf\u00e9 \u201cquotes\u201d" in text and "Cr\u00e8me br\u00fbl\u00e9e \u2013" in text


# --- articles by URL ---------------------------------------------------------------------------


def test_an_article_by_url_is_fetched_extracted_stored_and_processed(server):
    server.route("/story?utm_source=x", page("Port record"))
    item = feeds.article_fetch_request(url=server.url("/story?utm_source=x"))
    item.refresh_from_db()
    assert item.state == ArticleFetch.State.DONE, item.reason
    article = item.article
    assert article.title == "Port record"
    assert article.url == server.url("/story")  # canonical: the tracking parameter dropped
    assert "harbour master said" in article.text
    article.refresh_from_db()
    assert article.state == Article.State.DONE and article.claims.exists()
    # Asked again: the stored article is the answer, and the page is not fetched again.
    again = feeds.article_fetch_request(url=server.url("/story"))
    assert again.state == ArticleFetch.State.DONE and again.article_id == article.pk
    assert len(server.requests_for("/story?utm_source=x")) == 1


def test_a_windows_1252_article_is_stored_with_its_accents(server):
    body = ("<p>Le ma\u00eetre du port a d\u00e9clar\u00e9 lundi que le port avait "
            "re\u00e7u 40 navires en une seule journ\u00e9e, un record.</p>")
    html = ("<html><head><meta charset='windows-1252'><title>R\u00e9cord \u00e0 "
            f"quai</title></head><body><article>{body}</article></body></html>")
    server.route("/fr", html.encode("cp1252"), content_type="text/html")
    item = feeds.article_fetch_request(url=server.url("/fr"))
    item.refresh_from_db()
    assert item.state == ArticleFetch.State.DONE, item.reason
    assert item.article.title == "R\u00e9cord \u00e0 quai"
    assert "ma\u00eetre du port a d\u00e9clar\u00e9" in item.article.text


def test_a_failed_fetch_keeps_its_reason_and_stores_no_article(server):
    server.route("/img", b"\x89PNG", content_type="image/png")
    item = feeds.article_fetch_request(url=server.url("/img"))
    item.refresh_from_db()
    assert item.state == ArticleFetch.State.FAILED
    assert item.reason == "Content type image/png is not a web page."
    assert not Article.objects.exists()


def test_a_transient_failure_is_tried_again_then_fails_with_its_reason(server):
    server.route("/busy", "later", status=503)
    item = feeds.article_fetch_request(url=server.url("/busy"))
    item.refresh_from_db()
    assert item.state == ArticleFetch.State.PENDING and item.next_attempt_at is not None
    assert "trying again" in item.reason
    for _ in range(feeds.MAX_FETCH_ATTEMPTS - 1):
        ArticleFetch.objects.filter(pk=item.pk).update(next_attempt_at=None)
        feeds.article_fetch_run(fetch_id=item.pk)
    item.refresh_from_db()
    assert item.state == ArticleFetch.State.FAILED and item.reason.startswith("HTTP 503")
    assert item.attempts == feeds.MAX_FETCH_ATTEMPTS


def test_the_sweep_sends_a_fetch_whose_worker_died(server):
    from datetime import timedelta

    from django.utils import timezone

    server.route("/late", page("Late story"))
    long_ago = timezone.now() - timedelta(hours=1)
    item = ArticleFetch.objects.create(url=server.url("/late"),
                                       canonical_url=server.url("/late"),
                                       state=ArticleFetch.State.FETCHING, attempts=1,
                                       next_attempt_at=long_ago)
    ArticleFetch.objects.filter(pk=item.pk).update(created_at=long_ago)
    assert feeds.article_fetches_sweep() == 1
    item.refresh_from_db()
    assert item.state == ArticleFetch.State.DONE and item.article.title == "Late story"


def test_markup_in_the_title_is_stored_as_text_and_escaped_in_the_admin(server):
    server.route("/xss", page("Quay &lt;script&gt;alert(1)&lt;/script&gt; news",
                              body=STORY + "<script>alert('body')</script>"))
    item = feeds.article_fetch_request(url=server.url("/xss"))
    item.refresh_from_db()
    article = item.article
    assert "alert('body')" not in article.text
    staff = Client()
    staff.force_login(desk_user("desk", EDITOR, is_superuser=True))
    html = staff.get(f"/admin/claims/article/{article.pk}/change/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- the API: a URL alone ----------------------------------------------------------------------


@pytest.fixture
def api(db):
    import json

    from claims.clients import client_create

    _, submit = client_create(name="submitter", scopes=["submit"])
    _, other_submit = client_create(name="other submitter", scopes=["submit"])
    _, read = client_create(name="reader", scopes=["read"])
    clients = {"anonymous": Client(), "read": Client(HTTP_AUTHORIZATION=f"Bearer {read}"),
               "submit": Client(HTTP_AUTHORIZATION=f"Bearer {submit}"),
               "other_submit": Client(HTTP_AUTHORIZATION=f"Bearer {other_submit}")}

    def post(who: str, **body):
        return clients[who].post("/api/v1/articles/", data=json.dumps(body),
                                 content_type="application/json")

    return clients, post


def test_a_url_submitted_alone_is_fetched_and_followed_by_its_submitter(server, api):
    clients, post = api
    server.route("/api-story", page("Quay record"))
    response = post("submit", url=server.url("/api-story"))
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["status_url"]
    assert body["status_url"].endswith(f"/api/v1/articles/fetches/{body['id']}/")
    assert body["url"] == server.url("/api-story")
    followed = clients["submit"].get(body["status_url"]).json()
    assert followed["state"] == "done", followed
    article = clients["submit"].get(followed["article"]).json()
    assert article["title"] == "Quay record" and article["state"] == "done"
    assert article["claim_count"] > 0
    assert clients["other_submit"].get(body["status_url"]).status_code == 404
    assert clients["read"].get(body["status_url"]).status_code == 404
    assert clients["anonymous"].get(body["status_url"]).status_code == 401
    # Submitted again by another client: already stored, without saying where.
    again = post("other_submit", url=server.url("/api-story")).json()
    assert again["state"] == "done" and again["article"] is None
    assert str(article["id"]) not in again["reason"]


@pytest.mark.parametrize("who, code", [("anonymous", 401), ("read", 403)])
def test_only_a_submit_token_submits_a_url(server, api, who, code):
    _, post = api
    server.route("/s", page("Quay"))
    assert post(who, url=server.url("/s")).status_code == code
    assert not ArticleFetch.objects.exists() and server.seen == []


@pytest.mark.parametrize("url, code, words", [
    ("http://169.254.169.254/latest/meta-data/", "private_url", "169.254.169.254 is a local"),
    ("http://10.0.0.1/x", "private_url", "10.0.0.1 is a local or private address"),
    ("file:///etc/passwd", "invalid_url", "must start with http:// or https://"),
])
def test_a_private_or_odd_url_is_a_400_with_the_reason(server, api, no_dns, url, code, words):
    _, post = api
    response = post("submit", url=url)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert words in response.json()["error"]["message"]
    assert not ArticleFetch.objects.exists()


def test_a_fetch_that_fails_tells_the_submitter_why(server, api):
    clients, post = api
    server.route("/pdf", b"%PDF-1.4", content_type="application/pdf")
    body = post("submit", url=server.url("/pdf")).json()
    followed = clients["submit"].get(body["status_url"]).json()
    assert followed["state"] == "failed" and followed["article"] is None
    assert followed["reason"] == "Content type application/pdf is not a web page."


# --- a real worker --------------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_fetches_a_submitted_url_and_processes_the_article(
        worker_factory):  # noqa: F811 - the fixture imported above
    import json

    from django.test import override_settings

    from claims.clients import client_create

    with LocalServer() as local:
        local.route("/worker-story", page("Port record for the worker"))
        worker_factory(CLAIMTRACK_FETCH_ALLOW_HOSTS=local.host)
        _, token = client_create(name="submitter", scopes=["submit"])
        submitter = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        # The web side checks the URL as the worker will: only this server is allowed.
        with override_settings(CLAIMTRACK_FETCH_ALLOW_HOSTS=[local.host]):
            response = submitter.post("/api/v1/articles/", content_type="application/json",
                                      data=json.dumps({"url": local.url("/worker-story")}))
        assert response.status_code == 202, response.content
        fetch_id = response.json()["id"]
        deadline = time.monotonic() + 90
        item = ArticleFetch.objects.get(pk=fetch_id)
        while item.state not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.25)
            item.refresh_from_db()
        assert item.state == "done", item.reason
        article = wait_for_state(item.article_id, {"done", "failed"})
        assert article.state == Article.State.DONE, article.error
        assert article.title == "Port record for the worker"
        assert article.claims.exists()
        assert len(local.requests_for("/worker-story")) == 1
        status = submitter.get(response["Location"]).json()
        assert status["state"] == "done" and status["article"].endswith(
            f"/api/v1/articles/{article.pk}/")


# --- settings ------------------------------------------------------------------------------------


def test_production_refuses_hosts_allowed_to_be_private():
    from tests.test_settings import PRODUCTION, start_django

    refused_start = start_django(**PRODUCTION, CLAIMTRACK_FETCH_ALLOW_HOSTS="127.0.0.1:8000")
    assert refused_start.returncode != 0
    assert "CLAIMTRACK_FETCH_ALLOW_HOSTS must be empty" in refused_start.stderr
    assert start_django(**PRODUCTION).returncode == 0
    bad = start_django(CLAIMTRACK_FETCH_TOTAL_TIMEOUT="soon")
    assert bad.returncode != 0 and "CLAIMTRACK_FETCH_TOTAL_TIMEOUT" in bad.stderr
