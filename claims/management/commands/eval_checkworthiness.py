from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand

from claims.engine.checkworthiness import load_model
from claims.evaluation import atomic_output, read_rows


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
        rows = [(row["id"], model.score(row["text"] or ""))
                for row in read_rows(input, {"id", "text"})]
        with atomic_output(output, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "score", "label"])
            for row_id, score in rows:
                writer.writerow([row_id, f"{score:.6f}", int(score >= 0.5)])
        self.stdout.write(f"Scored {len(rows)} sentences with model {model.version} into {output}.")
