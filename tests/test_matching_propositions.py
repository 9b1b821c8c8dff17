"""Matching on what claims say: propositions, the stream's term weights, sides, and the
limits on what is suggested. Invented articles, each a few sentences."""

import csv
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from claims import matching
from claims.engine import propositions as engine
from claims.extraction import claims_delete
from claims.ingestion import article_ingest
from claims.models import Claim, ClaimLink, Proposition, TermStat

pytestmark = pytest.mark.django_db(transaction=True)


def ingest(source: str, text: str, day: int = 1):
    # The outlet's own line keeps two outlets' copies of one sentence different articles.
    text = f"{text}\n\nReporting by the {source} desk, filed on day {day} of the month."
    return article_ingest(source_name=source, title=f"{source} {day}", text=text,
                          published_at=datetime(2022, 1, day, 10, tzinfo=UTC))


def membership(claim: Claim) -> ClaimLink:
    return ClaimLink.objects.get(claim=claim, proposition__isnull=False)


def only_claim(article, kind=None) -> Claim:
    claims = list(Claim.objects.matchable().filter(article=article))
    if kind:
        claims = [c for c in claims if c.kind == kind]
    assert len(claims) == 1, [(c.kind, c.said) for c in claims]
    return claims[0]


def test_stored_claims_count_their_terms_and_deleted_ones_take_them_back():
    article = ingest("Harbour Gazette", "The harbour authority said the new ferry terminal "
                     "will open in March after two years of building work.")
    claim = only_claim(article)
    terms = engine.terms_of(claim.bears_on)
    stats = dict(TermStat.objects.values_list("term", "claims"))
    assert stats[TermStat.TOTAL] == 1
    assert all(stats[t] == 1 for t in terms), (terms, stats)
    claims_delete(claims=Claim.objects.filter(pk=claim.pk))
    assert set(TermStat.objects.exclude(claims=0).values_list("term", flat=True)) == set()


def test_a_denial_contradicts_the_allegation_on_one_proposition():
    a = ingest("Northern Post", "Defence officials said the army is preparing a spring "
               "offensive against the rebel enclave of Darvaz.", day=1)
    b = ingest("Southern Ledger", "The defence ministry denied that the army is preparing a "
               "spring offensive against the rebel enclave of Darvaz.", day=2)
    alleged, denied = only_claim(a), only_claim(b, "denial")
    assert denied.polarity == Claim.Polarity.DENIES
    assert membership(alleged).proposition_id == membership(denied).proposition_id
    assert membership(alleged).relation == "supports"
    assert membership(denied).relation == "contradicts"
    link = ClaimLink.objects.get(claim=denied, target_claim=alleged)
    assert link.relation == "contradicts"
    assert link.method.startswith(matching.METHOD)
    proposition = membership(alleged).proposition
    assert "denied" not in proposition.text and "preparing" in proposition.text


def test_two_different_statements_on_one_topic_are_neither_linked_nor_contradicting():
    a = ingest("Northern Post", "Officials said the army is preparing a spring offensive "
               "against the rebel enclave of Darvaz.", day=1)
    b = ingest("Southern Ledger", "The rebel enclave of Darvaz has not received food "
               "deliveries for three weeks, aid workers said.", day=2)
    first, second = only_claim(a), only_claim(b)
    assert membership(first).proposition_id != membership(second).proposition_id
    assert not ClaimLink.objects.filter(target_claim__isnull=False).exists()


def test_a_shared_number_alone_makes_no_link():
    a = ingest("Harbour Gazette", "The mayor said the water plant runs at 40 percent of its "
               "capacity this winter.", day=1)
    b = ingest("Valley Times", "The council said the school budget for district 40 will grow "
               "next year.", day=2)
    first, second = only_claim(a), only_claim(b)
    assert membership(first).proposition_id != membership(second).proposition_id
    assert not ClaimLink.objects.filter(target_claim__isnull=False).exists()
    assert engine.similarity(engine.terms_of("plant runs at 40 percent"),
                             engine.terms_of("budget for district 40"),
                             engine.Weights({}, 10)) == 0.0


def test_a_single_topic_stream_does_not_fold_into_one_proposition():
    statements = [
        "the army is preparing a spring offensive against the rebel enclave of Darvaz",
        "food deliveries to the rebel enclave of Darvaz stopped three weeks ago",
        "the rebel commander of Darvaz was wounded in an air strike on Tuesday",
        "talks on a ceasefire in Darvaz will resume in Geneva next month",
        "refugees from Darvaz crossed the mountain pass into the neighbouring province",
        "the government closed the only road into Darvaz to journalists",
    ]
    for day, statement in enumerate(statements * 2, start=1):
        ingest(f"Outlet {day}", f"Officials said {statement}.", day=day)
    sizes = Counter(ClaimLink.objects.filter(proposition__isnull=False).live()
                    .values_list("proposition_id", flat=True))
    total = Claim.objects.matchable().count()
    assert total == 12
    # each statement and its repetition: six propositions of two, none bigger
    assert max(sizes.values()) <= 2, sizes
    assert len(sizes) >= 6


