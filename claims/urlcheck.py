"""Canonical article URLs, refusing schemes and hosts that are no public web page."""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from claims.errors import InvalidArticle

# Query parameters that only track the visitor; two URLs differing in them are one article.
_TRACKING_PREFIXES = ("utm_",)
_TRACKING_NAMES = {"fbclid", "gclid", "mc_cid", "mc_eid", "igshid", "ref_src"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_INTERNAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _ipv4_forms(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address however it is written: "127.1", "0177.0.0.1", "0x7f.1", "2130706433"."""
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _is_internal_host(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host in _INTERNAL_NAMES or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = _ipv4_forms(host)
        if address is None:
            return "." not in host  # a bare intranet name such as "intranet"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
        if embedded is not None and not embedded.is_global:
            return True
    return not address.is_global


def _normalise_host(host: str) -> str:
    """Fold full-width digits and dots, and encode international names as IDNA."""
    folded = unicodedata.normalize("NFKC", host).replace("\u3002", ".").lower()
    if folded.isascii():
        return folded
    try:
        return folded.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidArticle(f"The host name {host!r} is not a valid domain name.") from None


def canonical_url(raw: str) -> str:
    """Normalise ``raw`` into the form articles are de-duplicated by.

    Raises InvalidArticle for anything but a public http(s) address: an article's URL is
    shown to editors and published to consumers as a link, so it must not point into the
    network the system runs in.
    """
    value = (raw or "").strip()
    if len(value) > 2000:
        raise InvalidArticle("The URL is longer than 2000 characters.")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise InvalidArticle(f"The URL {value!r} is malformed: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidArticle(f"The URL {value!r} must start with http:// or https://.")
    host = _normalise_host(parts.hostname or "")
    if not host:
        raise InvalidArticle(f"The URL {value!r} has no host name.")
    if parts.username or parts.password:
        raise InvalidArticle("The URL must not carry a user name or password.")
    if _is_internal_host(host):
        raise InvalidArticle(
            f"The URL {value!r} points at a local or private address, not a public web page."
        )
    netloc = host if ":" not in host else f"[{host}]"
    if port and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_NAMES
        ]
    )
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    canonical = urlunsplit((scheme, netloc, path, query, ""))
    if len(canonical) > 2000:
        raise InvalidArticle("The URL is longer than 2000 characters once normalised.")
    return canonical


def url_domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
