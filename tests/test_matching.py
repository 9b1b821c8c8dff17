"""Matching across sources on the demo corpus: the story's allegation and its denials meet
in one proposition on opposite sides; editors' decisions survive later passes."""

from pathlib import Path

import pytest
from django.core.management import call_command

from claims import matching, propositions
from claims.models import Article, Claim, ClaimLink, FactCheck, Proposition
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

DEMO = Path(__file__).resolve().parents[1] / "demo" / "corpus"


@pytest.fixture
def demo_matched():
    call_command("ingest_articles", str(DEMO), no_progress=True)
    assert Article.objects.filter(matched_at__isnull=False).count() == Article.objects.count()
    return Article.objects.all()


def proposition_sides(proposition):
    """The member claims on each side, in time order, as the proposition page lists them."""
    sides = {relation: [] for relation in ClaimLink.Relation.values}
    for link in ClaimLink.objects.members_of(proposition).in_time_order():
        sides[link.relation].append(link.claim)
    return sides


def invasion_proposition() -> Proposition:
    """The proposition with the most sources among those holding an invasion allegation."""
    best, best_sources = None, -1
    for proposition in Proposition.objects.all():
        sides = proposition_sides(proposition)
        texts = " ".join(c.text.lower() for c in sides["supports"])
        if "invade" not in texts and "invasion" not in texts:
            continue
        sources = {c.article.source_id for side in sides.values() for c in side}
        if len(sources) > best_sources:
            best, best_sources = proposition, len(sources)
    assert best is not None
    return best


def test_the_allegation_and_its_denials_share_a_proposition_on_opposite_sides(demo_matched):
    sides = proposition_sides(invasion_proposition())
    supporting_sources = {c.article.source.name for c in sides["supports"]}
    contradicting_sources = {c.article.source.name for c in sides["contradicts"]}
    assert len(supporting_sources) >= 2, sides
    assert len(contradicting_sources) >= 2, sides
    assert {c.kind for c in sides["contradicts"]} & {"denial"}
    families = {c.claimant.family for c in sides["contradicts"] if c.claimant}
    assert "russia" in families


def test_every_member_of_the_invasion_proposition_is_on_its_side(demo_matched):
    proposition = invasion_proposition()
    sides = proposition_sides(proposition)
    # The proposition is the positive clause, never a denial or an attribution.
    assert "invasion" in proposition.text and "den" not in proposition.text.lower()
    for claim in sides["contradicts"]:
        assert claim.polarity == Claim.Polarity.DENIES, claim.said
    for claim in sides["supports"] + sides["neutral"]:
        assert claim.polarity != Claim.Polarity.DENIES, claim.said
    quoted = {c.claimant.name for c in sides["contradicts"]}
    # Peskov's reported denial and Kosachev's quoted "There is no invasion being prepared".
    assert {"Dmitry Peskov", "Konstantin Kosachev"} <= quoted, quoted
    assert any(c.kind == "quote" for c in sides["contradicts"])


def test_matching_twice_changes_nothing(demo_matched):
    # The first pass of each article saw only the articles before it; match them all once
    # with everything present, then again.
    for article in demo_matched:
        matching.article_match(article_id=article.pk)

    def rows():
        return sorted(tuple(-1 if v is None else v for v in row) for row in
                      ClaimLink.objects.values_list("claim_id", "target_claim_id",
                                                    "proposition_id", "factcheck_id", "relation"))

    before = rows()
    propositions = Proposition.objects.count()
    for article in demo_matched:
        matching.article_match(article_id=article.pk)
    assert rows() == before
    assert Proposition.objects.count() == propositions


def test_an_editors_decisions_survive_a_later_pass(demo_matched):
    editor = UserFactory()
    link = ClaimLink.objects.filter(target_claim__isnull=False).first()
    ClaimLink.objects.filter(pk=link.pk).update(
        status=ClaimLink.Status.REJECTED, relation=ClaimLink.Relation.NEUTRAL,
        decided_by=editor)
    membership = ClaimLink.objects.filter(proposition__isnull=False).exclude(
        claim=link.claim).first()
    ClaimLink.objects.filter(pk=membership.pk).update(status=ClaimLink.Status.CONFIRMED,
                                                     decided_by=editor)
    for claim_id in (link.claim_id, membership.claim_id):
        matching.claim_match(claim_id=claim_id)
    link.refresh_from_db()
    membership_after = ClaimLink.objects.get(pk=membership.pk)
    assert (link.status, link.relation) == (ClaimLink.Status.REJECTED, "neutral")
    assert membership_after.status == ClaimLink.Status.CONFIRMED
    assert membership_after.proposition_id == membership.proposition_id


