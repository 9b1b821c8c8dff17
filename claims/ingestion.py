"""Ingestion: articles in — read from files (plain text, HTML, JSONL), checked, cleaned and
stored as pending; their extraction is sent once they are committed.

Bad input gets a clear error (an ``IngestError`` subclass) and nothing partial is stored:
empty, oversized, non-UTF-8, binary, duplicate (same canonical URL or same text up to case
and white space), markup-only, or with an address that is not public.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from claims import engine, enqueue
from claims.errors import (
    ArticleTooLarge,
    DuplicateArticle,
    EmptyArticle,
    IngestError,
    InvalidArticle,
    NotUTF8,
)
from claims.models import Article, Source
from claims.urlcheck import canonical_url, url_domain

logger = logging.getLogger(__name__)

# Shorter than this after cleaning, a "text" is a headline or a scraping failure, not an article.
MIN_ARTICLE_CHARS = 40
_WS = re.compile(r"\s+")


# --- Checking and storing --------------------------------------------------------------------------------


def _decode(value: str | bytes, what: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NotUTF8(
                f"The {what} is not valid UTF-8 (byte {exc.start}): re-encode it as UTF-8."
            ) from None
    return value


def content_hash(text: str) -> str:
    """Hash of the text with case and white space folded, so a re-formatted copy matches."""
    normalised = _WS.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def html_main_text(html: str) -> tuple[str, dict]:
    """Main text and metadata of an article page; navigation, ads and scripts are dropped."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html, include_comments=False, include_tables=False, with_metadata=True,
        favor_precision=True,
    )
    if document is None:
        return "", {}
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    return data.get("text") or "", {
        "title": data.get("title") or "",
        "url": data.get("url") or "",
        "date": data.get("date") or "",
        "sitename": data.get("sitename") or "",
    }


def source_for(*, name: str = "", url: str | None = None) -> Source:
    """The outlet named ``name`` (or, unnamed, the one owning the URL's domain), created once."""
    name = _WS.sub(" ", name or "").strip()
    domain = url_domain(url) if url else ""
    if not name:
        existing = Source.objects.filter(domain=domain).first()
        if existing:
            return existing
        name = domain
    source = Source.objects.filter(name__iexact=name).first()
    if source is not None:
        if domain and not source.domain and not Source.objects.filter(domain=domain).exists():
            Source.objects.filter(pk=source.pk, domain="").update(domain=domain)
        return source
    try:
        # A savepoint, so a lost race on the name or the domain leaves the caller's
        # transaction usable (PostgreSQL aborts the whole transaction otherwise).
        with transaction.atomic():
            taken = bool(domain) and Source.objects.filter(domain=domain).exists()
            return Source.objects.create(name=name, domain="" if taken else domain)
    except IntegrityError:
        existing = Source.objects.filter(name__iexact=name).first()
        if existing is not None:
            return existing
        with transaction.atomic():
            return Source.objects.create(name=name, domain="")


@dataclass(frozen=True)
class PreparedArticle:
    """A validated, cleaned article not yet stored."""

    title: str
    source_name: str
    url: str | None
    published_at: datetime | None
    text: str
    content_hash: str


