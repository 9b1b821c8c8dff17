from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.engine import relation


class Command(BaseCommand):
    help = (
        "Classify the relation of a text to a claim: reads a CSV with id,claim,text (other "
        "columns ignored) and writes id,label with label supports / contradicts / neutral."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", type=Path, required=True)
        parser.add_argument("--output", type=Path, required=True)

    def handle(self, *args, input: Path, output: Path, **options):
        try:
            with input.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                missing = {"id", "claim", "text"} - set(reader.fieldnames or [])
                if missing:
                    raise CommandError(f"{input}: missing column(s) {', '.join(sorted(missing))}.")
                rows = [
                    (row["id"], relation.classify(row["claim"] or "", row["text"] or "")[0])
                    for row in reader
                ]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {input}: {exc}") from None
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["id", "label"])
                writer.writerows(rows)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc}") from None
        self.stdout.write(f"Classified {len(rows)} pairs into {output}.")
