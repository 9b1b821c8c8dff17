"""Run the product's eval_propositions with engine thresholds patched, scored on the tune
two thirds of the Emergent groups and on the held third (split by sha1 of the group id).

    .venv/bin/python research/matching/tune_product.py JOIN_MIN=0.15 [DENSE_JOIN_MIN=0.45 ...]
"""
import contextlib
import csv
import io
import os
import sys
import tempfile

sys.path.insert(0, ".")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django; django.setup()  # noqa: E702, I001 (a script: settings before imports)
from django.core.management import call_command

from claims.engine import propositions as engine

sys.path.insert(0, os.path.dirname(__file__))
from cluster_probe import evaluate  # noqa: E402  (the same split and scorer)

if __name__ == "__main__":
    for arg in sys.argv[1:]:
        name, value = arg.split("=")
        setattr(engine, name, float(value))
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.csv")
        with contextlib.redirect_stdout(io.StringIO()):
            call_command("eval_propositions", "--input", "../shared/data/propositions/dev.csv", "--output", out)
        pred = {r["id"]: (r["proposition"], r["stance"]) for r in csv.DictReader(open(out))}
    print(sys.argv[1:], "tune", evaluate(pred, "tune"), "held", evaluate(pred, "held"),
          "all", evaluate(pred, "all"), flush=True)
