"""Request bodies: JSON, form and multipart data are read as UTF-8 alike (invalid bytes, raw or
encoded, are a 400 with nothing stored; real non-ASCII text gets through), and a chunked body
is refused with 411 instead of being read as empty."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from django.test import Client
from django.test.client import FakePayload

from claims.api import bodies
from claims.api.urls import router
from claims.clients import client_create
from claims.models import Article, WebhookEndpoint

pytestmark = pytest.mark.django_db

STORY = ("The harbour master said on Monday that the port handled 40 ships in a single day. "
         "The shipping company denied that it had cut wages.")
FIELDS = {"title": "Quay", "source": "Harbour Times", "text": STORY}
BOUNDARY = "claimtrack-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def submitter(db):
    _, token = client_create(name="submitter", scopes=["submit"])
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def part(disposition: bytes, value: bytes, headers: bytes = b"") -> bytes:
    return (f"--{BOUNDARY}\r\n".encode() + b"Content-Disposition: form-data; " + disposition
            + b"\r\n" + headers + b"\r\n" + value + b"\r\n")


def multipart(*parts: bytes, fields=FIELDS) -> bytes:
    """A whole article's fields as parts (as bytes, which the test client would not send
    invalid), then the extra ``parts``."""
    own = [part(f'name="{name}"'.encode(), value.encode()) for name, value in fields.items()]
    return b"".join([*own, *parts]) + f"--{BOUNDARY}--\r\n".encode()


def form(extra: bytes = b"", fields=FIELDS) -> bytes:
    return "&".join(f"{name}={quote(value)}" for name, value in fields.items()).encode() + extra


def broken(body: bytes) -> bytes:
    """The body with bytes that are not UTF-8 at the end of the story."""
    return body.replace(b"wages.", b"wages. \xff\xfe")


# Each body is a whole article but for the invalid bytes: before, Django replaced them with
# U+FFFD and the article was stored (202).
INVALID = {
    "json: raw bytes in a value": ("application/json", broken(json.dumps(FIELDS).encode())),
    "form: raw bytes in a value": (FORM, form(b"\xff\xfe")),
    "form: raw bytes in a name": (FORM, form(b"&n\xffte=1")),
    "form: %-escaped bytes in a value": (FORM, form(b"%FF%FE")),
    "form: %-escaped bytes in a name": (FORM, form(b"&n%FFte=1")),
    "form: a truncated %-escaped character": (FORM, form(b"%C3")),
    "multipart: raw bytes in a value": (MULTIPART, broken(multipart())),
    "multipart: raw bytes in a part's name": (MULTIPART, multipart(part(b'name="n\xffte"', b"1"))),
    "multipart: a base64 part": (MULTIPART, multipart(part(
        b'name="note"', base64.b64encode(b"\xff\xfe"), b"Content-Transfer-Encoding: base64\r\n"))),
    "multipart: an RFC 2231 name": (MULTIPART, multipart(part(b"name*=UTF-8''n%FFte", b"1"))),
    "multipart: a file part": (MULTIPART, multipart(part(
        b'name="attachment"; filename="a.txt"', b"\xff\xfe",
        b"Content-Type: text/plain\r\n"))),
}


@pytest.mark.parametrize("content_type, body", INVALID.values(), ids=INVALID.keys())
def test_it_refuses_invalid_utf8_in_every_content_type_and_stores_nothing(
        submitter, content_type, body):
    before = Article.objects.count()
    response = submitter.post("/api/v1/articles/", data=body, content_type=content_type)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["status"] == 400 and error["code"] == "not_utf8"
    assert "not valid UTF-8" in error["message"]
    assert Article.objects.count() == before


# A U+FFFD sent as such is text like any other: only one made by a replacement is refused.
WORDS = "Łódź — café, naïve, 東京 \ufffd"


@pytest.mark.parametrize("content_type, body", [
    ("application/json", json.dumps({**FIELDS, "title": WORDS, "text": f"{WORDS}. {STORY}"})),
    (FORM, form(fields={**FIELDS, "title": WORDS, "text": f"{WORDS}. {STORY}"})),
    (MULTIPART, multipart(fields={**FIELDS, "title": WORDS, "text": f"{WORDS}. {STORY}"})),
], ids=["json", "form", "multipart"])
def test_it_accepts_non_ascii_utf8_in_every_content_type(submitter, content_type, body):
    response = submitter.post("/api/v1/articles/", data=body, content_type=content_type)
    assert response.status_code == 202, response.content
    article = Article.objects.get()
    assert article.title == WORDS
    assert article.text.startswith(WORDS)


def test_it_refuses_a_body_that_declares_another_charset(submitter):
    # The test client encodes a text body in the charset the content type names.
    body = json.dumps({**FIELDS, "title": "Café"}, ensure_ascii=False)
    response = submitter.post("/api/v1/articles/", data=body,
                              content_type="application/json; charset=latin-1")
    assert response.status_code == 415, response.content
    assert "UTF-8" in response.json()["error"]["message"]
    assert not Article.objects.exists()


def chunked(client, path, body: bytes, content_type="application/json"):
    """A request as gunicorn hands a chunked one to Django: the body in wsgi.input, no
    CONTENT_LENGTH (the test client sets one whenever it is given data)."""
    framed = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    return client.generic("POST", path, CONTENT_TYPE=content_type,
                          HTTP_TRANSFER_ENCODING="chunked", **{
                              "wsgi.input": FakePayload(framed), "wsgi.input_terminated": True})


def test_it_refuses_a_chunked_article_with_411_instead_of_reading_it_as_empty(submitter):
    response = chunked(submitter, "/api/v1/articles/", json.dumps(FIELDS).encode())
    assert response.status_code == 411, response.content
    error = response.json()["error"]
    assert error == {"status": 411, "code": "length_required", "message": error["message"]}
    assert "Content-Length" in error["message"]
    assert not Article.objects.exists()


def test_a_chunked_body_is_refused_only_after_the_token_is_checked(db):
    response = chunked(Client(), "/api/v1/articles/", json.dumps(FIELDS).encode())
    assert response.status_code == 401


def test_the_webhook_endpoints_read_bodies_the_same_way(db):
    _, token = client_create(name="reader", scopes=["read"])
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = reader.post("/api/v1/webhooks/", content_type=FORM,
                           data=b"url=https://hooks.consumer.test/in%FF&events=claim.published")
    assert response.status_code == 400 and response.json()["error"]["code"] == "not_utf8"
    response = chunked(reader, "/api/v1/webhooks/", b'{"url": "https://hooks.consumer.test/in",'
                       b' "events": ["claim.published"]}')
    assert response.status_code == 411
    assert not WebhookEndpoint.objects.exists()


def test_a_multipart_body_with_a_file_is_bounded_by_djangos_limit(submitter, settings):
    """Django counts multipart field data only against DATA_UPLOAD_MAX_MEMORY_SIZE; the body
    is read whole here (no endpoint takes files), so the limit counts all of it."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    body = multipart(part(b'name="attachment"; filename="a.txt"', b"x" * 10_000))
    response = submitter.post("/api/v1/articles/", data=body, content_type=MULTIPART)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert not Article.objects.exists()


def test_every_api_view_that_takes_a_body_reads_it_with_the_utf8_parsers():
    """A new writable viewset without RequestBodyMixin would take DRF's parsers, which store
    invalid form bytes as U+FFFD, and read a chunked body as empty."""
    writable = [viewset for _, viewset, _ in router.registry
                if any(hasattr(viewset, name) for name in ("create", "update"))]
    assert writable, "no writable API views found: is the router still claims.api.urls'?"
    for viewset in writable:
        assert issubclass(viewset, bodies.RequestBodyMixin), viewset
        assert viewset.parser_classes == bodies.PARSERS, viewset
