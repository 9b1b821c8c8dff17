from __future__ import annotations

import csv
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from claims import realnews

DEFAULT_DATA = settings.BASE_DIR.parent / "shared" / "data" / "attribution"
JUDGED = settings.BASE_DIR / "judged"


class Command(BaseCommand):
    help = (
        "The real-news check: PolNeAR's train+dev articles read in publication order through "
        "the product's extraction. 'draw' writes judging sheets (with article words; keep them "
        "out of the repository); 'score' re-runs the product on the judged articles and prints "
        "the rates over the judged claims it still makes (judged/README.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=("draw", "score", "links-draw", "links-score"))
        parser.add_argument("--links", type=int, default=240, help="suggested links to draw")
        parser.add_argument("--limit", type=int, help="only the first N articles (a trial run)")
        parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                            help="folder with train.jsonl, dev.jsonl and metadata.tsv")
        parser.add_argument("--claims", type=int, default=240, help="claims to draw")
        parser.add_argument("--denials", type=int, default=150,
                            help="negative annotated attributions to draw")
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument("--out", type=Path, help="folder for the sheets (draw)")
        parser.add_argument("--labels", type=Path, default=JUDGED,
                            help="folder with claims.csv and, optionally, denials.csv (score)")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, action: str, data: Path, out: Path | None, labels: Path,
               **options):
        for name in ("metadata.tsv", "train.jsonl", "dev.jsonl"):
            if not (data / name).is_file():
                raise CommandError(f"{data / name} is missing: the stream is PolNeAR's "
                                   "train+dev articles (../shared/data/attribution).")
        if action.startswith("links-"):
            return self._links(action, data, out, labels, options)
        if action == "draw":
            if out is None or not out.is_dir():
                raise CommandError("draw needs --out, an existing folder outside the repository.")
            claim_rows, denial_rows = realnews.draw(
                data, claims=options["claims"], denials=options["denials"], seed=options["seed"])
            realnews.write_sheet(out / "claims.jsonl", claim_rows)
            realnews.write_sheet(out / "denials.jsonl", denial_rows)
            self.stdout.write(f"Wrote {len(claim_rows)} claims and {len(denial_rows)} "
                              f"attributions to judge into {out}.")
            return
        try:
            figures = realnews.score(data, labels / "claims.csv", labels / "denials.csv")
        except (OSError, ValueError, csv.Error) as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2))
            return
        claims, denials = figures["claims"], figures["denials"]

        def rate(part):
            return f"{part['rate']:.3f} ({part['count']}/{part['of']})" if part["of"] else "-"

        self.stdout.write(
            f"Engine {figures['engine']}: {claims['current']} of {claims['judged']} judged claims "
            f"still made ({len(claims['stale'])} changed since judged, "
            f"{len(claims['no_longer_made'])} no longer made, "
            f"{claims['no_longer_made_judged_good']} of them judged good).\n"
            f"  statements faithful  {rate(claims['faithful'])}\n"
            f"  claimants right      {rate(claims['claimant_right'])}\n"
            f"  fragments            {rate(claims['fragments'])}\n"
            f"  denial polarity      {claims['denials_said_found']}/{claims['denials_said']} "
            f"of the sample's denials; polarity right on "
            f"{claims['polarity_right']['right']}/{claims['polarity_right']['of']}\n"
            f"Denials among negative annotated attributions: {denials['found']}/"
            f"{denials['denials']} found as denials, recall "
            f"{denials['recall'] if denials['recall'] is not None else '-'} "
            f"({denials['missed_without_claim']} missed have no claim at all)"
        )
        if claims["stale"]:
            self.stdout.write("Changed since judged (judge again): "
                              + ", ".join(claims["stale"][:20])
                              + (" ..." if len(claims["stale"]) > 20 else ""))

    def _links(self, action, data, out, labels, options):
        """The matching check: the stream stored, extracted and matched on a throw-away
        database; 'links-draw' writes a sheet of suggested links to judge, 'links-score' the
        precision over judged links still suggested (judged/links.csv)."""
        from claims import realnews_links

        if action == "links-draw" and (out is None or not out.is_dir()):
            raise CommandError("links-draw needs --out, an existing folder outside the repository.")
        label_file = labels / "links.csv"
        if action == "links-score" and not label_file.is_file():
            raise CommandError(f"{label_file} is missing.")

        def progress(n, total):
            self.stderr.write(f"  {n}/{total} articles")

        result = realnews_links.run_stream(data, limit=options["limit"], progress=progress)
        if action == "links-draw":
            rows = realnews_links.draw(result, links=options["links"], seed=options["seed"])
            realnews.write_sheet(out / "links.jsonl", rows)
            realnews_links.write_labels_template(out / "links.csv", rows)
            self.stdout.write(json.dumps(result.figures()))
            self.stdout.write(f"Wrote {len(rows)} links to judge into {out}.")
            return
        try:
            figures = realnews_links.score(result, label_file)
        except (OSError, ValueError, csv.Error) as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2))
            return
        precision, same = figures["precision"], figures["same_proposition"]
        self.stdout.write(
            f"Engine {figures['engine']}: {figures['claims']} matchable claims, "
            f"{figures['links']} suggested links ({figures['links_per_claim']:.2f} a claim), "
            f"{figures['propositions_of_two_or_more']} propositions of two claims or more, the "
            f"largest {figures['largest_proposition']} claims ({figures['largest_share']:.2%}).\n"
            f"  {figures['still_suggested']} of {figures['judged']} judged links still suggested\n"
            f"  same proposition     {same['rate']} ({same['count']}/{same['of']})\n"
            f"  link precision       {precision['rate']} ({precision['count']}/{precision['of']}): "
            "same proposition and the right relation")
