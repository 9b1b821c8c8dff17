from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from claims import engine
from claims.evaluation import atomic_output


def span(value) -> dict | None:
    return None if value is None else {"start": value.start, "end": value.end, "text": value.text}


def claim_record(claim: engine.ExtractedClaim) -> dict:
    claimant = claim.claimant
    return {
        "start": claim.content.start,
        "end": claim.content.end,
        "text": claim.content.text,
        "speaker": span(claimant.mention) if claimant else None,
        "cue": span(claim.cue),
        "kind": claim.kind,
        "claimant": None if claimant is None else {
            "name": claimant.name, "role": claimant.role, "family": claimant.family,
            "kind": claimant.kind,
        },
        "cue_words": list(claim.cue_words),
        "negated": claim.negated,
        "hedged": claim.hedged,
        "checkworthiness": claim.checkworthiness,
        "sentence": span(claim.sentence),
    }


class Command(BaseCommand):
    help = (
        "Extract claims from texts: reads JSONL {\"id\", \"text\"} (other keys ignored) and "
        "writes JSONL {\"id\", \"claims\": [...]} with offsets into the input text."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", type=Path, required=True)
        parser.add_argument("--output", type=Path, required=True)

    def handle(self, *args, input: Path, output: Path, **options):
        count = claims = 0
        try:
            source = input.open("rb")
        except OSError as exc:
            raise CommandError(f"Cannot read {input}: {exc.strerror}") from None
        with source, atomic_output(output) as sink:
            for number, raw in enumerate(source, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise CommandError(f"{input}:{number}: not valid UTF-8 ({exc.reason}).") \
                        from None
                if number == 1:
                    line = line.removeprefix("\ufeff")  # spreadsheet exports start with a BOM
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    doc_id, text = record["id"], record["text"]
                    if not isinstance(text, str):
                        raise TypeError("'text' must be a string")
                except (json.JSONDecodeError, KeyError, TypeError, RecursionError) as exc:
                    raise CommandError(
                        f"{input}:{number}: not a {{id, text}} record ({exc!r}).") from None
                if any("\ud800" <= ch <= "\udfff" for ch in text):
                    # A lone surrogate cannot be written as UTF-8; one replacement character
                    # stands in for it, so every offset stays the same.
                    text = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
                found = engine.analyse(text)
                sink.write(json.dumps(
                    {"id": doc_id, "claims": [claim_record(c) for c in found]},
                    ensure_ascii=False) + "\n")
                count += 1
                claims += len(found)
        self.stdout.write(f"Extracted {claims} claims from {count} texts into {output} "
                          f"(engine {engine.ENGINE_VERSION}).")
