"""Webhooks: signed claim events reach a real HTTP receiver after publishing and correcting;
failures are retried with backoff and given up after the last attempt; internal addresses are
refused at registration and at delivery (DNS rebinding); a delivered event is never sent
again; consumers manage only their own endpoints through the API."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import urllib3
from django.contrib.auth.models import Permission
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import claims.admin  # noqa: F401 - registers the admin pages, webhooks among them
from claims import review, tasks, webhooks
from claims.clients import client_create
from claims.models import Evidence, WebhookDelivery, WebhookEndpoint
from claims.roles import EDITOR, FACT_CHECKER
from tests.conftest import require
from tests.factories import ClaimFactory, UserFactory, desk_user, publish_claim

pytestmark = pytest.mark.django_db

PUBLIC_IP = "93.184.216.34"  # any global address: registration only resolves, never connects


# --- the documented verification, as a consumer would write it ---------------------------------


def verify(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """Copied from the docstring of claims.webhooks."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, signature = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or abs(time.time() - int(t)) > tolerance:
        return False  # outside the replay window
    expected = hmac.new(secret.encode(), t.encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """Names tests resolve, without the network; IP literals resolve as usual."""
    names: dict[str, str] = {"hooks.consumer.test": PUBLIC_IP}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.lower() in names:
            return real(names[host.lower()], port, *args, **kwargs)
        try:
            socket.inet_pton(socket.AF_INET6 if ":" in str(host) else socket.AF_INET, host)
        except (OSError, TypeError):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


@pytest.fixture
def allow_private(settings):
    settings.CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE = True


class Receiver:
    """A consumer on 127.0.0.1 that records each request and answers as scripted."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict] = []
        self.server_names: list[str] = []  # TLS: the name each client asked for (SNI)
        self.answers: list[int] = []  # one status per request, then 200
        self.delay = 0.0
        self.error_body = b"receiver exploded"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                time.sleep(receiver.delay)
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                payload = b"ok" if status < 300 else receiver.error_body
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/claimtrack-hook"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def reader(db):
    client, token = client_create(name="reader", scopes=["read"])
    return client


@pytest.fixture
def desk(db):
    return {"checker": desk_user("checker", FACT_CHECKER), "editor": desk_user("editor", EDITOR),
            "editor2": desk_user("editor2", EDITOR)}


def publish(claim, desk, capture, verdict="false"):
    """Drive a claim through the review services to published, running what is sent on commit."""
    with capture(execute=True):
        return publish_claim(claim, checker=desk["checker"], editor=desk["editor"],
                             verdict=verdict)


def make_due(delivery):
    """As if the backoff had elapsed."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1))


# --- signatures ---------------------------------------------------------------------------------


def test_it_signs_so_the_documented_check_accepts_it_and_refuses_tampering_and_old_ones():
    secret, body, now = "ab" * 32, b'{"event":"claim.published"}', int(time.time())
    header = webhooks.signature(secret=secret, timestamp=now, body=body)
    assert header.startswith(f"t={now},v1=")
    assert verify(secret, body, header)
    assert not verify(secret, body + b" ", header)
    assert not verify("cd" * 32, body, header)
    old = webhooks.signature(secret=secret, timestamp=now - 301, body=body)
    assert not verify(secret, body, old)  # a replay after the window


# --- delivery after publishing and correcting ---------------------------------------------------


def test_it_delivers_a_signed_claim_published_event_after_publishing(
        allow_private, receiver, reader, desk, django_capture_on_commit_callbacks):
    endpoint, secret = webhooks.endpoint_register(client=reader, url=receiver.url,
                                                  events=["claim.published"])
    claim = publish(ClaimFactory(), desk, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    delivery = WebhookDelivery.objects.get()
    assert request["path"] == "/claimtrack-hook"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["X-Claimtrack-Event"] == "claim.published"
    assert request["headers"]["X-Claimtrack-Delivery"] == str(delivery.event_id)
    assert verify(secret, request["body"], request["headers"]["X-Claimtrack-Signature"])
    body = json.loads(request["body"])
    assert body["event"] == "claim.published" and body["event_id"] == str(delivery.event_id)
    assert body["claim"]["id"] == claim.pk and body["claim"]["text"] == claim.text
    assert body["claim"]["verdict"]["value"] == "false"
    assert body["claim"]["url"] == f"/api/v1/claims/{claim.pk}/"
    assert body["occurred_at"]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "delivered", 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_evidence_stored_at_a_private_address_reaches_no_reader_webhooks_included(
        allow_private, receiver, reader, desk, django_capture_on_commit_callbacks):
    """Publishing decides what evidence readers get, once: the event, the API (detail and
    list) and the public page all leave out a source saved before such addresses were
    refused, and all keep the public one."""
    webhooks.endpoint_register(client=reader, url=receiver.url, events=["claim.published"])
    claim = ClaimFactory()
    # Saved directly, as rows were before evidence_add refused private addresses.
    Evidence.objects.create(claim=claim, url="http://10.0.0.5/intranet/log", note="Copy")
    claim = publish(claim, desk, django_capture_on_commit_callbacks)
    public_url = "https://records.example.org/log"

    sent = json.loads(receiver.requests[0]["body"])["claim"]
    detail = Client().get(f"/api/v1/claims/{claim.pk}/").json()
    listed = next(row for row in Client().get("/api/v1/claims/").json()["results"]
                  if row["id"] == claim.pk)
    for where in (sent, detail, listed):
        assert [row["url"] for row in where["evidence"]] == [public_url]
    page = Client().get(reverse("claim-public", args=[claim.pk])).content.decode()
    assert public_url in page and "10.0.0.5" not in page
    assert "10.0.0.5" not in json.dumps(WebhookDelivery.objects.get().payload)


def test_it_sends_claim_corrected_only_to_endpoints_subscribed_to_it(
        allow_private, receiver, reader, desk, django_capture_on_commit_callbacks):
    webhooks.endpoint_register(client=reader, url=receiver.url, events=["claim.corrected"])
    claim = publish(ClaimFactory(), desk, django_capture_on_commit_callbacks)
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        claim = review.claim_correct(claim=claim, user=desk["editor"], verdict="mostly_false",
                                     rationale="The log shows 38 ships.", note="Recounted.")
    assert receiver.requests == []  # proposed only: nothing changed for the public yet
    with django_capture_on_commit_callbacks(execute=True):
        review.claim_correction_approve(claim=claim, user=desk["editor2"])

    assert [r["headers"]["X-Claimtrack-Event"] for r in receiver.requests] == [
        "claim.corrected"]
    claim_data = json.loads(receiver.requests[0]["body"])["claim"]
    assert claim_data["verdict"]["value"] == "mostly_false"
    assert [v["corrected_at"] is not None for v in claim_data["verdicts"]] == [True, False]


def test_it_sends_nothing_to_inactive_endpoints_or_clients_without_the_read_scope(
        allow_private, receiver, reader, desk, django_capture_on_commit_callbacks):
    endpoint, _ = webhooks.endpoint_register(client=reader, url=receiver.url,
                                             events=["claim.published"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
    other, _ = client_create(name="revoked", scopes=["read"])
    webhooks.endpoint_register(client=other, url=receiver.url, events=["claim.published"])
    type(other).objects.filter(pk=other.pk).update(active=False)

    publish(ClaimFactory(), desk, django_capture_on_commit_callbacks)

    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_it_connects_to_the_checked_address_and_names_the_host(
        allow_private, receiver, reader, desk, dns, django_capture_on_commit_callbacks):
    dns["hooks.local.test"] = "127.0.0.1"
    webhooks.endpoint_register(client=reader, url=f"http://hooks.local.test:{receiver.port}/in",
                               events=["claim.published"])
    publish(ClaimFactory(), desk, django_capture_on_commit_callbacks)

    assert receiver.requests[0]["headers"]["Host"] == f"hooks.local.test:{receiver.port}"
    assert WebhookDelivery.objects.get().status == "delivered"


@pytest.fixture
def tls_receiver(tmp_path, dns, monkeypatch):
    """An https receiver for hooks.local.test (127.0.0.1), its certificate trusted as a
    public CA's would be."""
    require(shutil.which("openssl") is not None, "openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.local.test",
                    "-addext", "subjectAltName=DNS:hooks.local.test"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    monkeypatch.setattr(urllib3, "HTTPSConnectionPool",
                        functools.partial(urllib3.HTTPSConnectionPool, ca_certs=str(cert)))
    dns.update({"hooks.local.test": "127.0.0.1", "impostor.local.test": "127.0.0.1"})
    server = Receiver(tls=context)
    yield server
    server.close()


def test_https_checks_the_certificate_against_the_name_while_connecting_to_the_address(
        allow_private, tls_receiver, reader):
    good, _ = webhooks.endpoint_register(
        client=reader, url=f"https://hooks.local.test:{tls_receiver.port}/in",
        events=["claim.published"])
    bad, _ = webhooks.endpoint_register(
        client=reader, url=f"https://impostor.local.test:{tls_receiver.port}/in",
        events=["claim.published"])
    outcomes = {}
    for endpoint in (good, bad):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=uuid.uuid4(),
            event="claim.published", payload={"event": "claim.published"},
            next_attempt_at=timezone.now())
        outcomes[endpoint] = (webhooks.delivery_attempt(delivery_id=delivery.pk),
                              WebhookDelivery.objects.get(pk=delivery.pk).last_error)

    assert outcomes[good] == ("delivered", "")
    assert outcomes[bad][0] == "retry" and "SSLError" in outcomes[bad][1]
    assert len(tls_receiver.requests) == 1  # only the name on the certificate was sent to
    assert tls_receiver.server_names[0] == "hooks.local.test"


# --- retries, backoff and giving up -------------------------------------------------------------


def test_it_retries_a_failing_receiver_with_growing_backoff_until_it_succeeds(
        allow_private, receiver, reader, desk, django_capture_on_commit_callbacks):
    receiver.answers = [500, 500, 200]
    webhooks.endpoint_register(client=reader, url=receiver.url, events=["claim.published"])
    publish(ClaimFactory(), desk, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get()
    # The task's retry ran at once in process, found the delivery not yet due and stopped.
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500: receiver exploded"
    waits = [(delivery.next_attempt_at - timezone.now()).total_seconds()]

    make_due(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhooks_sweep() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 2)
    waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())

    make_due(delivery)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.webhooks_sweep()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 3, "")
    assert len(receiver.requests) == 3
    assert 25 < waits[0] <= 30 and 55 < waits[1] <= 60
    # Every attempt carries the same delivery id and a valid, freshly timed signature.
    assert len({r["headers"]["X-Claimtrack-Delivery"] for r in receiver.requests}) == 1


def test_the_task_asks_celery_to_come_back_when_the_service_scheduled_the_retry(
        allow_private, receiver, reader, monkeypatch):
    from celery.exceptions import Ignore

    receiver.answers = [503]
    endpoint, _ = webhooks.endpoint_register(client=reader, url=receiver.url,
                                             events=["claim.published"])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id="6f1c1f7e-3c55-4a53-9a59-5a5d0c1f2b11",
        event="claim.published", payload={"event": "claim.published"},
        next_attempt_at=timezone.now())
    countdowns = []
    monkeypatch.setattr(tasks.deliver_webhook_task, "retry",
                        lambda **kw: countdowns.append(kw["countdown"]) or Ignore())

    tasks.deliver_webhook_task.apply(args=[delivery.pk])

    assert len(countdowns) == 1 and 29 <= countdowns[0] <= 30


def test_it_gives_up_after_the_last_attempt(allow_private, receiver, reader):
    receiver.answers = [500] * webhooks.MAX_ATTEMPTS
    endpoint, _ = webhooks.endpoint_register(client=reader, url=receiver.url,
                                             events=["claim.published"])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id="0d6f4c1e-8a7b-4d43-9c1f-0a2b3c4d5e6f",
        event="claim.published", payload={"event": "claim.published"},
        next_attempt_at=timezone.now())
    outcomes = []
    for _ in range(webhooks.MAX_ATTEMPTS):
        make_due(delivery)
        outcomes.append(webhooks.delivery_attempt(delivery_id=delivery.pk))

    delivery.refresh_from_db()
    assert outcomes == ["retry"] * (webhooks.MAX_ATTEMPTS - 1) + ["failed"]
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        "failed", webhooks.MAX_ATTEMPTS, None)
    assert delivery.last_error.startswith(f"Gave up after {webhooks.MAX_ATTEMPTS} attempts.")
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS


