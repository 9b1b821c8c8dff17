from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from claims import engine, ingestion
from claims.errors import DuplicateArticle, IngestError, InvalidArticle
from claims.ingestion import FORMATS, iter_paths, parse_published, read_records, title_from_text

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Ingest articles from files: plain text or HTML (one article a file) or JSONL "
        "(one record a line: title, url, source, published, and text or html). Duplicates "
        "(same canonical URL or text) are skipped; a bad file or line is reported and the "
        "rest go on. Exits non-zero when any record failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files or folders to ingest.")
        parser.add_argument("--source", default="", help="Outlet name for text/HTML files.")
        parser.add_argument("--format", choices=FORMATS, default="auto")
        parser.add_argument("--title", default="", help="Title for a single text/HTML file.")
        parser.add_argument("--url", default="", help="Canonical URL for a single file.")
        parser.add_argument("--published", default="", help="ISO 8601 date for text/HTML files.")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, **options):
        paths = list(iter_paths(options["paths"]))
        if not paths:
            raise CommandError("No files to ingest.")
        if (options["url"] or options["title"]) and len(paths) > 1:
            raise CommandError("--url and --title apply to a single file only.")
        try:
            published = parse_published(options["published"] or None)
        except InvalidArticle as exc:
            raise CommandError(f"--published: {exc.message}") from None

        created = duplicates = 0
        failures: list[str] = []
        progress = tqdm(
            total=len(paths), unit="file", disable=options["no_progress"], file=self.stderr._out,
            desc="Ingesting",
        )
        for path in paths:
            for record in read_records(
                path, fmt=options["format"], max_bytes=settings.CLAIMTRACK_ARTICLE_MAX_BYTES
            ):
                try:
                    if record.error:
                        raise record.error
                    self._ingest(record, path, options, published)
                    created += 1
                except DuplicateArticle as exc:
                    duplicates += 1
                    progress.write(f"skipped {record.origin}: {exc.message}")
                except IngestError as exc:
                    failures.append(f"{record.origin}: {exc.message}")
                    progress.write(self.style.ERROR(f"error {record.origin}: {exc.message}"))
                except Exception as exc:  # noqa: BLE001 - one bad record must not stop the run
                    logger.exception("Unexpected error ingesting %s", record.origin)
                    message = f"unexpected {type(exc).__name__}: {exc}"
                    failures.append(f"{record.origin}: {message}")
                    progress.write(self.style.ERROR(f"error {record.origin}: {message}"))
            progress.update(1)
        progress.close()

        summary = f"{created} created, {duplicates} duplicates skipped, {len(failures)} failed."
        if failures:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _ingest(self, record, path: Path, options, published):
        if record.text is not None or record.html is not None:
            is_file_record = record.origin == str(path)
            title = record.title or (options["title"] if is_file_record else "")
            fallback = path.stem.replace("-", " ").replace("_", " ")
            if not title and record.text is not None:
                text = record.text.decode("utf-8", "replace") if isinstance(record.text, bytes) \
                    else record.text
                title = title_from_text(engine.clean_text(text), fallback=fallback)
            ingestion.article_ingest(
                title=title,
                source_name=record.source_name or options["source"],
                text=record.text,
                html=record.html,
                url=record.url or (options["url"] if is_file_record else None) or None,
                published_at=record.published_at or published,
                default_title=fallback,
            )
