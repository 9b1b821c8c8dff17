from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from claims.factcheck_import import url_import
from claims.factchecks import factchecks_save, read_factcheck_file
from claims.matching import claims_rematch_recent

BATCH = 1000


class Command(BaseCommand):
    help = (
        "Import earlier fact-checks into the library: schema.org ClaimReview JSON-LD files "
        "(.json/.jsonld) and fact-check JSONL records (vclaim_id, vclaim, title, subtitle, "
        "speaker, truth_label, date, url), or from the web with --url: a publisher's page "
        "with ClaimReview JSON-LD, a ClaimReview JSON feed (DataFeed), or an RSS/Atom feed of "
        "fact-check pages. Re-importing updates records by their id; bad records are "
        "reported and the rest go on. Exits non-zero when any record failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path)
        parser.add_argument("--url", action="append", default=[], dest="urls",
                            help="A page or feed to fetch (public http(s) only); repeatable.")
        parser.add_argument("--publisher", default="", help="Publisher of JSONL records.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, paths: list[Path], urls: list[str], publisher: str,
               no_progress: bool, **options):
        if len(publisher) > 200:
            raise CommandError("--publisher is longer than 200 characters.")
        if not paths and not urls:
            raise CommandError("Give files to import, or --url.")
        created = updated = 0
        failures: list[str] = []
        batch = []
        progress = tqdm(unit="record", desc="Importing", disable=no_progress,
                        file=self.stderr._out)
        for path in paths:
            if not path.is_file():
                failures.append(f"{path}: no such file")
                progress.write(self.style.ERROR(f"error {path}: no such file"))
                continue
            for where, item in read_factcheck_file(path, publisher=publisher):
                progress.update(1)
                if isinstance(item, Exception):
                    failures.append(f"{where}: {item}")
                    progress.write(self.style.ERROR(f"error {where}: {item}"))
                    continue
                batch.append(item)
                if len(batch) >= BATCH:
                    created, updated = self._save(batch, created, updated, failures, progress)
                    batch = []
        if batch:
            created, updated = self._save(batch, created, updated, failures, progress)
        for url in urls:
            report = url_import(url)
            progress.update(report.saved)
            created, updated = created + report.created, updated + report.updated
            for message in report.failures:
                failures.append(message)
                progress.write(self.style.ERROR(f"error {message}"))
        progress.close()
        if created or updated:
            queued = claims_rematch_recent()
            progress.write(f"{queued} recent claim(s) queued for matching against the library.")
        summary = f"{created} fact-checks created, {updated} updated, {len(failures)} failed."
        if failures:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))

    def _save(self, batch, created, updated, failures, progress):
        c, u, failed = factchecks_save(batch)
        for message in failed:
            failures.append(message)
            progress.write(self.style.ERROR(f"error {message}"))
        return created + c, updated + u
