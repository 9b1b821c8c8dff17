"""The fact-check library: ClaimReview JSON-LD and JSONL records in, bad records reported."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from claims.models import FactCheck
from tests.conftest import SHARED_DATA, require_data

pytestmark = pytest.mark.django_db

CLAIMREVIEW_DIR = SHARED_DATA / "claimreview"


def vclaim(**fields):
    base = {"vclaim_id": "vclaim-pol-90001", "vclaim": "The state cut school funding by 9%.",
            "speaker": "Jane Roe", "truth_label": "mostly-true",
            "date": "stated on May 2, 2019 in a debate:", "title": "Roe on school funding",
            "url": "/factchecks/2019/may/03/jane-roe/school-funding/"}
    return json.dumps({**base, **fields})


def test_it_imports_the_schemaorg_claimreview_examples():
    require_data(CLAIMREVIEW_DIR / "schemaorg_example_1.jsonld")
    examples = sorted(CLAIMREVIEW_DIR.glob("schemaorg_example_*.jsonld"))
    call_command("import_factchecks", *map(str, examples), no_progress=True)
    perry = FactCheck.objects.get(claimant_name="Rich Perry")
    assert perry.claim_reviewed.startswith("More than 3,000 homicides")
    assert (perry.rating_value, perry.best_rating, perry.verdict) == (1.0, 6.0, "True")
    assert perry.reviewed_on.isoformat() == "2014-07-23"
    assert perry.origin == FactCheck.Origin.CLAIMREVIEW
    assert FactCheck.objects.get(claimant_name="Barack Obama").summary.startswith("This claim")


def test_it_imports_jsonl_records_with_publisher_verdict_and_absolute_url(tmp_path):
    path = tmp_path / "vclaims.jsonl"
    path.write_text(vclaim() + "\n" + vclaim(vclaim_id="vclaim-sno-x", vclaim="A shark swam "
                    "down a flooded highway.", truth_label=None, url=None,
                    date="26 May 2015", subtitle="Rumor: a shark on the road.") + "\n",
                    encoding="utf-8")
    call_command("import_factchecks", str(path), no_progress=True)
    roe = FactCheck.objects.get(external_id="vclaim-pol-90001")
    assert (roe.publisher, roe.verdict, roe.claimant_name) == ("PolitiFact", "mostly-true",
                                                               "Jane Roe")
    assert roe.url == "https://www.politifact.com/factchecks/2019/may/03/jane-roe/school-funding/"
    assert roe.claim_date.startswith("stated on May 2, 2019")
    shark = FactCheck.objects.get(external_id="vclaim-sno-x")
    assert shark.publisher == "Snopes" and shark.reviewed_on.isoformat() == "2015-05-26"


def test_reimporting_updates_records_instead_of_duplicating(tmp_path):
    path = tmp_path / "vclaims.jsonl"
    path.write_text(vclaim() + "\n", encoding="utf-8")
    call_command("import_factchecks", str(path), no_progress=True)
    path.write_text(vclaim(truth_label="false") + "\n", encoding="utf-8")
    call_command("import_factchecks", str(path), no_progress=True)
    assert FactCheck.objects.count() == 1
    assert FactCheck.objects.get().verdict == "false"


def test_it_reports_bad_records_and_keeps_the_good_ones(tmp_path, capsys):
    path = tmp_path / "vclaims.jsonl"
    path.write_bytes(b"\n".join([
        vclaim().encode(),
        b"{broken",
        vclaim(vclaim_id="vclaim-pol-2", vclaim="").encode(),
        vclaim(vclaim_id="", vclaim="x").encode(),
        b'{"vclaim_id": "vclaim-pol-3", "vclaim": "Caf\xe9 prices rose."}',
        vclaim(vclaim_id="vclaim-pol-4", vclaim=["not", "text"]).encode(),
        b"[1, 2]",
    ]) + b"\n")
    bad_jsonld = tmp_path / "bad.jsonld"
    bad_jsonld.write_text('{"@type": "ClaimReview", "reviewRating": {"ratingValue": "high"},'
                          ' "claimReviewed": "The moon is cheese."}', encoding="utf-8")
    not_review = tmp_path / "other.jsonld"
    not_review.write_text('{"@type": "NewsArticle", "headline": "x"}', encoding="utf-8")
    with pytest.raises(CommandError, match="1 fact-checks created, 0 updated, 9 failed"):
        call_command("import_factchecks", str(path), str(bad_jsonld), str(not_review),
                     str(tmp_path / "missing.jsonl"), no_progress=True)
    captured = capsys.readouterr()
    messages = captured.out + captured.err
    assert "vclaims.jsonl:2: Not valid JSON" in messages
    assert "vclaims.jsonl:3: The record has no claim text" in messages
    assert "vclaims.jsonl:4: The record has no 'vclaim_id'" in messages
    assert "vclaims.jsonl:5: Not valid UTF-8" in messages
    assert "vclaims.jsonl:6: 'claim' must be text" in messages
    assert "'ratingValue' must be a number" in messages
    assert "No ClaimReview in the document" in messages
    assert FactCheck.objects.count() == 1


def test_editors_browse_the_library_and_html_in_records_is_escaped(client):
    from claims.roles import roles_ensure
    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.groups.add(roles_ensure()["Editors"])
    client.force_login(user)
    FactCheck.objects.create(external_id="x", origin="ours", claim_reviewed="<b>bold</b> claim")
    response = client.get(reverse("admin:claims_factcheck_changelist"))
    assert response.status_code == 200
    assert "&lt;b&gt;bold&lt;/b&gt; claim" in response.content.decode()
    assert client.post(reverse("admin:claims_factcheck_add"), {}).status_code == 403


def test_one_bad_review_in_a_jsonld_file_does_not_hide_the_others(tmp_path):
    path = tmp_path / "page.jsonld"
    path.write_text(json.dumps({"@context": "https://schema.org", "@graph": [
        {"@type": "ClaimReview", "url": "https://checks.example/page",
         "claimReviewed": "Bridges melt in summer.", "author": [{"name": "Checks"}],
         "reviewRating": {"ratingValue": 1, "bestRating": 5, "alternateName": "False"}},
        {"@type": "ClaimReview", "url": "https://checks.example/page",
         "claimReviewed": "Rivers flow uphill.", "reviewRating": "False"},
        {"@type": "ClaimReview", "url": "https://checks.example/page",
         "claimReviewed": "Snow is warm.", "reviewRating": {"ratingValue": "NaN"}},
        {"@type": "ClaimReview", "url": "https://checks.example/page",
         "claimReviewed": "The sea is\u0000 salty.", "raw\u0000key": "x\u0000"},
    ]}), encoding="utf-8")
    with pytest.raises(CommandError, match="2 fact-checks created, 0 updated, 2 failed"):
        call_command("import_factchecks", str(path), no_progress=True)
    assert set(FactCheck.objects.values_list("claim_reviewed", flat=True)) == {
        "Bridges melt in summer.", "The sea is salty."}
    assert FactCheck.objects.get(claim_reviewed__startswith="Bridges").publisher == "Checks"


def test_deeply_nested_json_is_a_reported_error(tmp_path):
    (tmp_path / "deep.jsonl").write_text("[" * 100_000 + "\n", encoding="utf-8")
    (tmp_path / "deep.jsonld").write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(CommandError, match="0 fact-checks created, 0 updated, 2 failed"):
        call_command("import_factchecks", str(tmp_path / "deep.jsonl"),
                     str(tmp_path / "deep.jsonld"), no_progress=True)


def test_only_absolute_http_urls_or_publisher_paths_are_kept(tmp_path):
    path = tmp_path / "v.jsonl"
    path.write_text("\n".join([
        vclaim(vclaim_id="vclaim-pol-1", url='https://a.example/x y"><script>'),
        vclaim(vclaim_id="vclaim-pol-2", url="//evil.example/x"),
        vclaim(vclaim_id="vclaim-pol-3", url="javascript:alert(1)"),
        vclaim(vclaim_id="vclaim-pol-4", url="HTTPS://Checks.example/ok"),
    ]) + "\n", encoding="utf-8")
    call_command("import_factchecks", str(path), no_progress=True)
    urls = dict(FactCheck.objects.values_list("external_id", "url"))
    assert urls["vclaim-pol-1"] == urls["vclaim-pol-2"] == urls["vclaim-pol-3"] == ""
    assert urls["vclaim-pol-4"] == "HTTPS://Checks.example/ok"