def test_a_fact_check_of_the_same_statement_is_suggested(demo_matched):
    claim = Claim.objects.filter(kind="allegation", text__icontains="invade Ukraine").first()
    FactCheck.objects.create(external_id="fc-1", origin="ours", publisher="Desk",
                             claim_reviewed=claim.text, verdict="unproven")
    FactCheck.objects.create(external_id="fc-2", origin="ours", publisher="Desk",
                             claim_reviewed="Bananas are berries, botanists say.",
                             verdict="true")
    matching.claim_match(claim_id=claim.pk)
    suggested = set(ClaimLink.objects.filter(claim=claim, factcheck__isnull=False)
                    .values_list("factcheck__external_id", flat=True))
    assert suggested == {"fc-1"}


def test_similarity_folds_a_body_and_its_capital_and_verb_and_noun():
    a = matching.claim_vector("Moscow is preparing an invasion")
    b = matching.claim_vector("Russia is preparing to invade")
    assert matching.cosine(a, b) > 0.9
    assert matching.cosine(a, matching.claim_vector("Bananas are berries")) == 0


def test_editors_see_propositions_and_decide_links_in_the_admin(client, demo_matched):
    from django.urls import reverse

    from claims.roles import roles_ensure

    user = UserFactory(is_staff=True)
    user.groups.add(roles_ensure()["Editors"])
    client.force_login(user)
    proposition = invasion_proposition()
    page = client.get(reverse("admin:claims_proposition_change", args=[proposition.pk]))
    assert page.status_code == 200
    assert "Contradicts" in page.content.decode() and "Supports" in page.content.decode()
    claim = proposition_sides(proposition)["contradicts"][0]
    claim_page = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert "Supporting (other sources)" in claim_page.content.decode()

    link = ClaimLink.objects.filter(target_claim__isnull=False).first()
    response = client.post(reverse("admin:claims_claimlink_changelist"),
                           {"action": "reject", "_selected_action": [link.pk]})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.status == "rejected" and link.decided_by == user

    other = Proposition.objects.exclude(pk=proposition.pk).filter(
        merged_into__isnull=True).first()
    client.post(reverse("admin:claims_proposition_changelist"),
                {"action": "merge", "_selected_action": [proposition.pk, other.pk]})
    merged = {proposition.pk, other.pk}
    survivors = Proposition.objects.filter(pk__in=merged, merged_into__isnull=True)
    assert survivors.count() == 1 and survivors.get().locked


def test_splitting_memberships_makes_a_new_locked_proposition(demo_matched):
    proposition = invasion_proposition()
    links = list(ClaimLink.objects.filter(proposition=proposition,
                                          relation="contradicts"))
    editor = UserFactory()
    new = propositions.proposition_split(links=links, user=editor)
    assert new.locked
    assert set(ClaimLink.objects.filter(proposition=new).values_list("status", flat=True)) == {
        "confirmed"}
    with pytest.raises(propositions.DecisionError):
        propositions.proposition_split(links=list(ClaimLink.objects.filter(proposition=new)),
                                   user=editor)


def test_reextraction_removes_propositions_left_without_members(demo_matched):
    from unittest import mock

    from claims import engine, extraction

    article = Article.objects.get(source__name="Old Bridge Gazette")
    started_here = set(Proposition.objects.filter(first_claim__article=article)
                       .values_list("id", flat=True))
    assert started_here
    with mock.patch.object(engine, "ENGINE_VERSION", "99.0"):
        extraction.article_reprocess(article=article)
    assert not Proposition.objects.filter(pk__in=started_here, links__isnull=True).exists()
    assert not Proposition.objects.filter(links__isnull=True, locked=False).exists()


def test_the_claim_page_lists_linked_claims_with_their_scores(client, demo_matched):
    from django.urls import reverse

    user = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(user)
    link = ClaimLink.objects.filter(target_claim__isnull=False).first()
    page = client.get(reverse("admin:claims_claim_change", args=[link.claim_id])).content.decode()
    assert reverse("admin:claims_claim_change", args=[link.target_claim_id]) in page
    assert f"{link.score:.2f}" in page