def test_the_backoff_doubles_from_30_seconds_and_is_capped():
    assert [webhooks.backoff(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920,
                                                          3600]
    assert webhooks.backoff(20) == webhooks.BACKOFF_CAP


@pytest.fixture
def delivery(reader, receiver, allow_private):
    endpoint, _ = webhooks.endpoint_register(client=reader, url=receiver.url,
                                             events=["claim.published"])
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event_id="3e0f5d3a-1b2c-4d5e-8f90-a1b2c3d4e5f6",
        event="claim.published", payload={"event": "claim.published"},
        next_attempt_at=timezone.now())


def test_it_does_not_follow_redirects(delivery, receiver):
    receiver.answers = [302]
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302 and "not followed" in delivery.last_error
    assert [r["path"] for r in receiver.requests] == ["/claimtrack-hook"]


def test_it_keeps_the_start_of_a_failing_answer_without_its_control_characters(
        delivery, receiver):
    receiver.answers, receiver.error_body = [500], b"Traceback\x00\x1b[31m" + b"x" * 5000
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "retry"
    error = WebhookDelivery.objects.get(pk=delivery.pk).last_error
    assert error.startswith("HTTP 500: Traceback\ufffd\ufffd[31mxxx")
    assert len(error) == len("HTTP 500: ") + webhooks.ERROR_BODY_BYTES


