"""Precision of judged suggested links by score threshold (judged/calibration/links.csv):
the curve LINK_MIN in claims/engine/propositions.py was read from.

    python3 research/matching/calibration_curve.py [judged/calibration/links.csv]
"""
import csv
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "judged/calibration/links.csv"
rows = list(csv.DictReader(open(path, encoding="utf-8")))
print("threshold  links  same  right  precision(right)")
for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9):
    above = [r for r in rows if float(r["score"]) >= threshold]
    same = sum(r["same"] == "y" for r in above)
    right = sum(r["same"] == "y" and r["relation_right"] == "y" for r in above)
    share = f"{right / len(above):.2f}" if above else "-"
    print(f"{threshold:9.2f}  {len(above):5d}  {same:4d}  {right:5d}  {share}")