def test_a_claim_gets_at_most_the_configured_links_the_best_first(settings):
    settings.CLAIMTRACK_MATCH_LINKS_MAX = 2
    text = ("Officials said the army is preparing a spring offensive against the rebel "
            "enclave of Darvaz.")
    for day in range(1, 6):
        ingest(f"Outlet {day}", text, day=day)
    last = Claim.objects.matchable().order_by("-pk").first()
    links = list(ClaimLink.objects.filter(claim=last, target_claim__isnull=False))
    assert len(links) == 2
    assert all(link.relation == "supports" for link in links)
    per_claim = Counter(ClaimLink.objects.filter(target_claim__isnull=False)
                        .values_list("claim_id", flat=True))
    assert max(per_claim.values()) <= 2


def test_a_claim_that_states_too_little_is_not_matched():
    a = ingest("Northern Post", "Officials said on Tuesday evening that we won.", day=1)
    b = ingest("Southern Ledger", "The minister said on Tuesday evening that we won.", day=2)
    for article in (a, b):
        for claim in Claim.objects.matchable().filter(article=article):
            assert not engine.comparable(engine.terms_of(claim.bears_on))
    assert not ClaimLink.objects.filter(target_claim__isnull=False).exists()


def test_an_editors_lock_keeps_new_claims_out_of_the_proposition():
    text = ("Officials said the army is preparing a spring offensive against the rebel "
            "enclave of Darvaz.")
    first = only_claim(ingest("Outlet 1", text, day=1))
    proposition = membership(first).proposition
    Proposition.objects.filter(pk=proposition.pk).update(locked=True)
    second = only_claim(ingest("Outlet 2", text, day=2))
    assert membership(second).proposition_id != proposition.pk


class FakeEncoder:
    """Bag of hashed words in 32 dimensions, unit length: stands in for the dense extra."""

    def encode(self, texts, normalize_embeddings=True, batch_size=64, show_progress_bar=False):
        import numpy
        rows = []
        for text in texts:
            vector = numpy.zeros(32, dtype=numpy.float32)
            for word in text.lower().split():
                vector[sum(map(ord, word)) % 32] += 1
            rows.append(vector / (numpy.linalg.norm(vector) or 1))
        return numpy.stack(rows)


def test_with_the_dense_extra_embeddings_are_stored_and_fused(monkeypatch):
    pytest.importorskip("numpy")
    monkeypatch.setattr(matching, "_encoder", lambda: FakeEncoder())
    text = ("Officials said the army is preparing a spring offensive against the rebel "
            "enclave of Darvaz.")
    first = only_claim(ingest("Outlet 1", text, day=1))
    second = only_claim(ingest("Outlet 2", text, day=2))
    first.refresh_from_db()
    assert first.embedding is not None and len(bytes(first.embedding)) == 32 * 4
    link = ClaimLink.objects.get(claim=second, target_claim=first)
    assert link.method == matching.METHOD + "+dense"
    assert link.score == pytest.approx(1.0, abs=1e-3)
    proposition = membership(first).proposition
    assert proposition.embedding is not None