def test_a_receiver_slower_than_the_read_timeout_counts_as_a_failure(
        delivery, receiver, monkeypatch):
    monkeypatch.setattr(webhooks, "READ_TIMEOUT", 0.2)
    receiver.delay = 1.0
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and "ReadTimeoutError" in delivery.last_error


def test_a_refused_connection_is_a_failure_to_retry(delivery, receiver):
    receiver.close()
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("Could not connect to 127.0.0.1")


def test_a_pending_delivery_to_a_deactivated_endpoint_fails_unsent(delivery, receiver):
    assert webhooks.endpoint_deactivate(endpoint_id=delivery.endpoint_id)
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "failed"
    assert receiver.requests == []
    assert "deactivated" in WebhookDelivery.objects.get(pk=delivery.pk).last_error


# --- idempotency and concurrency ----------------------------------------------------------------


def test_a_delivered_delivery_is_not_sent_again(delivery, receiver):
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "delivered"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())

    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "skipped"
    assert tasks.deliver_webhook_task.apply(args=[delivery.pk]).get() == "skipped"
    assert webhooks.webhooks_sweep() == 0
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1


def test_an_attempt_already_running_is_not_started_twice(delivery, receiver, monkeypatch):
    real_post, seen = webhooks._post, []

    def post_while_another_worker_tries(*args):
        seen.append(webhooks.delivery_attempt(delivery_id=delivery.pk))
        return real_post(*args)

    monkeypatch.setattr(webhooks, "_post", post_while_another_worker_tries)
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "delivered"
    assert seen == ["not_due"] and len(receiver.requests) == 1