def article_prepare(
    *,
    title: str = "",
    source_name: str = "",
    text: str | bytes | None = None,
    html: str | bytes | None = None,
    url: str | None = None,
    published_at: datetime | None = None,
    default_title: str = "",
) -> PreparedArticle:
    """Validate and clean an article; raise an IngestError subclass that says what is wrong.

    Writes nothing, so forms can call it to show the error next to the input.
    """
    if (text is None) == (html is None):
        raise InvalidArticle("Give the article as text or as HTML (exactly one of them).")
    raw = text if text is not None else html
    raw_size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    limit = settings.CLAIMTRACK_ARTICLE_MAX_BYTES
    if raw_size > limit:
        raise ArticleTooLarge(
            f"The article is {raw_size:,} bytes; the limit is {limit:,} bytes "
            "(CLAIMTRACK_ARTICLE_MAX_BYTES)."
        )
    what = "text" if text is not None else "HTML"
    raw = _decode(raw, what)
    if "\x00" in raw:
        raise InvalidArticle(f"The {what} contains NUL bytes; it looks like a binary file.")
    metadata: dict = {}
    if html is not None:
        raw, metadata = html_main_text(raw)
    cleaned = engine.clean_text(raw).strip()
    if len(cleaned) < MIN_ARTICLE_CHARS:
        raise EmptyArticle(
            f"The article has no text to analyse ({len(cleaned)} characters after cleaning)."
        )

    url = url or metadata.get("url") or None
    url = canonical_url(url) if url else None
    title = _WS.sub(" ", title or metadata.get("title") or default_title or "").strip()
    if not title:
        raise InvalidArticle("The article needs a title.")
    if len(title) > 500:
        raise InvalidArticle("The title is longer than 500 characters.")
    source_name = _WS.sub(" ", source_name or metadata.get("sitename") or "").strip()
    if not source_name and not url:
        raise InvalidArticle("The article needs a source name or a URL to tell its outlet.")
    if len(source_name) > 200:
        raise InvalidArticle("The source name is longer than 200 characters.")
    if published_at is not None and timezone.is_naive(published_at):
        published_at = timezone.make_aware(published_at, UTC)

    digest = content_hash(cleaned)
    duplicate = Article.objects.filter(content_hash=digest).only("id").first()
    if duplicate is None and url:
        duplicate = Article.objects.filter(url=url).only("id").first()
    if duplicate is not None:
        raise DuplicateArticle(
            f"This article is already stored as article {duplicate.pk}.", existing_id=duplicate.pk
        )
    return PreparedArticle(
        title=title, source_name=source_name, url=url, published_at=published_at,
        text=cleaned, content_hash=digest,
    )


def article_create(*, prepared: PreparedArticle, submitted_by=None,
                   submitted_via=None) -> Article:
    """Store a prepared article as pending; its processing is enqueued on commit."""
    try:
        with transaction.atomic():
            source = source_for(name=prepared.source_name, url=prepared.url)
            article = Article.objects.create(
                source=source, url=prepared.url, title=prepared.title,
                published_at=prepared.published_at, text=prepared.text,
                content_hash=prepared.content_hash, submitted_by=submitted_by,
                submitted_via=submitted_via,
            )
    except IntegrityError:
        # Lost a race with a concurrent submission of the same article.
        existing = Article.objects.filter(content_hash=prepared.content_hash).first() or (
            Article.objects.filter(url=prepared.url).first() if prepared.url else None
        )
        if existing is None:
            raise
        raise DuplicateArticle(
            f"This article is already stored as article {existing.pk}.", existing_id=existing.pk
        ) from None
    # Outside the block above: in process, the task runs right at the commit, and none of
    # its errors may be mistaken for a duplicate.
    enqueue.article_enqueue(article_id=article.pk)
    return article


def article_ingest(*, submitted_by=None, submitted_via=None, **fields) -> Article:
    """Validate, clean and store one article (see ``article_prepare`` for the fields)."""
    return article_create(prepared=article_prepare(**fields), submitted_by=submitted_by,
                          submitted_via=submitted_via)


# --- Reading files ---------------------------------------------------------------------------

FORMATS = ("auto", "text", "html", "jsonl")
_EXTENSIONS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".html": "html", ".htm": "html",
    ".txt": "text", ".text": "text", ".md": "text",
}


@dataclass
class ArticleRecord:
    origin: str  # "file.jsonl:3", for messages
    title: str = ""
    source_name: str = ""
    url: str | None = None
    published_at: datetime | None = None
    text: str | bytes | None = None
    html: str | bytes | None = None
    error: IngestError | None = field(default=None)


