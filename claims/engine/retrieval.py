"""Retrieval of candidates: which stored claims or fact-checks say the same as a new claim?

The lexical path, pure Python: BM25F (Okapi BM25 over several weighted fields) with an inverted
index whose postings are arrays, exact top-k by MaxScore pruning, and a name/figure field that
rewards shared capitalised names and numbers. Measured on the CLEF CheckThat! 2022 Task 2 data
(``../shared/data/retrieval/``) with ``manage.py eval_retrieval``; figures in ``docs/quality.md``.

    index = Index.build(records, {"vclaim": 1.0, "title": 0.5})
    index.search("Russia is preparing to invade Ukraine", k=5)  # [(record id, score), ...]
    index.add({"id": "fc-9", "vclaim": "..."})
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import islice

from .retrieval_text import DROP_HANDLES, analyse, tweet_authors

# The text fields a fact-check record may have, in the order they are looked for. ``speaker``
# is the claimant (PolitiFact); Snopes' ``author`` is the fact-checker, not the claimant.
TEXT_FIELDS = ("vclaim", "claim", "text", "title", "subtitle", "speaker", "claimant")
ID_KEYS = ("vclaim_id", "id")
NAMES = "names"  # pseudo-field: capitalised names and figures of all the text fields

# Field weights, BM25 parameters and the name/claimant weights were chosen by grid search on the
# *train* queries only (queries-train.tsv + qrels-train.tsv of both collections, MAP@5, the best
# mean over Snopes and PolitiFact; docs/quality.md). The optimum is flat: k1 0.9-1.5, b 0.4-0.75,
# title 0.8-1.0 move MAP@5 by under 0.01 on either collection.
# Snopes' subtitle restates the claim; PolitiFact's speaker is the claimant, so it weighs little
# as text but counts in full in the name field below.
DEFAULT_FIELDS = {"vclaim": 1.0, "claim": 1.0, "text": 1.0, "title": 0.8, "subtitle": 0.8,
                  "speaker": 0.3, "claimant": 0.3}
K1 = 0.9
B = 0.6
# Weight of the name field (capitalised names, figures, the claimant) in BM25F. Alone it is worth
# little (Snopes train 0.786 -> 0.775 at 0.5); with the claimant read from the query it helps
# (0.787 -> 0.795; with handles as words 0.808 -> 0.817).
NAME_WEIGHT = 0.3
# Query-side weight of each word of the claimant's name, as a count of the term in the query.
CLAIMANT_WEIGHT = 1.0


def record_id(record: Mapping) -> str:
    for key in ID_KEYS:
        if record.get(key) not in (None, ""):
            return str(record[key])
    raise ValueError("record has no vclaim_id/id")


def detect_fields(records: Iterable[Mapping], weights: Mapping[str, float] | None = None
                  ) -> dict[str, float]:
    """The text fields present in the records, with their weights (unknown fields weigh 0.5)."""
    weights = DEFAULT_FIELDS if weights is None else weights
    present = set()
    for record in records:
        present.update(k for k in TEXT_FIELDS if isinstance(record.get(k), str) and record[k])
    return {f: weights.get(f, 0.5) for f in TEXT_FIELDS if f in present}


def query_terms(text: str, claimant: str | None = None, name_weight: float = NAME_WEIGHT,
                claimant_weight: float = CLAIMANT_WEIGHT, drop_handles: bool = DROP_HANDLES
                ) -> dict[str, float]:
    """Query term -> weight: the words, the names and figures, and the claimant's name.

    The claimant is who made the claim: given by the caller (the extractor's claimant) or read
    from a tweet's trailer ("— Ilhan Omar (@IlhanMN) January 6, 2020"); fact-checks name the
    claimant in their title or speaker field, so a shared claimant is evidence of the same claim.
    """
    words, names = analyse(text, drop_handles=drop_handles)
    terms: dict[str, float] = dict(Counter(words))
    if name_weight:
        for name in names:
            terms["=" + name] = terms.get("=" + name, 0.0) + 1.0
        claimants = tweet_authors(text) + ([claimant] if claimant else [])
        if claimant_weight:
            for person in claimants:
                for name in analyse(person, social=False)[0]:
                    terms["=" + name] = terms.get("=" + name, 0.0) + claimant_weight
    return terms


class _Postings:
    """One term's postings: record numbers ascending, their BM25F saturated tf, the maximum."""

    __slots__ = ("docs", "impacts", "top")

    def __init__(self) -> None:
        self.docs = array("i")
        self.impacts = array("f")
        self.top = 0.0


class Index:
    def __init__(self, fields: Mapping[str, float], k1: float = K1, b: float = B,
                 name_weight: float = NAME_WEIGHT, claimant_weight: float = CLAIMANT_WEIGHT,
                 drop_handles: bool = DROP_HANDLES) -> None:
        self.fields = dict(fields)
        self.claimant_weight = claimant_weight
        self.drop_handles = drop_handles
        self.k1 = k1
        self.b = b
        self.name_weight = name_weight
        self.ids: list[str] = []
        self.postings: dict[str, _Postings] = {}
        self._lengths = {f: 0 for f in self._all_fields()}
        self._avg = {f: 1.0 for f in self._all_fields()}
        self._frozen_avg = False

    def _all_fields(self) -> list[str]:
        return list(self.fields) + ([NAMES] if self.name_weight else [])

    def _field_terms(self, record: Mapping) -> dict[str, list[str]]:
        out = {}
        names: list[str] = []
        for field in self.fields:
            value = record.get(field)
            words, field_names = (analyse(value, drop_handles=self.drop_handles)
                                  if isinstance(value, str) else ([], []))
            out[field] = words
            # A claimant is a name as a whole, capitalised or not.
            names.extend(words if field in ("speaker", "claimant") else field_names)
        if self.name_weight:
            out[NAMES] = ["=" + n for n in names]
        return out

    @classmethod
    def build(cls, records: Iterable[Mapping], fields: Mapping[str, float] | None = None,
              **params) -> Index:
        """Index records (dicts with ``vclaim_id`` or ``id`` and text fields).

        Average field lengths are taken over these records; ``add`` later keeps them, so a
        collection that grows a lot should be rebuilt now and then (scores drift, ranks barely).
        """
        records = list(records)
        if fields is None:
            fields = detect_fields(records)
        index = cls(fields, **params)
        analysed = [(record_id(r), index._field_terms(r)) for r in records]
        if analysed:
            for field in index._lengths:
                total = sum(len(terms[field]) for _, terms in analysed)
                index._avg[field] = max(total / len(analysed), 1.0)
            index._frozen_avg = True
        for rid, terms in analysed:
            index._append(rid, terms)
        return index

    def add(self, record: Mapping) -> None:
        """Add one record; it is searchable at once."""
        terms = self._field_terms(record)
        if not self._frozen_avg:
            # An index grown from empty: average lengths follow the records seen so far.
            n = len(self.ids) + 1
            for field, field_terms in terms.items():
                self._lengths[field] += len(field_terms)
                self._avg[field] = max(self._lengths[field] / n, 1.0)
        self._append(record_id(record), terms)

    def _append(self, rid: str, terms: dict[str, list[str]]) -> None:
        doc = len(self.ids)
        self.ids.append(rid)
        k1, b = self.k1, self.b
        pseudo: dict[str, float] = {}
        for field, field_terms in terms.items():
            if not field_terms:
                continue
            weight = self.name_weight if field == NAMES else self.fields[field]
            norm = weight / (1.0 - b + b * len(field_terms) / self._avg[field])
            for term, tf in Counter(field_terms).items():
                pseudo[term] = pseudo.get(term, 0.0) + tf * norm
        postings = self.postings
        for term, tf in pseudo.items():
            entry = postings.get(term)
            if entry is None:
                entry = postings[term] = _Postings()
            entry.docs.append(doc)
            entry.impacts.append(tf / (k1 + tf))
            impact = entry.impacts[-1]  # as stored (float32): the bound must not undershoot it
            if impact > entry.top:
                entry.top = impact

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, term: str) -> float:
        entry = self.postings.get(term)
        df = len(entry.docs) if entry else 0
        n = len(self.ids)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _weighted_terms(self, query: str, claimant: str | None = None
                        ) -> list[tuple[float, _Postings]]:
        out = []
        terms = query_terms(query, claimant, self.name_weight, self.claimant_weight,
                            self.drop_handles)
        for term, qtf in terms.items():
            entry = self.postings.get(term)
            if entry is not None:
                out.append((self.idf(term) * qtf, entry))
        return out

    def search(self, query: str, k: int = 5, claimant: str | None = None
               ) -> list[tuple[str, float]]:
        """The ``k`` best records for a query, best first: [(record id, score), ...].

        Exact BM25F top-k. Terms are scored from the most to the least selective (MaxScore):
        once the terms left could not lift a record that has none of the terms seen so far above
        the k-th score, they only update the records still in reach, looked up by bisection.
        """
        scored = self.score_all_candidates(query, k, claimant)
        best = heapq.nlargest(k, scored.items(), key=lambda item: (item[1], -item[0]))
        return [(self.ids[doc], score) for doc, score in best]

    def score_all_candidates(self, query: str, k: int, claimant: str | None = None
                             ) -> dict[int, float]:
        """Record number -> score, for every record that can still be in the top ``k``."""
        terms = self._weighted_terms(query, claimant)
        if not terms or k <= 0:
            return {}
        terms.sort(key=lambda wt: wt[0] * wt[1].top, reverse=True)
        bounds = [w * e.top for w, e in terms]
        rest = [0.0] * (len(terms) + 1)
        for i in range(len(terms) - 1, -1, -1):
            rest[i] = rest[i + 1] + bounds[i]
        acc: dict[int, float] = {}
        i = 0
        while i < len(terms):
            weight, entry = terms[i]
            if len(acc) >= k and rest[i] < _kth(acc, k):
                break
            if not acc:
                acc = dict(zip(entry.docs, [weight * s for s in entry.impacts]))
            else:
                get = acc.get
                for doc, s in zip(entry.docs, entry.impacts):
                    acc[doc] = get(doc, 0.0) + weight * s
            i += 1
        if i == len(terms):
            return acc
        # Non-essential terms: only records already seen can still make the top k, and of
        # those only the ones whose score plus what the terms left can add reaches the k-th.
        threshold = _kth(acc, k)
        alive = {d: s for d, s in acc.items() if s + rest[i] >= threshold}
        for j in range(i, len(terms)):
            weight, entry = terms[j]
            docs, impacts = entry.docs, entry.impacts
            size = len(docs)
            if len(alive) * 16 < size:
                # Few records in reach: find each in the postings by bisection.
                for doc in alive:
                    pos = bisect_left(docs, doc)
                    if pos < size and docs[pos] == doc:
                        alive[doc] += weight * impacts[pos]
            else:
                for doc, s in zip(docs, impacts):
                    if doc in alive:
                        alive[doc] += weight * s
            if j + 1 < len(terms) and len(alive) > k:
                threshold = _kth(alive, k)
                limit = threshold - rest[j + 1]
                alive = {d: s for d, s in alive.items() if s >= limit}
        return alive


# A lower bound of the k-th best score is enough to prune safely, and the k-th best of any
# subset of the records is one: the first ones touched (by the most selective terms) suffice.
_KTH_SAMPLE = 20_000


def _kth(scores: dict[int, float], k: int) -> float:
    values = scores.values() if len(scores) <= _KTH_SAMPLE else islice(scores.values(), _KTH_SAMPLE)
    best = heapq.nlargest(k, values)
    return best[-1] if len(best) == k else 0.0


def average_precision_at(ranked: list[str], relevant: set[str], k: int = 5) -> float:
    """AP@k as the CheckThat! scorer computes it: precision at each relevant hit in the top k,
    divided by the number of relevant records (all of them, not only those retrieved)."""
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    for rank, rid in enumerate(ranked[:k], start=1):
        if rid in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def mean_average_precision(run: Mapping[str, list[str]], qrels: Mapping[str, set[str]],
                           k: int = 5) -> float:
    """MAP@k over the queries of ``qrels`` (a query missing from the run scores 0)."""
    if not qrels:
        return 0.0
    return sum(average_precision_at(run.get(q, []), rel, k) for q, rel in qrels.items()) / len(qrels)
