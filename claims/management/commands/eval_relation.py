from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.engine import relation
from claims.evaluation import read_rows


class Command(BaseCommand):
    help = (
        "Classify the relation of a text to a claim: reads a CSV with id,claim,text (other "
        "columns ignored) and writes id,label with label supports / contradicts / neutral."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", type=Path, required=True)
        parser.add_argument("--output", type=Path, required=True)

    def handle(self, *args, input: Path, output: Path, **options):
        rows = [(row["id"], relation.classify(row["claim"] or "", row["text"] or "")[0])
                for row in read_rows(input, {"id", "claim", "text"})]
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["id", "label"])
                writer.writerows(rows)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc}") from None
        self.stdout.write(f"Classified {len(rows)} pairs into {output}.")
