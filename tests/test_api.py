"""The API per persona: anonymous, read token, submit token, desk staff. Drafts never leak;
writes need the right token; errors share one shape; bad submissions leave nothing behind."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils.http import http_date

from claims import propositions, review
from claims.clients import client_create
from claims.models import Article, Claim, ClaimLink, Proposition
from claims.roles import EDITOR, FACT_CHECKER, REPORTER, roles_ensure
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


def test_a_reporter_signed_in_sees_what_the_public_sees(personas, claims):
    """Reporters list claims in the admin but may not read a review (rationale, evidence):
    the API shows them published claims only."""
    reporter = Client()
    reporter.force_login(desk_user("reporter", REPORTER))
    assert ids(reporter.get("/api/v1/claims/")) == {claims["published"].pk}
    assert reporter.get(f"/api/v1/claims/{claims['in_review'].pk}/").status_code == 404


def test_staff_pages_through_drafts_without_a_publication_date(personas, claims):
    for _ in range(3):
        ClaimFactory()
    staff, seen, page = personas["staff"], [], "/api/v1/claims/?page_size=2"
    while page:
        response = staff.get(page)
        assert response.status_code == 200, response.content
        seen += ids_of(response.json())
        page = response.json()["next"]
    assert sorted(seen) == sorted(Claim.objects.values_list("pk", flat=True))


@pytest.mark.parametrize("who", ["anonymous", "staff"])
@pytest.mark.parametrize("ordering", ["checkworthiness", "-checkworthiness", "published_at",
                                      "updated_at", "-id"])
def test_every_ordering_pages_to_the_end(personas, claims, who, ordering):
    """Cursor pages start after the last row's ordering value: an ordering that can be null
    is not offered (it was a 500 on the second page), and an unknown one falls back."""
    for number in range(4):
        publish(ClaimFactory(checkworthiness=None if number % 2 else 0.5))
    client, seen = personas[who], []
    page = f"/api/v1/claims/?page_size=2&ordering={ordering}"
    while page:
        response = client.get(page)
        assert response.status_code == 200, response.content
        seen += ids_of(response.json())
        page = response.json()["next"]
    expected = Claim.objects.all() if who == "staff" else Claim.objects.filter(
        status=Claim.Status.PUBLISHED)
    assert sorted(seen) == sorted(expected.values_list("pk", flat=True))


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


@pytest.fixture
def clock(monkeypatch):
    """The API's clock for Last-Modified, moved by hand: ``clock.now`` in seconds."""
    from claims.api import views

    moment = SimpleNamespace(now=1_800_000_000.25)
    monkeypatch.setattr(views, "clock", lambda: moment.now)
    return moment