def test_a_rejection_from_either_side_stands_and_locked_propositions_get_no_new_members(
        demo_matched):
    editor = UserFactory()
    link = ClaimLink.objects.filter(target_claim__isnull=False).first()
    propositions.link_decide(link=link, user=editor, status="rejected")
    ClaimLink.objects.filter(claim=link.target_claim, target_claim=link.claim).delete()
    matching.claim_match(claim_id=link.target_claim_id)
    assert not ClaimLink.objects.filter(claim=link.target_claim, target_claim=link.claim).exists()

    proposition = invasion_proposition()
    Proposition.objects.filter(pk=proposition.pk).update(locked=True)
    members = set(ClaimLink.objects.filter(proposition=proposition).values_list("claim_id",
                                                                               flat=True))
    for article in demo_matched:
        matching.article_match(article_id=article.pk)
    assert set(ClaimLink.objects.filter(proposition=proposition).values_list(
        "claim_id", flat=True)) <= members


def test_deleting_an_article_takes_its_empty_propositions_and_keeps_the_rest(
        client, demo_matched):
    from django.urls import reverse

    article = Article.objects.get(source__name="Old Bridge Gazette")
    touched = set(ClaimLink.objects.filter(claim__article=article, proposition__isnull=False)
                  .values_list("proposition_id", flat=True))
    only_here = {pk for pk in touched if not ClaimLink.objects.filter(proposition_id=pk)
                 .exclude(claim__article=article).exists()}
    shared = touched - only_here
    assert only_here and shared
    editor_kept = Proposition.objects.filter(pk__in=only_here).first()
    Proposition.objects.filter(pk=editor_kept.pk).update(locked=True)

    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post(reverse("admin:claims_article_delete", args=[article.pk]),
                           {"post": "yes"})
    assert response.status_code == 302
    assert not Article.objects.filter(pk=article.pk).exists()
    assert set(Proposition.objects.filter(pk__in=touched).values_list("id", flat=True)) == (
        shared | {editor_kept.pk})
    # Nothing else was swept away with it.
    assert matching.articles_match_sweep()["pruned"] == 0


def test_the_sweep_prunes_propositions_emptied_behind_the_services_back(demo_matched):
    article = Article.objects.get(source__name="Old Bridge Gazette")
    Article.objects.filter(pk=article.pk).delete()  # a raw cascade, no service
    orphans = Proposition.objects.filter(locked=False, links__isnull=True).count()
    assert orphans
    assert matching.articles_match_sweep()["pruned"] == orphans
    assert not Proposition.objects.filter(locked=False, links__isnull=True).exists()


def test_a_proposition_merged_away_cannot_be_merged_again(demo_matched):
    editor = UserFactory()
    first, second, third = Proposition.objects.order_by("id")[:3]
    target = propositions.propositions_merge(propositions=[first, second], user=editor)
    merged_away = ({first, second} - {target}).pop()
    # The caller's copy is stale (read before the merge): the service reads again.
    with pytest.raises(propositions.DecisionError, match="already been merged"):
        propositions.propositions_merge(propositions=[merged_away, third], user=editor)
    assert not ClaimLink.objects.filter(proposition=merged_away).exists()


def test_the_stored_text_vector_ranks_as_the_text_itself(demo_matched):
    """PostgreSQL: candidates come from the stored vector of migration 0012. It must hold
    exactly to_tsvector('english', text) — kept current when a claim's text changes — and
    rank candidates as ranking the text itself (the query it replaced) does."""
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
    from django.db import connection

    from claims.candidates import _search_words, claim_candidates
    from tests.conftest import require

    require(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    edited = Claim.objects.first()
    Claim.objects.filter(pk=edited.pk).update(text="Lighthouse keepers denied the merger.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim WHERE search_vector IS DISTINCT "
                       "FROM to_tsvector('english', COALESCE(text, ''))")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT search_vector::text FROM claims_claim WHERE id = %s",
                       [edited.pk])
        assert "lighthous" in cursor.fetchone()[0]
    compared = 0
    for claim in Claim.objects.select_related("article")[:15]:
        words = _search_words(claim.bears_on)
        query = SearchQuery(" OR ".join(words), search_type="websearch", config="english")
        vector = SearchVector("text", config="english")
        expected = list(Claim.objects.exclude(article_id=claim.article_id)
                        .filter(kind__in=Claim.MATCHABLE_KINDS)
                        .annotate(v=vector).filter(v=query)
                        .annotate(rank=SearchRank(vector, query)).order_by("-rank", "id")
                        .values_list("id", flat=True)[:20])
        # Every word (rows=0); the rare words are held to it in test_candidates_scale.py.
        assert [c.pk for c in claim_candidates(claim, 20, rows=0)] == expected
        compared += bool(expected)
    assert compared >= 10
