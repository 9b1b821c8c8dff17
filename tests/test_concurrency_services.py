"""Races on a real PostgreSQL: concurrent submissions and concurrent processing.

Skipped without PostgreSQL; under REQUIRE_SERVICES=1 (CI) they fail instead.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from claims import engine, extraction, ingestion
from claims.errors import DuplicateArticle
from claims.models import Article, Claimant
from tests.conftest import require

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

STORY = ("Russian Foreign Minister Sergey Lavrov said on Monday that Moscow had no plans to "
         "attack Ukraine. The Kremlin denied that 100,000 troops were massed at the border.")


@pytest.fixture(autouse=True)
def postgresql():
    require(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")


def run_together(*jobs):
    """Run the jobs in threads released at once; return their results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def runner(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_simultaneous_submissions_of_one_article_store_it_once():
    def submit():
        return ingestion.article_ingest(title="Lavrov", source_name="Eastern Wire", text=STORY,
                                       url="https://eastern.example/lavrov")

    results = run_together(submit, submit, submit)
    stored = [r for r in results if isinstance(r, Article)]
    duplicates = [r for r in results if isinstance(r, DuplicateArticle)]
    assert len(stored) == 1 and len(duplicates) == 2, results
    assert Article.objects.count() == 1


def test_two_new_outlets_sharing_a_domain_are_both_stored():
    def submit(name, path):
        return lambda: ingestion.article_ingest(
            title=name, source_name=name, text=f"{STORY} Story {path}.",
            url=f"https://shared.example/{path}")

    results = run_together(submit("Shared Morning", "a"), submit("Shared Evening", "b"))
    assert all(isinstance(r, Article) for r in results), results
    assert Article.objects.count() == 2


def test_concurrent_processing_of_articles_by_the_same_claimants_finishes_both():
    first = ingestion.article_create(prepared=ingestion.article_prepare(
        title="One", source_name="Eastern Wire",
        text="Moscow denied on Monday that it had moved 100,000 troops to the border."))
    second = ingestion.article_create(prepared=ingestion.article_prepare(
        title="Two", source_name="Baltic Morning",
        text="The Kremlin denied on Tuesday that it had moved 100,000 troops to the border."))
    Article.objects.update(state=Article.State.PENDING)

    results = run_together(lambda: extraction.article_process(article_id=first.pk),
                           lambda: extraction.article_process(article_id=second.pk))
    assert all(not isinstance(r, Exception) for r in results), results
    assert set(Article.objects.values_list("state", flat=True)) == {Article.State.DONE}
    assert Claimant.objects.filter(family="russia").exists()


def test_concurrent_alias_merges_into_one_claimant_both_survive():
    def merge(alias, other):
        def job():
            with transaction.atomic():
                refs = [engine.ClaimantRef(name="Sergey Lavrov", role="Foreign Minister",
                                           kind="person", aliases=(alias,)),
                        engine.ClaimantRef(name=other, kind="country")]
                return extraction.claimants_resolve(refs)
        return job

    Claimant.objects.create(name="Sergey Lavrov", key="sergey lavrov", kind="person")
    for round_number in range(5):
        results = run_together(merge(f"Lavrov {round_number}", "Russia"),
                               merge(f"the minister {round_number}", "Ukraine"))
        assert all(isinstance(r, dict) for r in results), results
    aliases = set(Claimant.objects.get(key="sergey lavrov").aliases)
    assert {f"Lavrov {n}" for n in range(5)} | {f"the minister {n}" for n in range(5)} <= aliases
    assert Claimant.objects.filter(key__in=["russia", "ukraine"]).count() == 2
