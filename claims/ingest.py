"""Reading article files (plain text, HTML, JSONL) into records for ``article_ingest``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from datetime import timezone as dt_timezone
from pathlib import Path

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from claims.errors import ArticleTooLarge, IngestError, InvalidArticle, NotUTF8

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
    return timezone.make_aware(parsed, dt_timezone.utc) if timezone.is_naive(parsed) else parsed


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
