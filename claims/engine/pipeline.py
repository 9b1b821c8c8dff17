"""One call for the whole analysis of an article: claims, then their check-worthiness."""

from __future__ import annotations

from dataclasses import replace

from .checkworthiness import load_model
from .types import ExtractedClaim


def analyse(text: str) -> list[ExtractedClaim]:
    """The claims of ``text`` (already cleaned), each scored for check-worthiness (0..1).

    The score is the sentence's: the model was trained on whole sentences, and a claim's
    sentence carries the context (who, when, how much) that makes it checkable.
    """
    # Imported here so that this module and extract_claims' module never import each other.
    from . import extract_claims

    model = load_model()
    scores: dict[tuple[int, int], float] = {}
    claims = []
    for claim in extract_claims(text):
        key = (claim.sentence.start, claim.sentence.end)
        if key not in scores:
            scores[key] = round(model.score(claim.sentence.text), 4)
        claims.append(replace(claim, checkworthiness=scores[key]))
    return claims
