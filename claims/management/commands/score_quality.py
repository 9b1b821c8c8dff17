from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from claims.engine.scoring import attribution_prf, proposition_scores

DEFAULT_DATA = settings.BASE_DIR.parent / "shared" / "data"


def binary_prf(gold: dict[str, int], predicted: dict[str, int]) -> dict[str, float]:
    tp = sum(1 for k, v in gold.items() if v == 1 and predicted.get(k) == 1)
    fp = sum(1 for k, v in gold.items() if v == 0 and predicted.get(k) == 1)
    fn = sum(1 for k, v in gold.items() if v == 1 and predicted.get(k) != 1)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "gold_positive": tp + fn}


class Command(BaseCommand):
    help = (
        "Score the engine on the dev files: runs eval_checkworthiness, eval_extraction, "
        "eval_relation and eval_propositions exactly as an outside scorer would, then prints the figures recorded in "
        "docs/quality.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, default=DEFAULT_DATA)

    def handle(self, *args, data: Path, **options):
        checkworthiness = data / "checkworthiness" / "dev.csv"
        attribution = data / "attribution" / "dev.jsonl"
        stance = data / "stance" / "dev.csv"
        stream = data / "propositions" / "dev.csv"
        missing = [p for p in (checkworthiness, attribution, stance, stream)
                   if not p.is_file()]
        if missing:
            raise CommandError(f"Missing dev file(s): {', '.join(map(str, missing))}")
        with tempfile.TemporaryDirectory() as tmp:
            predicted_cw = Path(tmp) / "cw.csv"
            call_command("eval_checkworthiness", input=checkworthiness, output=predicted_cw,
                         stdout=self.stderr)
            with checkworthiness.open(encoding="utf-8", newline="") as handle:
                gold = {r["id"]: int(r["label"]) for r in csv.DictReader(handle)}
            with predicted_cw.open(encoding="utf-8", newline="") as handle:
                predicted = {r["id"]: int(r["label"]) for r in csv.DictReader(handle)}
            cw = binary_prf(gold, predicted)
            self.stdout.write(
                f"check-worthiness {checkworthiness.name}: precision {cw['precision']:.3f} "
                f"recall {cw['recall']:.3f} F1(positive) {cw['f1']:.3f}")

            predicted_ex = Path(tmp) / "extraction.jsonl"
            call_command("eval_extraction", input=attribution, output=predicted_ex,
                         stdout=self.stderr)
            with attribution.open(encoding="utf-8") as handle:
                articles = [json.loads(line) for line in handle if line.strip()]
            with predicted_ex.open(encoding="utf-8") as handle:
                runs = {r["id"]: r["claims"] for r in map(json.loads, handle)}
            scores = attribution_prf(articles, runs)
            self.stdout.write(
                f"attribution {attribution.name}: precision {scores['precision']:.3f} "
                f"recall {scores['recall']:.3f} content F1 {scores['f1']:.3f} "
                f"speaker touch {scores['speaker_touch']:.3f} "
                f"(gold {scores['gold']}, predicted {scores['predicted']}, "
                f"matched {scores['matched']})")

            predicted_rel = Path(tmp) / "relation.csv"
            call_command("eval_relation", input=stance, output=predicted_rel, stdout=self.stderr)
            with stance.open(encoding="utf-8", newline="") as handle:
                gold_rel = {r["id"]: r["label"] for r in csv.DictReader(handle)}
            with predicted_rel.open(encoding="utf-8", newline="") as handle:
                pred_rel = {r["id"]: r["label"] for r in csv.DictReader(handle)}
            per_label = {}
            for label in ("supports", "contradicts", "neutral"):
                per_label[label] = binary_prf(
                    {k: int(v == label) for k, v in gold_rel.items()},
                    {k: int(v == label) for k, v in pred_rel.items()})["f1"]
            accuracy = sum(pred_rel.get(k) == v for k, v in gold_rel.items()) / len(gold_rel)
            self.stdout.write(
                f"relation {stance.name}: macro-F1 {sum(per_label.values()) / 3:.3f} "
                + " ".join(f"F1({k}) {v:.3f}" for k, v in per_label.items())
                + f" accuracy {accuracy:.3f}")

            predicted_prop = Path(tmp) / "propositions.csv"
            call_command("eval_propositions", input=stream, output=predicted_prop,
                         stdout=self.stderr)
            with stance.open(encoding="utf-8", newline="") as handle:
                gold_prop = {r["id"]: (r["group"], r["label"]) for r in csv.DictReader(handle)}
            with predicted_prop.open(encoding="utf-8", newline="") as handle:
                pred_prop = {r["id"]: (r["proposition"], r["stance"])
                             for r in csv.DictReader(handle)}
            grouped = proposition_scores(gold_prop, pred_prop)
            self.stdout.write(
                f"propositions {stream.name}: B3 precision {grouped['precision']:.3f} "
                f"recall {grouped['recall']:.3f} F1 {grouped['f1']:.3f} side agreement "
                f"{grouped['side']:.3f} B3-F1 x side {grouped['score']:.3f}")
