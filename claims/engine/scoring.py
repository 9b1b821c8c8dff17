"""Score attribution (who said what) against PolNeAR-style gold annotations.

A predicted claim that has a speaker matches a gold attribution when their content spans
overlap by at least half of their union; matching is one-to-one, greedy by overlap. Speaker
touch is the share of matches whose predicted speaker span overlaps the gold source span.

Run over a file: ``python -m claims.engine.scoring PATH/dev.jsonl [--half first|second]``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Mapping

from .types import ExtractedClaim

MIN_OVERLAP = 0.5  # of the union of the two content spans, as the brief for this metric sets

Pair = tuple[int, int]


def _overlap_ratio(a: Pair, b: Pair) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


def _touches(a: Pair | None, b: Pair | None) -> bool:
    return a is not None and b is not None and min(a[1], b[1]) > max(a[0], b[0])


def _predicted_pairs(claims) -> list[tuple[Pair, Pair | None]]:
    """(content, speaker) for claims with a speaker, from ExtractedClaim or eval-output dicts."""
    out = []
    for c in claims:
        if isinstance(c, ExtractedClaim):
            if c.claimant is None:
                continue
            m = c.claimant.mention
            out.append(((c.content.start, c.content.end), (m.start, m.end) if m else None))
        else:
            spk = c.get("speaker")
            if not spk:
                continue
            out.append(((c["start"], c["end"]), (spk["start"], spk["end"])))
    return out


def attribution_prf(
    gold_articles: Iterable[Mapping], predicted: Mapping[str, Iterable]
) -> dict[str, float | int]:
    """Precision, recall, F1 of content spans and the speaker-touch share of the matches.

    ``gold_articles``: dicts with ``id`` and ``attributions`` (``content``/``source`` spans).
    ``predicted``: article id → claims (``ExtractedClaim`` or ``{"start","end","speaker"}``).
    """
    n_gold = n_pred = n_match = n_touch = 0
    for art in gold_articles:
        gold = [
            ((a["content"]["start"], a["content"]["end"]),
             (a["source"]["start"], a["source"]["end"]) if a.get("source") else None)
            for a in art["attributions"]
        ]
        pred = _predicted_pairs(predicted.get(art["id"], ()))
        n_gold += len(gold)
        n_pred += len(pred)
        # Best overlap first; ties go to the earlier gold and the earlier prediction.
        pairs = sorted(
            (
                (-r, gi, pi)
                for gi, (gc, _) in enumerate(gold)
                for pi, (pc, _) in enumerate(pred)
                if (r := _overlap_ratio(gc, pc)) >= MIN_OVERLAP
            )
        )
        used_g: set[int] = set()
        used_p: set[int] = set()
        for _, gi, pi in pairs:
            if gi in used_g or pi in used_p:
                continue
            used_g.add(gi)
            used_p.add(pi)
            n_match += 1
            n_touch += _touches(gold[gi][1], pred[pi][1])
    p = n_match / n_pred if n_pred else 0.0
    r = n_match / n_gold if n_gold else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": p,
        "recall": r,
        "f1": f1,
        "speaker_touch": n_touch / n_match if n_match else 0.0,
        "gold": n_gold,
        "predicted": n_pred,
        "matched": n_match,
    }


def main(argv: list[str]) -> int:
    import argparse

    from . import extract_claims

    parser = argparse.ArgumentParser(prog="python -m claims.engine.scoring",
                                     description="Score attribution on a PolNeAR-style JSONL file.")
    parser.add_argument("gold", help="JSONL file, one article a line")
    parser.add_argument("--half", choices=("first", "second"),
                        help="score only the first or the second half of the articles (a check "
                             "that a rule change helps both halves, not one)")
    args = parser.parse_args(argv)
    with open(args.gold, encoding="utf-8") as fh:
        articles = [json.loads(line) for line in fh if line.strip()]
    if args.half:
        mid = len(articles) // 2
        articles = articles[:mid] if args.half == "first" else articles[mid:]
    started = time.perf_counter()
    predicted = {a["id"]: extract_claims(a["text"]) for a in articles}
    elapsed = time.perf_counter() - started
    words = sum(len(a["text"].split()) for a in articles)
    scores = attribution_prf(articles, predicted)
    for key, value in scores.items():
        print(f"{key:14} {value:.3f}" if isinstance(value, float) else f"{key:14} {value}")
    print(f"{'words/s':14} {words / elapsed:,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


def proposition_scores(gold: dict[str, tuple[str, str]],
                       predicted: dict[str, tuple[str, str]]) -> dict:
    """B-cubed precision, recall and F1 of a grouping against gold groups, and balanced side
    agreement, as the data README defines them for propositions/.

    ``gold``: id → (group, label) with label supports / contradicts / neutral; ``predicted``:
    id → (proposition, stance). A missing id is a proposition of its own. Side agreement is
    over pairs in one gold group and one predicted proposition whose gold labels both take a
    side: accuracy on same-side pairs and on opposite-side pairs, averaged; a pair with a
    neutral prediction counts as wrong.
    """
    predicted = dict(predicted)
    for n, item in enumerate(i for i in gold if i not in predicted):
        predicted[item] = (f"\0missing{n}", "neutral")
    by_gold: dict[str, set] = {}
    by_pred: dict[str, set] = {}
    for item, (group, _) in gold.items():
        by_gold.setdefault(group, set()).add(item)
        by_pred.setdefault(predicted[item][0], set()).add(item)
    precision = recall = 0.0
    for item, (group, _) in gold.items():
        same_pred = by_pred[predicted[item][0]]
        both = len(same_pred & by_gold[group])
        precision += both / len(same_pred)
        recall += both / len(by_gold[group])
    precision, recall = precision / len(gold), recall / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    right = {True: 0, False: 0}
    total = {True: 0, False: 0}
    for members in by_pred.values():
        sided = sorted(m for m in members if gold[m][1] != "neutral")
        for a, i in enumerate(sided):
            for j in sided[a + 1:]:
                if gold[i][0] != gold[j][0]:
                    continue
                same = gold[i][1] == gold[j][1]
                total[same] += 1
                si, sj = predicted[i][1], predicted[j][1]
                if "neutral" not in (si, sj):
                    right[same] += same == (si == sj)
    accuracies = [right[k] / total[k] for k in (True, False) if total[k]]
    side = sum(accuracies) / 2 if accuracies else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "side": side,
            "score": f1 * side, "same_side_pairs": total[True],
            "opposite_side_pairs": total[False], "propositions": len(by_pred)}
