"""Helpers shared by the evaluation commands."""

from __future__ import annotations

import csv
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import CommandError


def read_rows(path: Path, columns: set[str]) -> list[dict]:
    """The rows of an evaluation CSV that must have ``columns`` (others ignored); a clear
    CommandError for a missing file, a missing column, bad CSV or bytes that are not UTF-8.
    utf-8-sig: spreadsheet exports start with a byte-order mark."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = columns - set(reader.fieldnames or [])
            if missing:
                raise CommandError(f"{path}: missing column(s) {', '.join(sorted(missing))}.")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None


@contextmanager
def atomic_output(path: Path, newline: str | None = None):
    """Write to a temporary file beside ``path`` and move it into place only on success,
    so a failed run never leaves a half-written predictions file."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise CommandError(f"Cannot write {path}: the folder {folder} does not exist.")
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline=newline, dir=folder, prefix=f".{path.name}.",
        delete=False,
    )
    try:
        with handle:
            yield handle
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


@contextmanager
def throwaway_database():
    """A fresh, migrated database for the length of the block, dropped after it: a temporary
    file on SQLite, a database of its own on PostgreSQL (the role needs CREATEDB). The default
    connection points at it meanwhile, so the evaluation commands run the product's services
    in it without touching real data; the connection it had before is given back untouched."""
    import uuid

    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    if connection.in_atomic_block:
        raise RuntimeError("A throw-away database cannot be opened inside a transaction.")
    saved = dict(connection.settings_dict)
    # Kept, not closed: an in-memory SQLite database would go with its connection.
    raw, connection.connection = connection.connection, None
    name = None
    with tempfile.TemporaryDirectory(prefix="claimtrack-eval-") as folder:
        try:
            if connection.vendor == "sqlite":
                connection.settings_dict["NAME"] = str(Path(folder) / "eval.sqlite3")
            else:
                name = f"claimtrack_eval_{uuid.uuid4().hex[:12]}"
                with connection._nodb_cursor() as cursor:
                    cursor.execute(f'CREATE DATABASE "{name}"')
                connection.settings_dict["NAME"] = name
            call_command("migrate", verbosity=0, interactive=False)
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)
            connection.connection = raw
            if name is not None:
                with connection._nodb_cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def stream_claim(text: str):
    """The one claim a short text (a headline) stands for, as the product's extraction makes
    it: the longest matchable claim the engine finds in it, else the whole text as the
    outlet's own assertion, with its statement, proposition and polarity."""
    from dataclasses import replace

    from claims import engine
    from claims.engine.statements import statement_of
    from claims.engine.types import ExtractedClaim, Span
    from claims.models import Claim

    found = [c for c in engine.analyse(text) if c.kind in Claim.MATCHABLE_KINDS]
    if found:
        return max(found, key=lambda c: (c.content.end - c.content.start, -c.content.start))
    whole = Span(0, len(text), text)
    claim = ExtractedClaim(content=whole, sentence=whole, kind=Claim.Kind.ASSERTION)
    said = statement_of(claim, text)
    return replace(claim, statement=said.text, proposition=said.proposition,
                   polarity=said.polarity)