def parse_published(value) -> datetime | None:
    """An ISO 8601 date or date-time; a naive one is taken as UTC."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidArticle(f"'published' must be an ISO 8601 string, not {value!r}.")
    try:
        parsed = parse_datetime(value.strip())
        if parsed is None:
            day = parse_date(value.strip())
            parsed = datetime.combine(day, time()) if day else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidArticle(f"'published' {value!r} is not an ISO 8601 date or date-time.")
    return timezone.make_aware(parsed, UTC) if timezone.is_naive(parsed) else parsed


def detect_format(path: Path, head: bytes) -> str:
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt:
        return fmt
    sniff = head[:2048].lstrip().lower()
    if sniff.startswith((b"<!doctype html", b"<html")) or b"<body" in sniff:
        return "html"
    return "text"


def title_from_text(text: str, fallback: str) -> str:
    """A headline-like first line (short, no closing full stop), else the fallback."""
    for line in text.splitlines():
        line = line.strip(" \t•*-")
        if not line:
            continue
        words = line.split()
        if 3 <= len(words) <= 25 and not line.endswith((".", "!", "?", ":", ",")):
            return line
    return fallback


def _record_from_json(obj, origin: str) -> ArticleRecord:
    if not isinstance(obj, dict):
        raise InvalidArticle("Each line must be a JSON object.")
    text, html = obj.get("text"), obj.get("html")
    if (text is None) == (html is None):
        raise InvalidArticle("A record needs exactly one of 'text' or 'html'.")
    for key in ("title", "url", "source", "text", "html"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise InvalidArticle(f"'{key}' must be a string.")
    return ArticleRecord(
        origin=origin, title=obj.get("title") or "", source_name=obj.get("source") or "",
        url=obj.get("url") or None, published_at=parse_published(obj.get("published")),
        text=text, html=html,
    )


def read_records(path: Path, *, fmt: str = "auto", max_bytes: int) -> Iterator[ArticleRecord]:
    """Yield the file's article records; a bad record comes with ``error`` set, not raised.

    A plain-text or HTML file is one article; a JSONL file is one article per line, each
    line checked on its own so one bad line does not stop the rest.
    """
    origin = str(path)
    try:
        size = path.stat().st_size
        if fmt == "auto":
            with path.open("rb") as handle:
                fmt = detect_format(path, handle.read(2048))
    except OSError as exc:
        yield ArticleRecord(origin=origin, error=InvalidArticle(f"Cannot read: {exc.strerror}."))
        return
    if fmt == "jsonl":
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                where = f"{origin}:{number}"
                if not line.strip():
                    continue
                try:
                    if len(line) > max_bytes:
                        raise ArticleTooLarge(
                            f"The record is {len(line):,} bytes; the limit is {max_bytes:,}."
                        )
                    try:
                        decoded = line.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        raise NotUTF8(f"Not valid UTF-8 (byte {exc.start} of the line).") from None
                    try:
                        obj = json.loads(decoded)
                    except json.JSONDecodeError as exc:
                        raise InvalidArticle(f"Not valid JSON: {exc.msg} (column {exc.colno}).") \
                            from None
                    yield _record_from_json(obj, where)
                except IngestError as exc:
                    yield ArticleRecord(origin=where, error=exc)
        return
    if size > max_bytes:
        yield ArticleRecord(
            origin=origin,
            error=ArticleTooLarge(f"The file is {size:,} bytes; the limit is {max_bytes:,}."),
        )
        return
    data = path.read_bytes()
    record = ArticleRecord(origin=origin)
    if fmt == "html":
        record.html = data
    else:
        record.text = data
    yield record


def iter_paths(paths: list[str]) -> Iterator[Path]:
    """Files named, and the files inside folders named (sorted, hidden ones skipped)."""
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(p.startswith(".") for p in child.parts) \
                        and child.suffix.lower() in _EXTENSIONS and child.name != "README.md":
                    yield child
        else:
            yield path
