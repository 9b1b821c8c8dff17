"""Review dates kept on import: Snopes records carry theirs, PolitiFact's are in the review URL
(``/factchecks/2019/oct/30/``; the record's own date says when the claim was made). A record
whose date is found nowhere stays undated rather than wrongly dated; older imports are
backfilled by ``backfill_factcheck_dates``."""

from __future__ import annotations

import io
import json
from datetime import date
from itertools import islice

import pytest
from django.core.management import call_command

from claims.factchecks import (
    date_from_review_url,
    factchecks_save,
    record_from_claimreview,
    record_from_vclaim,
)
from claims.models import FactCheck
from tests.conftest import SHARED_DATA, require_data

POLITIFACT = SHARED_DATA / "retrieval" / "politifact" / "vclaims.jsonl"
SNOPES = SHARED_DATA / "retrieval" / "snopes" / "vclaims.jsonl"


def records(path, count=None):
    with require_data(path).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in islice(handle, count)]


def test_politifact_records_take_the_review_date_from_their_url_and_keep_the_claim_date():
    first = records(POLITIFACT, 1)[0]
    assert first["date"].startswith("stated on October 22, 2019")  # the claim's, not ours
    record = record_from_vclaim(first)
    assert record.reviewed_on == date(2019, 10, 30)  # /factchecks/2019/oct/30/
    assert record.claim_date == first["date"]


def test_every_real_politifact_record_is_dated_by_its_url():
    dated = [(record_from_vclaim(obj), obj["url"]) for obj in records(POLITIFACT)]
    assert len(dated) == 19_250
    assert all(record.reviewed_on is not None for record, _ in dated)
    sample = dated[1234]
    year, month, day = sample[1].split("/")[2:5]
    assert sample[0].reviewed_on.strftime("%Y/%b/%d").lower() == f"{year}/{month}/{int(day):02}"


def test_snopes_records_keep_their_own_date_and_undated_ones_stay_empty():
    snopes = records(SNOPES)
    first = record_from_vclaim(snopes[0])
    assert (snopes[0]["date"], first.reviewed_on) == ("26 May 2015", date(2015, 5, 26))
    assert first.claim_date == ""  # the date was the review's, not the claim's
    undated = next(obj for obj in snopes if not obj["date"])
    assert record_from_vclaim(undated).reviewed_on is None
    # A scraping slip: prose where the date should be is no date at all.
    prose = next(obj for obj in snopes if obj["date"].startswith("Not surprisingly"))
    assert record_from_vclaim(prose).reviewed_on is None
    squeezed = next(obj for obj in snopes if obj["date"] == "21February 2009")
    assert record_from_vclaim(squeezed).reviewed_on == date(2009, 2, 21)


def test_snopes_page_urls_become_the_record_url():
    with_page = next(obj for obj in records(SNOPES) if obj.get("page_url"))
    assert record_from_vclaim(with_page).url == with_page["page_url"]


@pytest.mark.parametrize("url, expected", [
    ("/factchecks/2019/oct/30/gaydonna-vandergriff/x/", date(2019, 10, 30)),
    ("https://www.politifact.com/factchecks/2008/sep/2/joe-biden/x/", date(2008, 9, 2)),
    ("https://www.politifact.com/factchecks/2019/feb/30/nobody/x/", None),  # no such day
    ("https://www.politifact.com/factchecks/1789/jul/14/nobody/x/", None),  # no fact-check
    ("https://www.politifact.com/factchecks/2019/foo/10/nobody/x/", None),
    ("https://www.snopes.com/fact-check/shark-highway/", None),
    ("", None),
])
def test_it_reads_the_review_date_from_a_politifact_url_or_none(url, expected):
    assert date_from_review_url(url) == expected


def test_a_claimreview_without_date_published_is_dated_by_its_politifact_url():
    item = {"@type": "ClaimReview", "claimReviewed": "Crime fell by 10%.",
            "url": "https://www.politifact.com/factchecks/2020/jan/07/someone/crime/",
            "reviewRating": {"alternateName": "False"}}
    assert record_from_claimreview(item).reviewed_on == date(2020, 1, 7)
    item["datePublished"] = "2020-01-08"  # the publisher's own word wins
    assert record_from_claimreview(item).reviewed_on == date(2020, 1, 8)


@pytest.mark.django_db
def test_importing_the_real_files_keeps_the_dates(tmp_path):
    path = tmp_path / "vclaims.jsonl"
    lines = [json.dumps(obj) for obj in records(POLITIFACT, 30) + records(SNOPES, 30)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("import_factchecks", str(path), no_progress=True)
    politifact = FactCheck.objects.filter(publisher="PolitiFact")
    assert politifact.count() == 30
    assert not politifact.filter(reviewed_on__isnull=True).exists()
    assert FactCheck.objects.get(external_id="vclaim-pol-00000").reviewed_on == date(2019, 10,
                                                                                    30)


@pytest.mark.django_db
def test_the_backfill_dates_what_older_imports_left_empty_and_nothing_else():
    real = records(POLITIFACT, 2)
    saved = [record_from_vclaim(obj) for obj in real]
    for record in saved:
        record.reviewed_on = None  # as imported before the URL was read
    undatable = record_from_vclaim({"vclaim_id": "vclaim-sno-x", "vclaim": "A shark swam down "
                                    "a flooded highway.", "date": ""})
    factchecks_save([*saved, undatable])
    assert FactCheck.objects.filter(reviewed_on__isnull=True).count() == 3

    out = io.StringIO()
    call_command("backfill_factcheck_dates", stdout=out)
    assert "2 of 3 undated fact-checks dated; 1 have no date" in out.getvalue()
    assert FactCheck.objects.get(external_id="vclaim-pol-00000").reviewed_on == date(2019, 10,
                                                                                    30)
    assert FactCheck.objects.get(external_id="vclaim-pol-00001").reviewed_on == date(2019, 10,
                                                                                    29)
    assert FactCheck.objects.get(external_id="vclaim-sno-x").reviewed_on is None

    again = io.StringIO()
    call_command("backfill_factcheck_dates", stdout=again)
    assert "0 of 1 undated" in again.getvalue()
