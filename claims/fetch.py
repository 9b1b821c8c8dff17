"""Fetching a page from the web without letting it reach into the server's own network.

``fetch(url, accept=...)`` makes a GET and returns the body, or raises ``FetchError`` with a
reason an editor can act on. Every hop is checked as a webhook delivery is: the host must
resolve only to public addresses, and the connection goes to the address that was checked
(the name is sent as Host and TLS SNI), so a name that resolves elsewhere a moment later
(DNS rebinding) gains nothing. Redirects are followed by hand, up to
``CLAIMTRACK_FETCH_MAX_REDIRECTS``, each one checked again. Connect and read timeouts bound
each step, and a watchdog closes the connection at the total deadline, so a server that
drips its answer cannot hold a worker. The body is read in chunks and abandoned once over
``CLAIMTRACK_FETCH_MAX_BYTES``; the content type is checked before any of it is read.

``CLAIMTRACK_FETCH_ALLOW_HOSTS`` names hosts (``host`` or ``host:port``) that may be local or
private: development and tests only, refused in production.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError, NewConnectionError

from claims.errors import InvalidArticle
from claims.urlcheck import _is_internal_host, _normalise_host, canonical_url

# What each use accepts. Articles: web pages and plain text. Feeds: the XML flavours
# servers label RSS and Atom with (text/plain too: static hosts often serve .rss so).
# ClaimReview: JSON feeds, and pages carrying JSON-LD.
ARTICLE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
              "application/xml", "text/xml", "text/plain")
CLAIMREVIEW_TYPES = ("application/json", "application/ld+json", "text/html",
                     "application/xhtml+xml")
_TYPE_NAMES = {ARTICLE_TYPES: "a web page", FEED_TYPES: "an RSS or Atom feed",
               CLAIMREVIEW_TYPES: "a web page or JSON"}

_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = {301, 302, 303, 307, 308}
# A host name may resolve to several addresses; try this many before giving up.
MAX_ADDRESSES = 3
CHUNK = 65536
# Answers worth trying again later: the server is overloaded or briefly down.
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class FetchError(Exception):
    """A fetch that did not give a usable body; ``reason`` is written for an editor.

    ``transient``: the same request may succeed later (timeouts, connection failures, 5xx).
    """

    def __init__(self, reason: str, code: str = "fetch_failed", *, transient: bool = False,
                 status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.transient = transient
        self.status = status


@dataclass(frozen=True)
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 200 (or another 2xx), or 304 when not modified
    content_type: str = ""
    charset: str = ""  # from the Content-Type header; "" when it names none
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body decoded: the header's charset, else the page's own ``<meta>``
        declaration, else UTF-8; bytes that do not decode become U+FFFD."""
        for name in (self.charset, declared_charset(self.body), "utf-8"):
            if not name:
                continue
            try:
                return self.body.decode(_codec(name), "replace")
            except LookupError:
                continue
        return self.body.decode("utf-8", "replace")  # pragma: no cover - utf-8 always exists


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")


def declared_charset(body: bytes) -> str:
    """The encoding a document declares in its first 2 KB (``<meta charset>``, the
    http-equiv form, or the XML declaration); "" if none."""
    head = body[:2048]
    found = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return found.group(1).decode("ascii").lower() if found else ""


def _codec(name: str) -> str:
    # What browsers do (WHATWG Encoding): a page labelled Latin-1 is decoded as windows-1252,
    # whose extra characters (curly quotes, dashes) pages use while saying ISO-8859-1.
    name = name.strip().lower()
    return "cp1252" if name in {"iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"} else name


# --- settings ------------------------------------------------------------------------------------


def _allowed() -> set[str]:
    return {entry.strip().lower() for entry in
            getattr(settings, "CLAIMTRACK_FETCH_ALLOW_HOSTS", []) or [] if entry.strip()}


