from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims.engine.checkworthiness import load_model
from claims.evaluation import atomic_output


class Command(BaseCommand):
    help = (
        "Score sentences for check-worthiness: reads a CSV with id,text (other columns "
        "ignored) and writes id,score,label (score 0..1, label 1 at score >= 0.5)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", type=Path, required=True)
        parser.add_argument("--output", type=Path, required=True)

    def handle(self, *args, input: Path, output: Path, **options):
        model = load_model()
        try:
            # utf-8-sig: spreadsheet exports start with a byte-order mark.
            with input.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                missing = {"id", "text"} - set(reader.fieldnames or [])
                if missing:
                    raise CommandError(f"{input}: missing column(s) {', '.join(sorted(missing))}.")
                rows = [(row["id"], model.score(row["text"] or "")) for row in reader]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {input}: {exc}") from None
        with atomic_output(output, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "score", "label"])
            for row_id, score in rows:
                writer.writerow([row_id, f"{score:.6f}", int(score >= 0.5)])
        self.stdout.write(f"Scored {len(rows)} sentences with model {model.version} into {output}.")
