"""The API per persona: anonymous, read token, submit token, desk staff. Drafts never leak;
writes need the right token; errors share one shape; bad submissions leave nothing behind."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from claims import review
from claims.api.auth import client_create
from claims.models import Article, Claim, ClaimLink, Proposition
from claims.roles import EDITOR, FACT_CHECKER, roles_ensure
from tests.factories import ArticleFactory, ClaimFactory, UserFactory, desk_user, publish_claim

pytestmark = pytest.mark.django_db

STORY = ("The harbour master said on Monday that the port handled 40 ships in a single day. "
         "The shipping company denied that it had cut wages.")


def publish(claim, verdict="false"):
    checker = desk_user(f"checker-{claim.pk}", FACT_CHECKER)
    editor = desk_user(f"editor-{claim.pk}", EDITOR)
    return publish_claim(claim, checker=checker, editor=editor, verdict=verdict)


@pytest.fixture
def claims(db):
    published = publish(ClaimFactory(kind=Claim.Kind.ALLEGATION))
    in_review = ClaimFactory()
    review.claim_take(claim=in_review, user=Claim.objects.get(pk=published.pk).assigned_to)
    new = ClaimFactory()
    return {"published": published, "in_review": Claim.objects.get(pk=in_review.pk),
            "new": new}


@pytest.fixture
def personas(db):
    _, read = client_create(name="reader", scopes=["read"])
    _, submit = client_create(name="submitter", scopes=["submit"])
    _, other_submit = client_create(name="other submitter", scopes=["submit"])
    staff = UserFactory(username="desk", is_staff=True)
    staff.groups.add(roles_ensure()[EDITOR])
    staff_client = Client()
    staff_client.force_login(staff)
    return {
        "anonymous": Client(),
        "read": Client(HTTP_AUTHORIZATION=f"Bearer {read}"),
        "submit": Client(HTTP_AUTHORIZATION=f"Bearer {submit}"),
        "other_submit": Client(HTTP_AUTHORIZATION=f"Bearer {other_submit}"),
        "staff": staff_client,
    }


def ids(response):
    return {row["id"] for row in response.json()["results"]}


# --- reading claims ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "read", "submit"])
def test_outside_the_desk_only_published_claims_are_listed(personas, claims, who):
    response = personas[who].get("/api/v1/claims/")
    assert response.status_code == 200
    assert ids(response) == {claims["published"].pk}


def test_desk_staff_see_claims_in_every_state(personas, claims):
    assert ids(personas["staff"].get("/api/v1/claims/")) == {c.pk for c in claims.values()}


@pytest.mark.parametrize("who", ["anonymous", "read", "submit"])
@pytest.mark.parametrize("state", ["in_review", "new"])
def test_a_draft_is_not_found_outside_the_desk(personas, claims, who, state):
    pk = claims[state].pk
    for path in (f"/api/v1/claims/{pk}/", f"/api/v1/claims/{pk}/claimreview/", f"/claims/{pk}/"):
        response = personas[who].get(path)
        assert response.status_code == 404, path
        assert claims[state].text not in response.content.decode()


def test_a_published_claim_carries_its_verdict_evidence_and_article(personas, claims):
    claim = claims["published"]
    body = personas["anonymous"].get(f"/api/v1/claims/{claim.pk}/").json()
    assert body["verdict"] == {"value": "false", "label": "False", "rating_value": 1,
                               "best_rating": 6, "worst_rating": 1}
    assert body["rationale"] == "The port's log shows 31 ships."
    assert body["evidence"] == [{"url": "https://records.example.org/log",
                                 "note": "The daily log", "stance": "refutes"}]
    assert body["article"]["source"]["name"] == claim.article.source.name
    assert body["claimant"]["name"] == claim.claimant.name
    assert body["claimreview_url"].endswith(f"/api/v1/claims/{claim.pk}/claimreview/")


def test_related_claims_list_only_published_ones(personas, claims):
    published, draft = claims["published"], claims["new"]
    other = publish(ClaimFactory())
    ClaimLink.objects.create(claim=published, target_claim=other, relation="supports",
                             score=0.7, method="test")
    ClaimLink.objects.create(claim=draft, target_claim=published, relation="contradicts",
                             score=0.6, method="test")
    body = personas["anonymous"].get(f"/api/v1/claims/{published.pk}/").json()
    assert [r["id"] for r in body["related"]["supports"]] == [other.pk]
    assert body["related"]["contradicts"] == []  # the draft's link stays inside the desk
    staff = personas["staff"].get(f"/api/v1/claims/{published.pk}/").json()
    assert [r["id"] for r in staff["related"]["contradicts"]] == [draft.pk]


def test_filters_for_verdict_kind_dates_and_incremental_sync(personas, claims):
    anonymous = personas["anonymous"]
    true_claim = publish(ClaimFactory(kind=Claim.Kind.DENIAL), verdict="true")
    assert ids(anonymous.get("/api/v1/claims/", {"verdict": "true"})) == {true_claim.pk}
    assert ids(anonymous.get("/api/v1/claims/", {"kind": "allegation"})) == {
        claims["published"].pk}
    newest = Claim.objects.get(pk=true_claim.pk).updated_at
    assert ids(anonymous.get("/api/v1/claims/", {"updated_since": newest.isoformat()})) == {
        true_claim.pk}
    assert ids(anonymous.get("/api/v1/claims/", {"source": true_claim.article.source_id})) == {
        true_claim.pk}
    bad = anonymous.get("/api/v1/claims/", {"updated_since": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


def test_search_ordering_and_cursor_pages(personas, claims):
    for _ in range(4):
        publish(ClaimFactory())
    anonymous = personas["anonymous"]
    first = anonymous.get("/api/v1/claims/", {"page_size": 2, "ordering": "id"}).json()
    assert [r["id"] for r in first["results"]] == sorted(r["id"] for r in first["results"])
    second = anonymous.get(first["next"]).json()
    assert not set(ids_of(first)) & set(ids_of(second))
    found = anonymous.get("/api/v1/claims/", {"search": claims["published"].text[:30]})
    assert claims["published"].pk in ids(found)


def ids_of(page):
    return [row["id"] for row in page["results"]]


# --- conditional requests ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/claims/", "detail", "/api/v1/claimreview/"])
def test_etags_and_last_modified_answer_304(personas, claims, path):
    path = f"/api/v1/claims/{claims['published'].pk}/" if path == "detail" else path
    anonymous = personas["anonymous"]
    first = anonymous.get(path)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    assert anonymous.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert anonymous.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    # A change to the claim changes both.
    Claim.objects.filter(pk=claims["published"].pk).update(rationale="Revised.")
    assert anonymous.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


# --- ClaimReview ------------------------------------------------------------------------------


def test_claimreview_has_googles_required_fields_and_the_claimant(personas, claims):
    claim = claims["published"]
    response = personas["anonymous"].get(f"/api/v1/claims/{claim.pk}/claimreview/")
    assert response["Content-Type"].startswith("application/ld+json")
    data = response.json()
    assert data["@type"] == "ClaimReview" and data["claimReviewed"] == claim.text
    assert data["reviewRating"]["alternateName"] == "False"
    assert data["reviewRating"]["ratingValue"] == 1
    assert data["reviewRating"]["worstRating"] >= 1
    assert data["itemReviewed"]["@type"] == "Claim"
    assert data["itemReviewed"]["author"]["name"] == claim.claimant.name
    assert data["itemReviewed"]["appearance"]["url"] == claim.article.url
    assert data["url"].endswith(f"/claims/{claim.pk}/")
    # The public page it points at exists and carries the same data.
    page = personas["anonymous"].get(f"/claims/{claim.pk}/")
    assert page.status_code == 200 and "application/ld+json" in page.content.decode()


def test_the_public_page_cannot_be_broken_out_of_by_the_claims_text(personas):
    article = ArticleFactory(text="The mayor said </script><script>alert(1)</script> was false. "
                             "Later text follows here.")
    claim = publish(ClaimFactory(article=article))
    html = personas["anonymous"].get(f"/claims/{claim.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    start = html.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">')
    data = json.loads(html[start:html.index("</script>", start)])
    assert data["claimReviewed"] == claim.text


# --- propositions and fact-checks -------------------------------------------------------------


def test_propositions_show_only_published_members(personas, claims):
    proposition = Proposition.objects.create(text="Ships")
    for claim, relation in ((claims["published"], "supports"), (claims["new"], "contradicts")):
        ClaimLink.objects.create(claim=claim, proposition=proposition, relation=relation,
                                 score=0.9, method="test")
    hidden = Proposition.objects.create(text="Only drafts")
    ClaimLink.objects.create(claim=claims["in_review"], proposition=hidden,
                             relation="supports", score=0.9, method="test")
    body = personas["anonymous"].get("/api/v1/propositions/").json()
    assert [p["id"] for p in body["results"]] == [proposition.pk]
    members = body["results"][0]["members"]
    assert [m["id"] for m in members["supports"]] == [claims["published"].pk]
    assert members["contradicts"] == []
    assert personas["anonymous"].get(f"/api/v1/propositions/{hidden.pk}/").status_code == 404


# --- writes and auth --------------------------------------------------------------------------


@pytest.mark.parametrize("who, code", [("anonymous", 401), ("read", 403), ("submit", 403),
                                       ("staff", 403)])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_one_writes_claims_through_the_api(personas, claims, who, code, method):
    pk = claims["published"].pk
    path = "/api/v1/claims/" if method == "post" else f"/api/v1/claims/{pk}/"
    response = getattr(personas[who], method)(path, data={"status": "dismissed"},
                                              content_type="application/json")
    assert response.status_code in (code, 405)
    assert response.json()["error"]["status"] == response.status_code
    assert Claim.objects.get(pk=pk).status == Claim.Status.PUBLISHED


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ct_deadbeef_wrong",
                                    "Bearer ct_"])
def test_a_bad_token_is_refused_with_401(db, header):
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/claims/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] in ("authentication_failed", "not_authenticated")


def test_a_revoked_token_is_refused(db):
    client, token = client_create(name="old", scopes=["read"])
    client.active = False
    client.save()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/claims/").status_code == 401


def submit(who_client, **body):
    body.setdefault("title", "Quay news")
    body.setdefault("source", "Harbour Times")
    return who_client.post("/api/v1/articles/", data=json.dumps(body),
                           content_type="application/json")


@pytest.mark.parametrize("who, code", [("anonymous", 401), ("read", 403), ("staff", 403),
                                       ("submit", 202)])
def test_only_a_submit_token_submits_articles(personas, who, code):
    response = submit(personas[who], text=STORY)
    assert response.status_code == code
    assert Article.objects.exists() == (code == 202)
    if code == 202:
        body = response.json()
        assert response["Location"] == body["status_url"]
        assert body["state"] in ("pending", "processing", "done")


def test_the_submitter_follows_its_article_and_no_one_else_does(personas):
    response = submit(personas["submit"], text=STORY)
    status_url = response.json()["status_url"]
    assert personas["submit"].get(status_url).status_code == 200
    assert personas["other_submit"].get(status_url).status_code == 404
    assert personas["read"].get(status_url).status_code == 404
    assert personas["anonymous"].get(status_url).status_code == 401
    assert personas["staff"].get(status_url).status_code == 200


@pytest.mark.parametrize("body, code, error", [
    ({"text": "too short"}, 400, "empty"),
    ({"text": STORY, "url": "http://127.0.0.1/admin/"}, 400, "invalid"),
    ({"text": STORY, "url": "http://169.254.169.254/latest/meta-data/"}, 400, "invalid"),
    ({"text": STORY, "html": "<p>both</p>"}, 400, "invalid"),
    ({}, 400, "invalid"),
    ({"text": STORY + ' <script>alert("x")</script>'}, 400, "markup_in_text"),
    ({"text": STORY + ' <img src=x onerror="alert(1)">'}, 400, "markup_in_text"),
    ({"text": STORY, "published_at": "last Tuesday"}, 400, "invalid"),
])
def test_bad_submissions_get_a_clear_4xx_and_leave_nothing(personas, body, code, error):
    response = submit(personas["submit"], **body)
    assert response.status_code == code, response.content
    assert response.json()["error"]["code"] == error
    assert response.json()["error"]["message"]
    assert not Article.objects.exists()


def test_a_duplicate_submission_is_a_conflict_pointing_at_the_first(personas):
    first = submit(personas["submit"], text=STORY).json()
    again = submit(personas["submit"], text=STORY.upper())
    assert again.status_code == 409
    assert again.json()["error"]["fields"]["existing"] == [first["status_url"]]
    assert Article.objects.count() == 1
    # Another client learns it is a duplicate, not where the first one is.
    elsewhere = submit(personas["other_submit"], text=STORY)
    assert elsewhere.status_code == 409 and "fields" not in elsewhere.json()["error"]


def test_html_submissions_drop_scripts(personas):
    html = ("<html><head><title>Ferry</title><script>steal()</script></head><body><article>"
            f"<p>{STORY}</p></article></body></html>")
    response = submit(personas["submit"], html=html)
    assert response.status_code == 202
    assert "steal" not in Article.objects.get().text


def test_megabytes_are_refused_before_parsing(personas, settings):
    settings.CLAIMTRACK_ARTICLE_MAX_BYTES = 10_000
    response = submit(personas["submit"], text="word " * 200_000)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    response = submit(personas["submit"], text=STORY + " more" * 3000)
    assert response.status_code == 413
    assert not Article.objects.exists()


@pytest.mark.parametrize("raw", [b'{"text": "\xff\xfe broken"}', b"{not json", b"[]",
                                 b'{"text": 5}'])
def test_malformed_bodies_get_400_in_the_error_shape(personas, raw):
    response = personas["submit"].post("/api/v1/articles/", data=raw,
                                       content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["error"]) >= {"status", "code", "message"}
    assert not Article.objects.exists()


def test_unknown_api_paths_answer_json_404(personas):
    response = personas["anonymous"].get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_throttling_per_token(db, settings):
    client, token = client_create(name="slow", scopes=["read"], throttle_rate="3/min")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    from django.core.cache import cache
    cache.clear()
    codes = [api.get("/api/v1/claims/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert Client().get("/api/v1/claims/").status_code == 200  # others are not slowed


def test_the_schema_and_docs_are_served(db):
    assert Client().get("/api/v1/schema/").status_code == 200
    assert Client().get("/api/v1/docs/").status_code == 200
