"""Helpers shared by the evaluation commands."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import CommandError


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