def host_allowed(host: str, port: int) -> bool:
    """Whether ``CLAIMTRACK_FETCH_ALLOW_HOSTS`` lets ``host:port`` be a private address."""
    allowed = _allowed()
    if not allowed:
        return False
    shown = f"[{host}]" if ":" in host else host
    return host in allowed or f"{shown}:{port}" in allowed


def _max_bytes() -> int:
    return int(getattr(settings, "CLAIMTRACK_FETCH_MAX_BYTES",
                       settings.CLAIMTRACK_ARTICLE_MAX_BYTES))


def user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("claimtrack")
    except PackageNotFoundError:
        release = "dev"
    contact = getattr(settings, "CLAIMTRACK_PUBLISHER_URL", "")
    return f"Claimtrack/{release}" + (f" (+{contact})" if contact else "")


# --- addresses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, IDNA-encoded, IPv6 without brackets
    port: int
    path: str  # path and query, as sent in the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def shown(self) -> str:
        return f"{self.scheme}://{self.host_header}"


def target(url: str) -> Target:
    """The parts of an http(s) URL a request needs; FetchError if it has none."""
    value = (url or "").strip()
    if not value:
        raise FetchError("No URL was given.", "invalid_url")
    if len(value) > 2000:
        raise FetchError("The URL is longer than 2000 characters.", "invalid_url")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"The URL {value[:200]!r} is malformed: {exc}.", "invalid_url") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise FetchError(f"The URL {value[:200]!r} must start with http:// or https://.",
                         "invalid_url")
    if parts.username or parts.password:
        raise FetchError("The URL must not carry a user name or password.", "invalid_url")
    try:
        host = _normalise_host(parts.hostname or "").rstrip(".")
    except InvalidArticle as exc:
        raise FetchError(exc.message, "invalid_url") from None
    if not host:
        raise FetchError(f"The URL {value[:200]!r} has no host name.", "invalid_url")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port or _DEFAULT_PORTS[scheme], path=path)


def check_url(url: str) -> Target:
    """The URL's target if it may be fetched, judged without DNS: FetchError for a URL that
    is malformed or names a local or private host (unless allowed by setting)."""
    where = target(url)
    if not host_allowed(where.host, where.port) and _is_internal_host(where.host):
        raise FetchError(f"{where.host} is a local or private address: only public web "
                         "pages are fetched.", "private_url")
    return where


def canonical(url: str) -> str:
    """``canonical_url`` of a URL that may be fetched, hosts allowed by setting included."""
    where = check_url(url)
    if not host_allowed(where.host, where.port):
        try:
            return canonical_url(url)
        except InvalidArticle as exc:
            raise FetchError(exc.message, "invalid_url") from None
    # An allowed private host: normalised as any public one would be (tracking parameters
    # dropped, trailing slash), its own host and port kept.
    stand_in = "allowed-host.invalid"
    parts = urlsplit(url.strip())
    public = parts._replace(netloc=stand_in).geturl()
    try:
        normal = canonical_url(public)
    except InvalidArticle as exc:
        raise FetchError(exc.message, "invalid_url") from None
    return normal.replace(stand_in, where.host_header, 1)


def resolve(where: Target, *, allow_private: bool | None = None,
            refusal: str = "only public web pages are fetched") -> list[str]:
    """The addresses to connect to, each public unless ``allow_private`` (by default: the
    host is allowed by ``CLAIMTRACK_FETCH_ALLOW_HOSTS``). Webhook deliveries resolve through
    here too, with their own setting and ``refusal`` wording.

    One internal address among public ones is still refused: the connection could go to it.
    """
    allowed = host_allowed(where.host, where.port) if allow_private is None else allow_private
    if not allowed and _is_internal_host(where.host):
        raise FetchError(f"{where.host} is a local or private address: {refusal}.",
                         "private_url")
    try:
        infos = socket.getaddrinfo(where.host, where.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"The host name {where.host} does not resolve ({exc}).",
                         "unresolvable", transient=True) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise FetchError(f"The host name {where.host} does not resolve.", "unresolvable",
                         transient=True)
    if not allowed:
        internal = [a for a in addresses if _is_internal_host(a)]
        if internal:
            raise FetchError(f"{where.host} resolves to {internal[0]}, a local or private "
                             f"address: {refusal}.", "private_url")
    return addresses


