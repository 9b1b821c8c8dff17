"""Run a management command with engine thresholds patched, for calibration draws:

    python research/matching/patched.py DENSE_LINK_MIN=0.45 -- judge_realnews links-draw --out DIR
"""
import os
import sys

sys.path.insert(0, ".")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django; django.setup()  # noqa: E702, I001 (a script: settings before imports)
from django.core.management import call_command

from claims.engine import propositions as engine

if __name__ == "__main__":
    split = sys.argv.index("--")
    for arg in sys.argv[1:split]:
        name, value = arg.split("=")
        setattr(engine, name, float(value))
    call_command(*sys.argv[split + 1:])
