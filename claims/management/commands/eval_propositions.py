"""Group a stream of claims into propositions with the product's own matching services.

Each input row is one claim of an article of its own, fed in file order; the product's matching
(``claims.matching.claim_match``) runs on a throw-away database, as the workers would, and each
claim's proposition and stance toward it are written out.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from claims.evaluation import atomic_output, read_rows, stream_claim, throwaway_database


def _read(path: Path) -> list[tuple[str, str]]:
    rows = [(row["id"], (row["text"] or "").strip()) for row in read_rows(path, {"id", "text"})]
    ids = [i for i, _ in rows]
    if len(set(ids)) != len(ids):
        raise CommandError(f"{path}: ids repeat; each row must have its own id.")
    return rows


class Command(BaseCommand):
    help = (
        "Group claims into propositions: reads a CSV with id,text (each row one claim of its "
        "own article, in stream order) and writes id,proposition,stance, running the product's "
        "matching on a throw-away database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", type=Path, required=True)
        parser.add_argument("--output", type=Path, required=True)

    def handle(self, *args, input: Path, output: Path, **options):
        rows = _read(input)
        with throwaway_database():
            predicted = self._run(rows)
        with atomic_output(output, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "proposition", "stance"])
            writer.writerows(predicted)
        propositions = len({p for _, p, _ in predicted})
        self.stdout.write(f"Grouped {len(predicted)} claims into {propositions} propositions "
                          f"in {output}.")

    def _run(self, rows):
        from claims.matching import claim_match, terms_count
        from claims.models import Article, Claim, ClaimLink, Source

        source = Source.objects.create(name="Evaluation stream")
        now = timezone.now()
        ids = {}
        for n, (row_id, text) in enumerate(rows):
            article = Article.objects.create(
                source=source, title=text[:500] or "(empty)", text=text,
                content_hash=f"eval-{n}", state=Article.State.DONE, processed_at=now,
                published_at=now + timezone.timedelta(seconds=n))
            if not text:
                continue
            found = stream_claim(text)
            claim = Claim.objects.create(
                article=article, text=found.content.text, start=found.content.start,
                end=found.content.end, sentence_start=found.sentence.start,
                sentence_end=found.sentence.end, kind=found.kind,
                statement=found.statement, proposition_text=found.proposition,
                polarity=found.polarity, negated=found.negated, hedged=found.hedged,
                claimant_mention=(found.claimant.mention.text
                                  if found.claimant and found.claimant.mention else "")[:300])
            terms_count(claims=[claim])
            claim_match(claim_id=claim.pk)
            ids[row_id] = claim.pk
        memberships = {link.claim_id: link for link in ClaimLink.objects.filter(
            claim_id__in=ids.values(), proposition__isnull=False).live()
            .select_related("proposition")}
        predicted = []
        for row_id, _ in rows:
            link = memberships.get(ids.get(row_id))
            if link is None:  # no claim in it: a proposition of its own, on no side
                predicted.append((row_id, f"none-{row_id}", "neutral"))
                continue
            proposition = link.proposition
            while proposition.merged_into_id:
                proposition = proposition.merged_into
            predicted.append((row_id, f"p{proposition.pk}", link.relation))
        return predicted