# --- the request ----------------------------------------------------------------------------------


class _Watchdog:
    """Shuts the connections of a pool down at the deadline: a read blocked on a server that
    sends a byte now and then returns at once, with an error."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self.sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def watch(self, sock) -> None:
        with self._lock:
            if self.fired:
                _shutdown(sock)
            else:
                self.sockets.append(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self.sockets:
                _shutdown(sock)


def _shutdown(sock) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _pool(where: Target, address: str, timeout: urllib3.Timeout, watchdog: _Watchdog):
    """A one-connection pool to ``address`` itself; TLS still verifies the certificate for
    the name, sent as SNI."""
    base = urllib3.HTTPSConnectionPool if where.scheme == "https" else urllib3.HTTPConnectionPool
    extra = ({"server_hostname": where.host, "assert_hostname": where.host}
             if where.scheme == "https" else {})

    class Pool(base):
        def _validate_conn(self, conn) -> None:
            super()._validate_conn(conn)  # connects, for TLS
            if conn.is_closed:
                conn.connect()  # with the connect timeout, set by the pool just before
            watchdog.watch(conn.sock)

    return Pool(address, where.port, timeout=timeout, retries=False, maxsize=1, **extra)


def _content_type(response) -> tuple[str, str]:
    message = Message()
    message["content-type"] = response.headers.get("Content-Type", "")
    return message.get_content_type().lower(), (message.get_param("charset") or "").strip()


def _seconds(value: float) -> str:
    return f"{value:g} s"


def fetch(url: str, *, accept: tuple[str, ...] = ARTICLE_TYPES, max_bytes: int | None = None,
          etag: str | None = None, last_modified: str | None = None) -> FetchResult:
    """GET ``url`` (see the module's docstring); FetchError says why there is no body."""
    max_bytes = max_bytes or _max_bytes()
    connect = float(settings.CLAIMTRACK_FETCH_CONNECT_TIMEOUT)
    read = float(settings.CLAIMTRACK_FETCH_READ_TIMEOUT)
    total = float(settings.CLAIMTRACK_FETCH_TOTAL_TIMEOUT)
    max_redirects = int(settings.CLAIMTRACK_FETCH_MAX_REDIRECTS)
    deadline = time.monotonic() + total
    headers = {
        "User-Agent": user_agent(),
        "Accept": ", ".join(accept) + ", */*;q=0.1",
        # Decompressed in bounded steps by urllib3 (max_length), so a small compressed body
        # cannot expand past the size cap in memory.
        "Accept-Encoding": "gzip",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified

    current = url.strip()
    with _Watchdog(total) as watchdog:
        for hop in range(max_redirects + 1):
            where = target(current)
            try:
                addresses = resolve(where)
            except FetchError as exc:
                if hop:
                    raise FetchError(f"Redirect to {where.shown} refused: {exc.reason}",
                                     exc.code, transient=exc.transient) from None
                raise
            response, address, pool = _connect(where, addresses, headers, connect, read,
                                               deadline, watchdog, total)
            try:
                if response.status in _REDIRECTS:
                    location = response.headers.get("Location", "").strip()
                    if not location:
                        raise FetchError(f"HTTP {response.status} without a Location.",
                                         "http_error", status=response.status)
                    current = urljoin(current, location)
                    continue
                return _read(url, current, response, accept=accept, max_bytes=max_bytes,
                             deadline=deadline, watchdog=watchdog, total=total,
                             conditional=bool(etag or last_modified))
            except (HTTPError, OSError) as exc:
                if watchdog.fired or time.monotonic() >= deadline:
                    raise FetchError(f"The server took longer than {_seconds(total)} to send "
                                     "the page.", "timeout", transient=True) from None
                raise FetchError(f"Reading the answer from {address} failed: "
                                 f"{_reason(exc)}", "network", transient=True) from None
            finally:
                response.release_conn()
                pool.close()
    raise FetchError(f"More than {max_redirects} redirects.", "too_many_redirects")


def _connect(where, addresses, headers, connect, read, deadline, watchdog, total):
    error = ""
    for address in addresses[:MAX_ADDRESSES]:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or watchdog.fired:
            break
        timeout = urllib3.Timeout(connect=min(connect, remaining), read=min(read, remaining))
        pool = _pool(where, address, timeout, watchdog)
        try:
            response = pool.urlopen("GET", where.path, headers={**headers,
                                    "Host": where.host_header}, retries=False, redirect=False,
                                    preload_content=False, assert_same_host=False)
            return response, address, pool
        except NewConnectionError as exc:  # nothing was sent: the next address may answer
            error = f"Could not connect to {where.host_header}: {_reason(exc)}"
            pool.close()
            continue
        except (HTTPError, OSError) as exc:  # timeouts, TLS and protocol errors
            pool.close()
            if watchdog.fired or time.monotonic() >= deadline or "timed out" in str(exc):
                raise FetchError(f"The server took longer than {_seconds(min(read, total))} "
                                 "to answer.", "timeout", transient=True) from None
            raise FetchError(f"The request to {where.host_header} failed: {_reason(exc)}",
                             "network", transient=True) from None
    if watchdog.fired or time.monotonic() >= deadline:
        raise FetchError(f"The server took longer than {_seconds(total)} to answer.",
                         "timeout", transient=True)
    raise FetchError(error or f"No address of {where.host} to connect to.", "network",
                     transient=True)


def _read(url, final_url, response, *, accept, max_bytes, deadline, watchdog, total,
          conditional) -> FetchResult:
    status = response.status
    if status == 304 and conditional:
        return FetchResult(url=url, final_url=final_url, status=304,
                           etag=response.headers.get("ETag", ""),
                           last_modified=response.headers.get("Last-Modified", ""))
    if not 200 <= status < 300:
        raise FetchError(f"HTTP {status}" + (f" {response.reason}" if response.reason else ""),
                         "http_error", transient=status in TRANSIENT_STATUSES, status=status)
    content_type, charset = _content_type(response)
    if not response.headers.get("Content-Type"):
        raise FetchError(f"The server did not say what the document is (no Content-Type); "
                         f"expected {_TYPE_NAMES.get(accept, 'one of ' + ', '.join(accept))}.",
                         "content_type")
    if content_type not in accept:
        raise FetchError(f"Content type {content_type} is not "
                         f"{_TYPE_NAMES.get(accept, 'one of ' + ', '.join(accept))}.",
                         "content_type")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"Response over {max_bytes:,} bytes ({int(declared):,} declared).",
                         "too_large")
    chunks, size = [], 0
    while True:
        if watchdog.fired or time.monotonic() >= deadline:
            raise FetchError(f"The server took longer than {_seconds(total)} to send the "
                             "page.", "timeout", transient=True)
        chunk = response.read1(CHUNK, decode_content=True)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"Response over {max_bytes:,} bytes.", "too_large")
        chunks.append(chunk)
    if watchdog.fired:
        # The watchdog cut the connection: what arrived is a truncated body.
        raise FetchError(f"The server took longer than {_seconds(total)} to send the page.",
                         "timeout", transient=True)
    return FetchResult(url=url, final_url=final_url, status=status, content_type=content_type,
                       charset=charset, body=b"".join(chunks),
                       etag=response.headers.get("ETag", ""),
                       last_modified=response.headers.get("Last-Modified", ""))


def _reason(exc: Exception) -> str:
    return str(getattr(exc, "reason", None) or exc)[:500]
