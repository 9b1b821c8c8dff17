from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims.engine.checkworthiness import MODEL_PATH

DEFAULT_DATA = settings.BASE_DIR.parent / "shared" / "data" / "checkworthiness" / "train.csv"
DEFAULT_SEED = 13


class Command(BaseCommand):
    help = (
        "Train the check-worthiness model from a ClaimBuster-style CSV (id,text,label) and "
        "write claims/engine/data/checkworthiness.json.gz; --check rebuilds it and compares "
        "with the shipped file instead. Needs the 'train' extra (scikit-learn)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--output", type=Path, default=MODEL_PATH)
        parser.add_argument("--check", action="store_true",
                            help="Rebuild and compare with --output; write nothing.")

    def handle(self, *args, data: Path, seed: int, output: Path, check: bool, **options):
        try:
            from claims.training import checkworthiness as training
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise CommandError(f"Training needs scikit-learn: pip install -e '.[train]' ({exc})") from exc
        if not data.is_file():
            raise CommandError(f"No training data at {data}.")
        model = training.train(data, seed=seed)
        if check:
            if not output.is_file():
                raise CommandError(f"No model at {output} to compare with.")
            if training.read_model_bytes(output) != training.model_bytes(model):
                raise CommandError(f"The rebuilt model differs from {output}.")
            self.stdout.write(self.style.SUCCESS(f"{output} is reproduced bit for bit."))
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        training.write_model(model, output)
        sizes = {name: len(block) for name, block in model["features"].items()}
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {output} ({output.stat().st_size:,} bytes): {model['version']}, "
            f"{sizes} features, threshold {model['threshold']}."
        ))
