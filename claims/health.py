"""Operations endpoints: liveness (/health/), readiness (/ready/) and metrics (/metrics).

Probes and scrapers address a container by its IP, which is no host name the site serves:
``OperationsMiddleware``, first in MIDDLEWARE, answers these three paths before anything asks
for the request's host, so ALLOWED_HOSTS stays as strict as the site needs (every other path
is still refused for an unknown Host). Their answers never use the Host header, which is what
host checking protects. /metrics is limited to the addresses in CLAIMTRACK_METRICS_ALLOW or
a bearer CLAIMTRACK_METRICS_TOKEN; anyone else is told it does not exist.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import socket
import time
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# A request relayed by a proxy (it names the client it relayed) is not trusted for its
# address: behind a proxy on the same host, every visitor would come from 127.0.0.1.
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


@never_cache
@require_safe
def health(request):
    """Liveness: the process answers. Touches nothing else, so a database or broker outage
    does not get the web processes restarted."""
    return JsonResponse({"status": "ok"})


# --- Readiness --------------------------------------------------------------------------------


def _check_database() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _check_broker() -> str:
    from claims.metrics import broker_connection
    from config.celery import app

    if app.conf.task_always_eager:
        return "in process"  # no broker: tasks run in the web process
    with broker_connection(app, timeout=settings.CLAIMTRACK_READY_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                               timeout=settings.CLAIMTRACK_READY_TIMEOUT)
        return str(getattr(conn.transport, "driver_type", "connected"))


def _check_cache() -> str:
    from django.core.cache import cache

    key, token = f"claimtrack:ready:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, token, timeout=30)
    try:
        if cache.get(key) != token:
            raise LookupError("the value written was not read back")
    finally:
        cache.delete(key)
    backend = settings.CACHES["default"]["BACKEND"]
    return "redis" if backend.endswith("RedisCache") else "local memory (this process)"


CHECKS = {"database": _check_database, "broker": _check_broker, "cache": _check_cache}


def failure_reason(exc: BaseException) -> str:
    """A short, secret-free reason: the kind of failure, never the exception's text, which
    may carry a URL with its password (the full error goes to the log)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ConnectionRefusedError) or "refused" in str(exc).lower():
            return "connection refused"
        if isinstance(exc, (TimeoutError, socket.timeout)) or "timed out" in str(exc).lower():
            return "timed out"
        if isinstance(exc, socket.gaierror) or "name or service" in str(exc).lower():
            return "host name not resolved"
        exc = exc.__cause__ or exc.__context__
    return "unavailable"


def readiness() -> tuple[bool, dict]:
    checks = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
        except Exception as exc:  # noqa: BLE001 - any failure makes the check fail
            logger.warning("Readiness: %s failed: %s: %s", name, type(exc).__name__, exc)
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {failure_reason(exc)}"}
        else:
            checks[name] = {"ok": True, "detail": detail}
        checks[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return all(check["ok"] for check in checks.values()), checks


@never_cache
@require_safe
def ready(request):
    """Readiness: the database, the broker and the cache answer. 503 names what does not."""
    ok, checks = readiness()
    body = {"status": "ok" if ok else "unavailable", "checks": checks}
    if not ok:
        body["failed"] = [name for name, check in checks.items() if not check["ok"]]
    return JsonResponse(body, status=200 if ok else 503)


# --- Metrics ----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]):
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


def metrics_allowed(request) -> bool:
    """A valid bearer token from anywhere, or a direct request from an allowed address."""
    token = settings.CLAIMTRACK_METRICS_TOKEN
    if token:
        scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode()):
            return True
    if any(request.META.get(header) for header in FORWARDING_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped  # an IPv4 client of a server listening on [::]
    return any(address in network
               for network in _networks(tuple(settings.CLAIMTRACK_METRICS_ALLOW)))


@never_cache
@require_safe
def metrics(request):
    """Prometheus text exposition of every series (claims/metrics.py)."""
    if not metrics_allowed(request):
        return HttpResponseNotFound("Not found.\n", content_type="text/plain")
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    from claims.metrics import REGISTRY

    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


# --- Answered before host checking ------------------------------------------------------------

VIEWS = {"health": health, "ready": ready, "metrics": metrics}


class OperationsMiddleware:
    """Answers /health/, /ready/ and /metrics whatever the Host header says (see the module's
    docstring); first in MIDDLEWARE, so probes are neither redirected nor timed."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths: dict[str, object] | None = None

    def paths(self) -> dict[str, object]:
        if self._paths is None:
            paths = {}
            prefix = get_script_prefix()  # "/desk/" when deployed under a path prefix
            for name, view in VIEWS.items():
                try:
                    path = reverse(name)
                except NoReverseMatch:
                    continue  # not routed in this URLconf
                paths["/" + path.removeprefix(prefix)] = view  # as in path_info
            self._paths = paths
        return self._paths

    def __call__(self, request):
        view = self.paths().get(request.path_info)
        if view is None:
            return self.get_response(request)
        return view(request)