def test_a_delivery_not_yet_due_is_left_for_later(delivery, receiver):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "not_due"
    assert webhooks.webhooks_sweep() == 0
    assert receiver.requests == []


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_simultaneous_attempts_on_postgresql_send_once(receiver, settings):
    require(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    settings.CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE = True
    receiver.delay = 0.3  # the first request is still open when the others start
    client, _ = client_create(name="racer", scopes=["read"])
    endpoint, _ = webhooks.endpoint_register(client=client, url=receiver.url,
                                             events=["claim.published"])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id="9b2f7a10-0c3d-4e5f-8a9b-0c1d2e3f4a5b",
        event="claim.published", payload={"event": "claim.published"},
        next_attempt_at=timezone.now())
    barrier, results = threading.Barrier(4), []

    def attempt():
        try:
            barrier.wait()
            results.append(webhooks.delivery_attempt(delivery_id=delivery.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results) == ["delivered", "not_due", "not_due", "not_due"]
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 1


# --- where deliveries may go --------------------------------------------------------------------


@pytest.mark.parametrize("url, code", [
    ("http://localhost:8000/hook", "private_url"),
    ("http://127.0.0.1/hook", "private_url"),
    ("http://0x7f.1/hook", "private_url"),
    ("https://10.1.2.3/hook", "private_url"),
    ("http://192.168.0.10/hook", "private_url"),
    ("http://169.254.169.254/latest/meta-data/", "private_url"),
    ("http://[::1]:8080/hook", "private_url"),
    ("http://[::ffff:127.0.0.1]/hook", "private_url"),
    ("http://[fd00::1]/hook", "private_url"),
    ("https://rebind.attacker.test/hook", "private_url"),  # resolves to 127.0.0.1
    ("https://intranet/hook", "private_url"),
    ("https://nowhere.test/hook", "unresolvable"),
    ("ftp://hooks.consumer.test/hook", "invalid_url"),
    ("https://user:pw@hooks.consumer.test/hook", "invalid_url"),
    ("hooks.consumer.test/hook", "invalid_url"),
])
def test_it_refuses_urls_that_are_not_public(reader, dns, url, code):
    dns["rebind.attacker.test"] = "127.0.0.1"
    with pytest.raises(webhooks.WebhookError) as refused:
        webhooks.endpoint_register(client=reader, url=url, events=["claim.published"])
    assert refused.value.code == code
    assert not WebhookEndpoint.objects.exists()


def test_it_accepts_a_public_https_url_and_returns_a_fresh_secret(reader):
    endpoint, secret = webhooks.endpoint_register(
        client=reader, url="https://hooks.consumer.test/in?source=claimtrack",
        events=["claim.corrected", "claim.published", "claim.published"])
    assert endpoint.url == "https://hooks.consumer.test/in?source=claimtrack"
    assert endpoint.events == ["claim.corrected", "claim.published"]
    assert len(secret) == 64 and endpoint.secret == secret


def test_it_refuses_more_endpoints_than_a_client_may_have(reader):
    for n in range(webhooks.MAX_ENDPOINTS_PER_CLIENT):
        webhooks.endpoint_register(client=reader, url=f"https://hooks.consumer.test/{n}",
                                   events=["claim.published"])
    with pytest.raises(webhooks.WebhookError) as refused:
        webhooks.endpoint_register(client=reader, url="https://hooks.consumer.test/more",
                                   events=["claim.published"])
    assert refused.value.code == "too_many"
    assert WebhookEndpoint.objects.count() == webhooks.MAX_ENDPOINTS_PER_CLIENT


@pytest.mark.parametrize("events", [[], ["claim.deleted"], "claim.published"])
def test_it_refuses_unknown_or_missing_events(reader, events):
    with pytest.raises(webhooks.WebhookError) as refused:
        webhooks.endpoint_register(client=reader, url="https://hooks.consumer.test/in",
                                   events=events)
    assert refused.value.code == "invalid_events"


def test_a_host_that_later_resolves_to_a_private_address_is_not_contacted(
        reader, receiver, dns):
    """DNS rebinding: public at registration, 127.0.0.1 (where the receiver is) at delivery."""
    dns["hooks.rebind.test"] = PUBLIC_IP
    endpoint, _ = webhooks.endpoint_register(
        client=reader, url=f"http://hooks.rebind.test:{receiver.port}/in",
        events=["claim.published"])
    dns["hooks.rebind.test"] = "127.0.0.1"
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id="5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
        event="claim.published", payload={"event": "claim.published"},
        next_attempt_at=timezone.now())

    assert webhooks.delivery_attempt(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.last_error.startswith("Not sent: hooks.rebind.test resolves to 127.0.0.1")


# --- the API, per persona -----------------------------------------------------------------------


@pytest.fixture
def personas(db):
    _, read = client_create(name="consumer", scopes=["read"])
    _, other = client_create(name="other consumer", scopes=["read"])
    _, submit = client_create(name="submitter", scopes=["submit"])
    staff = UserFactory(username="desk", is_staff=True, is_superuser=True)
    session = Client()
    session.force_login(staff)
    return {"anonymous": Client(), "read": Client(HTTP_AUTHORIZATION=f"Bearer {read}"),
            "other": Client(HTTP_AUTHORIZATION=f"Bearer {other}"),
            "submit": Client(HTTP_AUTHORIZATION=f"Bearer {submit}"), "staff": session}


WEBHOOKS = "/api/v1/webhooks/"
NEW = {"url": "https://hooks.consumer.test/in", "events": ["claim.published"]}


def create(client, body=NEW):
    return client.post(WEBHOOKS, data=json.dumps(body), content_type="application/json")


def test_it_answers_401_to_anonymous_requests(personas):
    for response in (personas["anonymous"].get(WEBHOOKS), create(personas["anonymous"])):
        assert response.status_code == 401
        assert response.json()["error"]["status"] == 401


@pytest.mark.parametrize("who", ["submit", "staff"])
def test_it_answers_403_without_a_read_token(personas, who):
    for response in (personas[who].get(WEBHOOKS), create(personas[who])):
        assert response.status_code == 403
        assert "read scope" in response.json()["error"]["message"]
    assert not WebhookEndpoint.objects.exists()


def test_a_read_client_creates_lists_shows_and_removes_its_endpoint(personas):
    created = create(personas["read"])
    assert created.status_code == 201
    body = created.json()
    assert body["url"] == NEW["url"] and body["events"] == NEW["events"] and body["active"]
    assert len(body["secret"]) == 64
    assert created["Location"].endswith(f"{WEBHOOKS}{body['id']}/")
    assert WebhookEndpoint.objects.get(pk=body["id"]).client.name == "consumer"

    listed = personas["read"].get(WEBHOOKS)
    shown = personas["read"].get(f"{WEBHOOKS}{body['id']}/")
    assert listed.status_code == 200 and shown.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [body["id"]]
    # The secret is shown once, at creation.
    assert "secret" not in listed.json()["results"][0] and "secret" not in shown.json()
    assert body["secret"] not in listed.content.decode() + shown.content.decode()

    assert personas["read"].delete(f"{WEBHOOKS}{body['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_another_clients_endpoint_is_not_found(personas):
    endpoint_id = create(personas["read"]).json()["id"]
    other = personas["other"]
    assert other.get(f"{WEBHOOKS}{endpoint_id}/").status_code == 404
    assert other.delete(f"{WEBHOOKS}{endpoint_id}/").status_code == 404
    assert other.get(WEBHOOKS).json()["results"] == []
    assert WebhookEndpoint.objects.filter(pk=endpoint_id).exists()


def test_it_refuses_an_internal_url_with_a_clear_400(personas):
    response = create(personas["read"], {"url": "http://169.254.169.254/latest/meta-data/",
                                         "events": ["claim.published"]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "private_url" and "public" in error["message"]
    assert error["fields"]["url"] == [error["message"]]
    assert not WebhookEndpoint.objects.exists()


def test_it_refuses_unknown_events_and_a_url_registered_twice(personas):
    unknown = create(personas["read"], {"url": NEW["url"], "events": ["claim.deleted"]})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["fields"]["events"] == [
        '"claim.deleted" is not a valid choice.']
    assert create(personas["read"]).status_code == 201
    again = create(personas["read"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate"


# --- the admin ----------------------------------------------------------------------------------


def test_the_delivery_log_retries_a_failed_delivery_through_the_service(
        delivery, receiver, django_capture_on_commit_callbacks):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="failed", attempts=webhooks.MAX_ATTEMPTS, next_attempt_at=None,
        last_error="Gave up after 8 attempts. HTTP 500")
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)

    page = browser.get("/admin/claims/webhookdelivery/")
    assert page.status_code == 200 and "Gave up after 8 attempts" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/admin/claims/webhookdelivery/",
                     {"action": "retry_now", "_selected_action": [delivery.pk]})

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert len(receiver.requests) == 1


def test_the_endpoint_pages_never_show_the_secret(delivery):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    secret = delivery.endpoint.secret
    for path in ("/admin/claims/webhookendpoint/",
                 f"/admin/claims/webhookendpoint/{delivery.endpoint_id}/change/",
                 f"/admin/claims/webhookdelivery/{delivery.pk}/change/"):
        page = browser.get(path)
        assert page.status_code == 200 and secret not in page.content.decode()


def test_a_staff_member_without_the_permission_cannot_retry(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookdelivery"))
    browser = Client()
    browser.force_login(viewer)
    page = browser.get("/admin/claims/webhookdelivery/")
    assert page.status_code == 200 and "retry_now" not in page.content.decode()
    browser.post("/admin/claims/webhookdelivery/",
                 {"action": "retry_now", "_selected_action": [delivery.pk]})
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "failed"


def test_a_delivery_whose_worker_died_is_sent_after_its_lease(
        allow_private, receiver, reader, desk, django_capture_on_commit_callbacks):
    """A worker claims an attempt (attempts + 1, next_attempt_at = the lease's end) and dies
    before recording anything: the sweep leaves it alone while the lease runs, then sends it,
    once."""
    webhooks.endpoint_register(client=reader, url=receiver.url, events=["claim.published"])
    with django_capture_on_commit_callbacks(execute=False):  # the task message is lost too
        publish_claim(ClaimFactory(), checker=desk["checker"], editor=desk["editor"])
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, next_attempt_at=now + timedelta(seconds=webhooks._lease_seconds()))
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhooks_sweep() == 0
    assert receiver.requests == []
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=now - timedelta(seconds=1))  # the lease ran out
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhooks_sweep() == 1
    assert [r["headers"]["X-Claimtrack-Event"] for r in receiver.requests] == ["claim.published"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhooks_sweep() == 0  # sent once