def write_csv(path, rows, header=("id", "text")):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def test_eval_propositions_groups_a_stream_and_gives_sides(tmp_path):
    source = tmp_path / "in.csv"
    write_csv(source, [
        ("1", "Army preparing spring offensive against rebel enclave of Darvaz"),
        ("2", "Bananas are berries, botanists say after a long study of fruit"),
        ("3", "Ministry: army not preparing spring offensive against rebel enclave of Darvaz"),
        ("4", "Report of spring offensive against rebel enclave of Darvaz is a hoax"),
        ("5", "Army preparing spring offensive against Darvaz rebel enclave, officials say"),
    ])
    out = tmp_path / "out.csv"
    call_command("eval_propositions", "--input", str(source), "--output", str(out))
    rows = {r["id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert set(rows) == {"1", "2", "3", "4", "5"}
    same = {rows[i]["proposition"] for i in ("1", "3", "4", "5")}
    assert len(same) == 1
    assert rows["2"]["proposition"] not in same
    assert rows["1"]["stance"] == "supports" and rows["5"]["stance"] in ("supports", "neutral")
    assert rows["3"]["stance"] == "contradicts" and rows["4"]["stance"] == "contradicts"
    # the throw-away database is gone: nothing was stored in this one
    assert not Claim.objects.exists()


@pytest.mark.parametrize("content, message", [
    ("id,body\n1,x\n", "missing column"),
    ("id,text\n1,a\n1,b\n", "ids repeat"),
])
def test_eval_propositions_refuses_bad_input(tmp_path, content, message):
    source = tmp_path / "in.csv"
    source.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("eval_propositions", "--input", str(source),
                     "--output", str(tmp_path / "out.csv"))
    assert not (tmp_path / "out.csv").exists()


def test_eval_propositions_refuses_a_file_that_is_not_utf8(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(b"id,text\n1,caf\xe9\n")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("eval_propositions", "--input", str(source),
                     "--output", str(tmp_path / "out.csv"))


def test_a_split_takes_the_members_words_out_of_the_centroid(django_user_model):
    from claims.propositions import proposition_split

    editor = django_user_model.objects.create_user("editor-split")
    texts = [
        "Officials said the army is preparing a spring offensive against the rebel enclave "
        "of Darvaz.",
        "Commanders said the army is preparing a spring offensive against the rebel enclave "
        "of Darvaz.",
    ]
    claims = [only_claim(ingest(f"Outlet {n}", text, day=n)) for n, text in enumerate(texts, 1)]
    proposition = membership(claims[0]).proposition
    assert membership(claims[1]).proposition_id == proposition.pk
    proposition.refresh_from_db()
    assert proposition.terms["offensiv"] == 2
    new = proposition_split(links=[membership(claims[1])], user=editor)
    proposition.refresh_from_db()
    new.refresh_from_db()
    assert proposition.terms["offensiv"] == 1 and new.terms["offensiv"] == 1
    assert new.text == claims[1].bears_on


def test_only_members_placed_with_confidence_feed_a_propositions_rating():
    from claims.review import proposition_verdict_suggestions

    text = ("Officials said the army is preparing a spring offensive against the rebel "
            "enclave of Darvaz.")
    first = only_claim(ingest("Outlet 1", text, day=1))
    second = only_claim(ingest("Outlet 2", text, day=2))
    proposition = membership(first).proposition

    def rated():
        return {s.claim.pk for s in proposition_verdict_suggestions(
            proposition=proposition, verdict="false")}

    assert rated() == {first.pk, second.pk}  # the same sentence: joined far above the threshold
    ClaimLink.objects.filter(pk=membership(second).pk).update(score=engine.LINK_MIN - 0.01)
    assert rated() == {first.pk}
    ClaimLink.objects.filter(pk=membership(second).pk).update(status="confirmed")
    assert rated() == {first.pk, second.pk}


def test_the_proposition_scorer_counts_b_cubed_and_sides():
    from claims.engine.scoring import proposition_scores

    gold = {"1": ("g1", "supports"), "2": ("g1", "contradicts"), "3": ("g1", "supports"),
            "4": ("g2", "supports")}
    perfect = {"1": ("a", "supports"), "2": ("a", "contradicts"), "3": ("a", "supports"),
               "4": ("b", "supports")}
    assert proposition_scores(gold, perfect)["score"] == pytest.approx(1.0)
    lumped = {k: ("a", "supports") for k in gold}
    scores = proposition_scores(gold, lumped)
    # each of g1 sees 3 of 4 right, item 4 one of four: precision (3*.75 + .25)/4
    assert scores["precision"] == pytest.approx(0.625) and scores["recall"] == 1.0
    # same-side pair (1,3) right, both opposite pairs wrong: (1 + 0) / 2
    assert scores["side"] == pytest.approx(0.5)


def test_a_rejected_membership_is_not_made_again_nor_counted_twice(django_user_model):
    from claims.propositions import link_decide

    editor = django_user_model.objects.create_user("editor-reject")
    text = ("Officials said the army is preparing a spring offensive against the rebel "
            "enclave of Darvaz.")
    first = only_claim(ingest("Outlet 1", text, day=1))
    second = only_claim(ingest("Outlet 2", text, day=2))
    joined = membership(second)
    proposition = joined.proposition
    link_decide(link=joined, user=editor, status="rejected")
    proposition.refresh_from_db()
    assert proposition.terms["offensiv"] == 1  # only the first claim's words are left
    matching.claim_match(claim_id=second.pk)
    matching.claim_match(claim_id=second.pk)
    proposition.refresh_from_db()
    assert proposition.terms["offensiv"] == 1
    assert ClaimLink.objects.get(claim=second, proposition=proposition).status == "rejected"
    assert first.pk in Claim.objects.in_proposition(proposition.pk).values_list("pk", flat=True)


def test_reporting_boilerplate_is_no_part_of_a_proposition():
    """"X did not respond to a request for comment" about two different people is not one
    statement; what a claim states beside the boilerplate still counts."""
    for line in ("Hope Hicks did not respond to a request for comment",
                 "The Trump campaign did not immediately respond to an email seeking comment",
                 "Senator Cruz declined to comment",
                 "Aides could not be reached for comment on Sunday"):
        assert not engine.comparable(engine.terms_of(line)), engine.terms_of(line)
    assert engine.terms_of("The governor did not return calls seeking comment on the tax plan") \
        == Counter({"governor": 1, "tax": 1, "plan": 1})
    # Words of a statement that only look like it stay.
    assert "respond" in engine.terms_of("The army will respond to any attack on the border")


def test_two_no_comment_lines_about_different_campaigns_are_not_linked():
    a = ingest("Daily Ledger", "The Sanders campaign did not respond to several requests for "
               "comment on Sunday night.", day=3)
    b = ingest("Evening Post", "The Clinton campaign did not respond to several requests for "
               "comment on Sunday night.", day=4)
    claims = list(Claim.objects.matchable().filter(article__in=[a, b]))
    assert len(claims) == 2, [c.said for c in claims]
    assert membership(claims[0]).proposition_id != membership(claims[1]).proposition_id
    assert not ClaimLink.objects.filter(claim__in=claims, target_claim__isnull=False).exists()