def conditional(client, path, response):
    """(status of If-None-Match, status of If-Modified-Since) with the response's validators."""
    return (client.get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code,
            client.get(path, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code)


@pytest.mark.parametrize("path", ["/api/v1/claims/", "detail", "/api/v1/claimreview/",
                                  "/api/v1/claims/?verdict=false", "proposition"])
def test_etags_and_last_modified_answer_304(personas, claims, clock, path):
    proposition = Proposition.objects.create(text="Ships", first_claim=claims["published"])
    ClaimLink.objects.create(claim=claims["published"], proposition=proposition,
                             relation="supports", score=0.9, method="test")
    path = {"detail": f"/api/v1/claims/{claims['published'].pk}/",
            "proposition": f"/api/v1/propositions/{proposition.pk}/"}.get(path, path)
    anonymous = personas["anonymous"]
    seen = anonymous.get(path)
    assert seen.status_code == 200 and seen["ETag"] and seen["Last-Modified"]
    assert seen["Last-Modified"] == http_date(1_800_000_000)
    # Nothing was known of this URL before: the date may be shared with an earlier body
    # (HTTP dates count seconds), so only the ETag answers 304 for it ...
    assert conditional(anonymous, path, seen) == (304, 200)
    clock.now += 1
    # ... until a request in a later second dates it exactly.
    first = anonymous.get(path)
    assert first["Last-Modified"] == http_date(1_800_000_001) and first["ETag"] == seen["ETag"]
    assert conditional(anonymous, path, first) == (304, 304)
    # Another claim published: the lists change, the details do not.
    publish(ClaimFactory(kind=Claim.Kind.QUOTE))
    clock.now += 1
    listed = path.split("?")[0] in ("/api/v1/claims/", "/api/v1/claimreview/")
    assert conditional(anonymous, path, first) == ((200, 200) if listed else (304, 304))


def test_last_modified_sees_changes_that_touch_no_row_of_the_body(personas, claims, clock):
    """A claim joining a proposition, and leaving it, changes the claim's body but none of
    its rows' timestamps."""
    published, anonymous = claims["published"], personas["anonymous"]
    proposition = Proposition.objects.create(text="Ships", first_claim=published)
    link = ClaimLink.objects.create(claim=published, proposition=proposition,
                                    relation="supports", score=0.9, method="test")
    paths = (f"/api/v1/claims/{published.pk}/", "/api/v1/claims/",
             f"/api/v1/propositions/{proposition.pk}/")
    for path in paths:
        anonymous.get(path)
    clock.now += 5
    before = {path: anonymous.get(path) for path in paths[:2]}
    assert all(conditional(anonymous, path, r) == (304, 304) for path, r in before.items())
    clock.now += 5
    ClaimLink.objects.filter(pk=link.pk).update(status=ClaimLink.Status.REJECTED,
                                                updated_at=link.updated_at)
    assert anonymous.get(paths[2]).status_code == 404
    for path, response in before.items():
        assert conditional(anonymous, path, response) == (200, 200), path
        now = anonymous.get(path)
        assert now["Last-Modified"] == http_date(1_800_000_010)
        assert conditional(anonymous, path, now) == (304, 304)


def test_two_changes_within_a_second_are_never_a_stale_304(personas, claims, clock):
    anonymous, published = personas["anonymous"], claims["published"]
    path = f"/api/v1/claims/{published.pk}/"
    anonymous.get(path)
    clock.now += 3  # 1_800_000_003.25
    Claim.objects.filter(pk=published.pk).update(rationale="First revision.")
    copy = anonymous.get(path)  # the first change in its second: dated exactly
    assert conditional(anonymous, path, copy) == (304, 304)
    clock.now += 0.5  # the same second
    Claim.objects.filter(pk=published.pk).update(rationale="Second revision.")
    again = anonymous.get(path)
    assert again["Last-Modified"] == copy["Last-Modified"]  # HTTP dates have no finer grain
    assert conditional(anonymous, path, copy) == (200, 200)  # ... yet the copy is stale
    clock.now += 1  # a later second: the body is dated anew and exact again
    fresh = anonymous.get(path)
    assert fresh["Last-Modified"] == http_date(1_800_000_004)
    assert conditional(anonymous, path, fresh) == (304, 304)


def test_staff_and_the_public_have_their_own_dates(personas, claims, clock):
    path = "/api/v1/claims/"
    public = personas["anonymous"].get(path)
    clock.now += 2
    desk = personas["staff"].get(path)
    assert desk["ETag"] != public["ETag"]
    assert desk["Last-Modified"] != public["Last-Modified"]
    assert "Cookie" in public["Vary"] and "Authorization" in public["Vary"]


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


def test_a_proposition_first_seen_in_a_draft_shows_none_of_its_words(personas, claims):
    draft = ClaimFactory(text="The minister secretly sold the lighthouse to a casino.")
    published = claims["published"]
    proposition = Proposition.objects.create(text=draft.text, first_claim=draft,
                                             first_seen_at="2020-01-01T00:00:00Z")
    for claim in (draft, published):
        ClaimLink.objects.create(claim=claim, proposition=proposition, relation="supports",
                                 score=0.9, method="test")
    for who in ("anonymous", "read"):
        body = personas[who].get(f"/api/v1/propositions/{proposition.pk}/").json()
        assert body["text"] == published.text
        assert body["first_seen_at"] != "2020-01-01T00:00:00Z"
        listed = personas[who].get("/api/v1/propositions/").content.decode()
        assert "casino" not in listed and "2020-01-01" not in listed
        assert ids(personas[who].get("/api/v1/propositions/", {"search": "casino"})) == set()
        assert ids(personas[who].get("/api/v1/propositions/",
                                     {"search": published.text.split()[1]})) == {proposition.pk}
    staff = personas["staff"].get(f"/api/v1/propositions/{proposition.pk}/").json()
    assert staff["text"] == draft.text
    assert ids(personas["staff"].get("/api/v1/propositions/", {"search": "casino"})) == {
        proposition.pk}
    # Once its first claim is published, the proposition speaks in its own words.
    publish(draft)
    body = personas["anonymous"].get(f"/api/v1/propositions/{proposition.pk}/").json()
    assert body["text"] == draft.text and not body["first_seen_at"].startswith("2020-01-01")


def test_a_propositions_date_is_its_earliest_published_members(personas, claims):
    """Matching lowers a proposition's stored date to its earliest member's, drafts included:
    outside the desk, only published members date it."""
    from datetime import timedelta

    published = claims["published"]
    draft = claims["new"]
    Article.objects.filter(pk=draft.article_id).update(
        published_at=published.article.published_at - timedelta(days=400))
    proposition = Proposition.objects.create(text=published.text, first_claim=published,
                                             first_seen_at="2020-01-01T00:00:00Z")
    for claim in (published, draft):
        ClaimLink.objects.create(claim=claim, proposition=proposition, relation="supports",
                                 score=0.9, method="test")
    body = personas["anonymous"].get(f"/api/v1/propositions/{proposition.pk}/").json()
    published.article.refresh_from_db()
    assert body["first_seen_at"][:19] == published.article.published_at.strftime(
        "%Y-%m-%dT%H:%M:%S")
    staff = personas["staff"].get(f"/api/v1/propositions/{proposition.pk}/").json()
    assert staff["first_seen_at"].startswith("2020-01-01")


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
    # Another client learns it is a duplicate, not where the first one is, nor its number.
    elsewhere = submit(personas["other_submit"], text=STORY)
    assert elsewhere.status_code == 409 and "fields" not in elsewhere.json()["error"]
    assert str(first["id"]) not in elsewhere.json()["error"]["message"]


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


def test_a_body_over_djangos_own_limit_is_a_json_413(personas, settings):
    """Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE by itself (an HTML 400 before);
    the default limits agree, so only a lowered Django limit reaches this."""
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= settings.CLAIMTRACK_API_MAX_BODY_BYTES
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    response = submit(personas["submit"], text=STORY * 40)
    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "too_large"
    assert not Article.objects.exists()


def test_an_article_at_the_limit_is_accepted(personas, settings):
    """An article just under the text limit whose JSON escapes make the body several times
    larger than Django's default limit (2.5 MiB)."""
    limit = settings.CLAIMTRACK_ARTICLE_MAX_BYTES
    line = "Le comité a déclaré que « la récolte » était réduite de 40 %. "
    text = line * ((limit - 1000) // len(line.encode()))
    body = json.dumps({"text": text, "title": "Long", "source": "Le Quotidien"}).encode()
    assert len(body) > 2_621_440
    response = personas["submit"].post("/api/v1/articles/", data=body,
                                       content_type="application/json")
    assert response.status_code == 202, response.content[:300]


@pytest.mark.parametrize("length", ["abc", "-5", "1e9"])
def test_a_nonsense_content_length_is_a_4xx(personas, length):
    response = personas["submit"].post("/api/v1/articles/", data=json.dumps({"text": STORY}),
                                       content_type="application/json", CONTENT_LENGTH=length)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"]
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


def test_anonymous_throttling_ignores_a_forged_forwarded_for(db, monkeypatch):
    """Without proxies declared (CLAIMTRACK_API_NUM_PROXIES), X-Forwarded-For is the client's
    own say: a new value per request must not be a new allowance."""
    from claims.api.auth import ClientRateThrottle

    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES",
                        {**ClientRateThrottle.THROTTLE_RATES, "anon": "2/min"})
    codes = [Client(HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").get("/api/v1/claims/").status_code
             for n in range(3)]
    assert codes == [200, 200, 429]


def test_the_schema_and_docs_are_served(db):
    assert Client().get("/api/v1/schema/").status_code == 200
    assert Client().get("/api/v1/docs/").status_code == 200


def cursor(**tokens) -> str:
    from base64 import b64encode
    from urllib.parse import urlencode

    return b64encode(urlencode(tokens).encode()).decode()


@pytest.mark.parametrize("path, ordering, position", [
    ("/api/v1/claims/", "", "garbage"),
    ("/api/v1/claims/", "", "None"),
    ("/api/v1/claims/", "id", "abc"),
    ("/api/v1/claims/", "id", str(2**70)),
    ("/api/v1/claims/", "-updated_at", "9999-12-31T23:59:59-05:00"),
    ("/api/v1/claimreview/", "", "zz"),
    ("/api/v1/propositions/", "", "abc"),
    ("/api/v1/factchecks/", "", "1.5.6"),
])
def test_a_forged_cursor_is_a_404_in_the_error_shape(personas, claims, path, ordering,
                                                     position):
    params = {"cursor": cursor(p=position)}
    if ordering:
        params["ordering"] = ordering
    response = personas["anonymous"].get(path, params)
    assert response.status_code == 404, response.content[:300]
    assert response.json()["error"]["message"] == "Invalid cursor"


def test_a_cursor_time_in_any_utc_offset_is_compared_in_utc(personas, claims):
    """Python takes offsets to ±23:59, PostgreSQL to ±15:59: a position is passed on in UTC."""
    response = personas["anonymous"].get("/api/v1/claims/",
                                         {"cursor": cursor(p="2026-01-01T00:00:00-19:23")})
    assert response.status_code == 200


def test_a_cursor_of_ours_still_pages(personas, claims):
    for _ in range(3):
        publish(ClaimFactory())
    first = personas["anonymous"].get("/api/v1/claims/", {"page_size": 2}).json()
    second = personas["anonymous"].get(first["next"])
    assert second.status_code == 200 and ids_of(second.json())


@pytest.mark.parametrize("ordering", ["-updated_at", "updated_at", "id", "-id",
                                      "reviewed_on", "-reviewed_on"])
def test_fact_checks_page_to_the_end_in_every_ordering(personas, ordering):
    from datetime import date

    from claims.models import FactCheck

    for n in range(5):
        FactCheck.objects.create(external_id=f"fc-{n}", origin="vclaims",
                                 claim_reviewed=f"Statement {n}", verdict="false",
                                 reviewed_on=date(2024, 1, n + 1) if n % 2 else None)
    seen, page = [], f"/api/v1/factchecks/?page_size=2&ordering={ordering}"
    while page:
        response = personas["anonymous"].get(page)
        assert response.status_code == 200, response.content
        seen += ids_of(response.json())
        page = response.json()["next"]
    assert sorted(seen) == sorted(FactCheck.objects.values_list("pk", flat=True))


def test_djangos_request_limits_answer_in_the_error_shape(personas):
    fields = "&".join(f"f{n}=x" for n in range(1200))  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = personas["submit"].post("/api/v1/articles/", data=fields,
                                       content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "invalid"
    assert not Article.objects.exists()


@pytest.mark.parametrize("token", ["ct_a\x00b_secret", "ct_ZZZZZZZZ_secret",
                                   "ct_" + "a" * 300 + "_x"])
def test_a_token_of_the_wrong_shape_is_a_401(db, token):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/claims/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_server_error_on_an_api_path_answers_json(db, monkeypatch):
    from claims.api import views

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.FactCheckViewSet, "list", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/factchecks/")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert response.json()["error"] == {"status": 500, "code": "server_error", "message":
                                        "Something went wrong on our side; it has been logged."}
    assert "boom" not in response.content.decode()


def test_a_failed_articles_reason_names_no_internals(personas):
    from claims import extraction

    status_url = submit(personas["submit"], text=STORY).json()["status_url"]
    article = Article.objects.get()
    Article.objects.filter(pk=article.pk).update(state=Article.State.PROCESSING)
    extraction.article_fail(article_id=article.pk, reason="Extraction error: KeyError: "
                          "'/srv/claimtrack/engine/lexicon.py secret'", engine_version="x")
    body = personas["submit"].get(status_url).json()
    assert body["state"] == "failed" and "extraction engine failed" in body["error"]
    assert "KeyError" not in body["error"] and "/srv" not in body["error"]


def test_only_the_date_the_api_gave_answers_304(personas, claims, clock):
    path = f"/api/v1/claims/{claims['published'].pk}/"
    anonymous = personas["anonymous"]
    anonymous.get(path)
    clock.now += 1
    dated = anonymous.get(path)
    assert conditional(anonymous, path, dated) == (304, 304)
    for later in (http_date(1_800_000_002), "Fri, 01 Jan 2100 00:00:00 GMT"):
        # A later date (a client's clock, another server's) says nothing of the body it holds.
        assert anonymous.get(path, HTTP_IF_MODIFIED_SINCE=later).status_code == 200


def test_parameters_the_view_does_not_read_share_the_urls_date(personas, claims, clock):
    anonymous = personas["anonymous"]
    anonymous.get("/api/v1/claims/", {"kind": "allegation"})
    clock.now += 1
    dated = anonymous.get("/api/v1/claims/", {"kind": "allegation"})
    clock.now += 5
    junk = anonymous.get("/api/v1/claims/", {"kind": "allegation", "utm_source": "x"})
    assert junk["Last-Modified"] == dated["Last-Modified"] and junk["ETag"] == dated["ETag"]


def test_json_and_the_browsable_api_have_their_own_etags(personas, claims):
    staff = personas["staff"]
    as_json = staff.get("/api/v1/claims/", HTTP_ACCEPT="application/json")
    as_html = staff.get("/api/v1/claims/", HTTP_ACCEPT="text/html")
    assert as_html.status_code == 200 and as_json["ETag"] != as_html["ETag"]
    assert "Accept" in as_json["Vary"] and "Cookie" in as_json["Vary"]


def test_related_claims_and_members_say_whether_an_editor_confirmed_them(personas, claims):

    published = claims["published"]
    other, third = publish(ClaimFactory()), publish(ClaimFactory())
    suggested = ClaimLink.objects.create(claim=published, target_claim=other,
                                         relation="supports", score=0.7, method="test")
    decided = ClaimLink.objects.create(claim=published, target_claim=third,
                                       relation="supports", score=0.6, method="test")
    propositions.link_decide(link=decided, user=desk_user("ed", EDITOR), status="confirmed")
    proposition = Proposition.objects.create(text=published.text, first_claim=published)
    ClaimLink.objects.create(claim=published, proposition=proposition, relation="supports",
                             score=0.9, method="test")
    body = personas["anonymous"].get(f"/api/v1/claims/{published.pk}/").json()
    assert {r["id"]: r["confirmed"] for r in body["related"]["supports"]} == {
        other.pk: False, third.pk: True}
    members = personas["anonymous"].get(f"/api/v1/propositions/{proposition.pk}/").json()
    assert [m["confirmed"] for m in members["members"]["supports"]] == [False]
    propositions.link_decide(link=suggested, user=desk_user("ed2", EDITOR), status="rejected")
    body = personas["anonymous"].get(f"/api/v1/claims/{published.pk}/").json()
    assert [r["id"] for r in body["related"]["supports"]] == [third.pk]
