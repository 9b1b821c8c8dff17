"""Extraction's database work: the statements an article costs do not grow with its
claimants, and claimants are resolved in bulk with their aliases merged and an empty role
filled, as each claimant was resolved one by one before.

Runs on SQLite and, with DATABASE_URL pointing at it, on PostgreSQL (the concurrent test
only there).
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from claims import engine, extraction, ingestion
from claims.models import Article, Claim, Claimant
from tests.conftest import require

# Fifteen people, no two sharing a surname (the engine takes one surname for one person).
PEOPLE = ["Anna Berg", "Tomas Lind", "Maria Holm", "Erik Sand", "Karin Dahl", "Johan Ek",
          "Lena Strand", "Per Nyberg", "Sofia Lund", "Nils Falk", "Ida Wall", "Oskar Moberg",
          "Elsa Roos", "Axel Sjoberg", "Greta Hedlund"]
OTHER_PEOPLE = ["Hanna Bergman", "Viktor Lindqvist", "Julia Holmberg", "Emil Sandberg",
                "Alva Dahlgren", "Hugo Ekberg", "Maja Strandberg", "Leo Nyqvist",
                "Ella Lundin", "Olle Falkman", "Saga Wallin", "Arvid Moback",
                "Tilda Roslund", "Melker Sjodin", "Stina Hedman"]
CLAIMS = 15


def story(people: list[str], speakers: int, tag: str) -> str:
    """Fifteen claims, said in turn by the first ``speakers`` of ``people``."""
    return " ".join(
        f"{people[i % speakers]}, the mayor of Portvik, said on Monday that the port will "
        f"close in March {tag}{i}." for i in range(CLAIMS))


def extract_counting(text: str) -> int:
    """Statements that extracting a new article with this text sends to the database."""
    article = ingestion.article_create(prepared=ingestion.article_prepare(
        title=text[:40], source_name="Harbour Courier", text=text))
    with CaptureQueriesContext(connection) as queries:
        outcome = extraction.article_process(article_id=article.pk)
    assert outcome.status == "done" and outcome.created == CLAIMS
    assert Claim.objects.filter(article=article, claimant__isnull=False).count() == CLAIMS
    return len(queries)


@pytest.mark.django_db
def test_it_extracts_an_article_of_fifteen_new_claimants_in_the_statements_of_three():
    three = extract_counting(story(OTHER_PEOPLE, 3, "a"))
    fifteen = extract_counting(story(PEOPLE, 15, "b"))
    assert Claimant.objects.count() == 18
    assert fifteen == three


@pytest.mark.django_db
def test_it_extracts_an_article_of_fifteen_stored_claimants_in_the_statements_of_three():
    extract_counting(story(OTHER_PEOPLE, 3, "a"))
    extract_counting(story(PEOPLE, 15, "b"))
    # The same people again: every claimant stored, and nothing about them changes.
    three = extract_counting(story(OTHER_PEOPLE, 3, "c"))
    fifteen = extract_counting(story(PEOPLE, 15, "d"))
    assert Claimant.objects.count() == 18
    assert fifteen == three


def ref(name: str, *, role: str = "", aliases=(), kind: str = "person") -> engine.ClaimantRef:
    return engine.ClaimantRef(name=name, role=role, aliases=tuple(aliases), kind=kind)


@pytest.mark.django_db
def test_it_creates_a_new_claimant_with_the_aliases_and_role_of_all_its_mentions():
    found = extraction.claimants_resolve([
        ref("The Port Authority", aliases=["the authority"], kind="organisation"),
        ref("the port authority", role="Harbour operator", aliases=["PA"]),
        None, ref(""),  # no claimant, an unresolved pronoun: nothing stored for them
    ])
    assert list(found) == ["port authority"]
    stored = Claimant.objects.get()
    assert found["port authority"].pk == stored.pk
    assert (stored.name, stored.key, stored.kind, stored.role, stored.family, stored.aliases) == (
        "The Port Authority", "port authority", "organisation", "Harbour operator",
        "port authority", ["PA", "the authority"])


@pytest.mark.django_db
def test_it_merges_aliases_and_fills_an_empty_role_of_stored_claimants():
    lavrov = Claimant.objects.create(name="Sergey Lavrov", key="sergey lavrov",
                                     aliases=["Lavrov"], kind="person")
    mayor = Claimant.objects.create(name="Anna Berg", key="anna berg", role="Mayor",
                                    aliases=["Berg", "the mayor"], kind="person")
    found = extraction.claimants_resolve([
        ref("Sergey Lavrov", role="Foreign Minister", aliases=["the minister", "Lavrov"]),
        ref("Anna Berg", role="Finance minister", aliases=["Anna"]),
    ])
    lavrov.refresh_from_db()
    mayor.refresh_from_db()
    assert (lavrov.aliases, lavrov.role) == (["Lavrov", "the minister"], "Foreign Minister")
    assert (mayor.aliases, mayor.role) == (["Anna", "Berg", "the mayor"], "Mayor")  # kept
    assert found["sergey lavrov"].aliases == lavrov.aliases
    assert found["anna berg"].role == "Mayor"


@pytest.mark.django_db
def test_it_sorts_stored_aliases_that_were_not_sorted():
    Claimant.objects.create(name="Anna Berg", key="anna berg", aliases=["the mayor", "Berg"])
    extraction.claimants_resolve([ref("Anna Berg", aliases=["Berg"])])
    assert Claimant.objects.get().aliases == ["Berg", "the mayor"]


@pytest.mark.django_db
def test_it_neither_locks_nor_writes_a_stored_claimant_that_nothing_changes():
    Claimant.objects.create(name="Anna Berg", key="anna berg", role="Mayor",
                            aliases=["Berg"], kind="person")
    with CaptureQueriesContext(connection) as queries:
        found = extraction.claimants_resolve([ref("Anna Berg", role="Minister",
                                                  aliases=["Berg"])])
    assert found["anna berg"].role == "Mayor"
    assert not [q["sql"] for q in queries if "UPDATE" in q["sql"].upper()]
    assert len(queries) == 1  # the read


@pytest.mark.django_db
def test_it_resolves_any_number_of_claimants_in_as_many_statements():
    def statements(names: list[str]) -> int:
        refs = [ref(name, aliases=["new"]) for name in names]
        with CaptureQueriesContext(connection) as first:
            extraction.claimants_resolve(refs)  # all new: read, insert
        refs = [ref(name, role="Mayor", aliases=["newer"]) for name in names]
        with CaptureQueriesContext(connection) as again:
            extraction.claimants_resolve(refs)  # all enriched: read, locked read, update
        return len(first), len(again)

    assert statements(PEOPLE[:2]) == statements(PEOPLE[2:]) == statements(OTHER_PEOPLE)
    assert Claimant.objects.filter(role="Mayor", aliases=["new", "newer"]).count() == 30


@pytest.mark.django_db
def test_a_claimant_stored_meanwhile_by_another_worker_is_used_and_enriched(monkeypatch):
    insert = extraction._claimants_insert

    def raced(claimants):
        # Another worker stores one of the keys between this one's read and its insert.
        Claimant.objects.create(name="Tomas Lind", key="tomas lind", aliases=["Lind"])
        return insert(claimants)

    monkeypatch.setattr(extraction, "_claimants_insert", raced)
    found = extraction.claimants_resolve([
        ref("Tomas Lind", role="Union leader", aliases=["the leader"]), ref("Anna Berg")])
    stored = Claimant.objects.get(key="tomas lind")
    assert found["tomas lind"].pk == stored.pk
    assert (stored.aliases, stored.role) == (["Lind", "the leader"], "Union leader")
    assert Claimant.objects.filter(key="anna berg").exists()
    assert Claimant.objects.count() == 2


@pytest.mark.django_db
def test_insert_skips_keys_already_stored_and_returns_the_others_with_ids():
    Claimant.objects.create(name="Anna Berg", key="anna berg", role="Mayor")
    inserted = extraction._claimants_insert([
        Claimant(name="Anna Berg", key="anna berg", role="Impostor"),
        Claimant(name="Tomas Lind", key="tomas lind", aliases=["Lind"])])
    assert list(inserted) == ["tomas lind"]
    assert inserted["tomas lind"].pk == Claimant.objects.get(key="tomas lind").pk
    assert Claimant.objects.get(key="anna berg").role == "Mayor"
    assert Claimant.objects.get(key="tomas lind").aliases == ["Lind"]


@pytest.mark.django_db
def test_a_reextraction_still_keeps_the_claims_an_editor_touched():
    text = story(PEOPLE, 5, "e")
    article = ingestion.article_create(prepared=ingestion.article_prepare(
        title="Portvik", source_name="Harbour Courier", text=text))
    assert extraction.article_process(article_id=article.pk).status == "done"
    touched = Claim.objects.filter(article=article).order_by("start").first()
    Claim.objects.filter(pk=touched.pk).update(status=Claim.Status.IN_REVIEW, stale=True)
    Article.objects.filter(pk=article.pk).update(state=Article.State.PENDING)
    outcome = extraction.article_process(article_id=article.pk)
    assert (outcome.status, outcome.created, outcome.kept) == ("done", CLAIMS - 1, 1)
    touched.refresh_from_db()
    assert touched.status == Claim.Status.IN_REVIEW and not touched.stale


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_resolves_of_the_same_new_claimants_store_each_once_with_all_aliases():
    require(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    from tests.test_concurrency_services import run_together

    def resolve(alias):
        def job():
            with transaction.atomic():
                return extraction.claimants_resolve(
                    [ref(name, aliases=[alias]) for name in PEOPLE])
        return job

    for round_number in range(3):
        results = run_together(resolve(f"first {round_number}"),
                               resolve(f"second {round_number}"))
        assert all(isinstance(r, dict) and len(r) == len(PEOPLE) for r in results), results
        assert results[0]["anna berg"].pk == results[1]["anna berg"].pk
    assert Claimant.objects.count() == len(PEOPLE)
    wanted = [f"{who} {n}" for n in range(3) for who in ("first", "second")]
    for claimant in Claimant.objects.all():
        assert claimant.aliases == sorted(wanted), claimant
