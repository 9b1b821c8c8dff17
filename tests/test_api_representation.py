"""The claim representation built directly (ClaimSerializer.to_representation) equals DRF's
field-by-field walk over the declared fields — the ones the OpenAPI schema describes — on
claims with every part filled and on claims with none."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils.http import quote_etag
from rest_framework import serializers

from claims import review
from claims.api.serializers import ClaimSerializer
from claims.api.views import claim_queryset, visibility
from claims.models import Claim, ClaimLink, Proposition
from claims.publishing import claims_attach
from claims.roles import EDITOR, FACT_CHECKER
from tests.factories import ClaimFactory, desk_user, publish_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich():
    checker, editor = desk_user("checker", FACT_CHECKER), desk_user("editor", EDITOR)
    editor2 = desk_user("editor2", EDITOR)
    claim = publish_claim(ClaimFactory(checkworthiness=0.73, negated=True), checker=checker,
                          editor=editor)
    claim = review.claim_correct(claim=claim, user=editor, verdict="mostly_false",
                                 rationale="Recounted: 38.", note="The port recounted.")
    review.claim_correction_approve(claim=claim, user=editor2)
    other = publish_claim(ClaimFactory(claimant=None), checker=checker, editor=editor)
    draft = ClaimFactory()
    for target, relation, score in ((other, "supports", 0.7), (draft, "contradicts", 0.6)):
        ClaimLink.objects.create(claim=claim, target_claim=target, relation=relation,
                                 score=score, method="test")
    ClaimLink.objects.create(claim=other, target_claim=claim, relation="supports", score=0.9,
                             method="test")  # the same pair from the other side, higher
    ClaimLink.objects.create(claim=draft, target_claim=other, relation="contradicts",
                             score=0.5, method="test", status="rejected")
    for score in (0.4, 0.8):
        ClaimLink.objects.create(claim=claim, proposition=Proposition.objects.create(text="p"),
                                 relation="supports", score=score, method="test")
    return [claim, other, draft]


@pytest.mark.parametrize("audience", ["public", "desk"])
def test_the_direct_representation_equals_drfs(rich, audience):
    if audience == "desk":
        request = SimpleNamespace(user=desk_user("desk", EDITOR))
        claims = list(claim_queryset(request).order_by("id"))
    else:
        request = SimpleNamespace(user=AnonymousUser())
        claims = list(claim_queryset(request).order_by("id"))
    assert len(claims) == (3 if audience == "desk" else 2)
    claims_attach(claims)
    serializer = ClaimSerializer(context={"request": None, "visible": visibility(request)})
    for claim in claims:
        fast = serializer.to_representation(claim)
        walked = serializers.ModelSerializer.to_representation(serializer, claim)
        assert fast == dict(walked)
        assert list(fast) == list(walked)  # the same order of keys too
    main = serializer.to_representation(claims[0])
    # The parts are really there: corrected versions, evidence, both sides, the proposition.
    assert len(main["verdicts"]) == 2 and main["verdicts"][0]["corrected_at"]
    assert main["evidence"] and main["proposition"] is not None
    assert [r["id"] for r in main["related"]["supports"]] == [claims[1].pk]
    assert main["related"]["supports"][0]["score"] == 0.9
    if audience == "public":
        assert main["related"]["contradicts"] == []


def test_a_list_attaches_once_and_a_single_claim_by_itself(rich, django_assert_num_queries):
    request = SimpleNamespace(user=AnonymousUser())
    serializer = ClaimSerializer(context={"request": None, "visible": visibility(request)})
    one = Claim.objects.select_related("claimant", "article__source").get(pk=rich[0].pk)
    with django_assert_num_queries(5):
        serializer.to_representation(one)
    many = ClaimSerializer(claim_queryset(request), many=True,
                           context={"request": None, "visible": visibility(request)})
    with django_assert_num_queries(6):  # the page, then five for all of its claims
        assert len(many.data) == 2


def test_a_json_etag_hashes_the_bytes_sent_and_the_browsable_api_has_its_own(rich):
    staff = Client()
    staff.force_login(desk_user("desk", EDITOR))
    path = f"/api/v1/claims/{rich[0].pk}/"
    as_json = staff.get(path, HTTP_ACCEPT="application/json")
    again = staff.get(path, HTTP_ACCEPT="application/json")
    as_html = staff.get(path, HTTP_ACCEPT="text/html")
    assert as_json.status_code == as_html.status_code == 200
    # Rendered once: the tag is the hash of the very body sent, stable while it stays.
    assert as_json["ETag"] == quote_etag(hashlib.sha256(
        b"application/json\n" + as_json.content).hexdigest()[:32])
    assert again.content == as_json.content and again["ETag"] == as_json["ETag"]
    assert as_html["ETag"] != as_json["ETag"]
    # Each format answers 304 to its own tag only.
    assert staff.get(path, HTTP_ACCEPT="text/html",
                     HTTP_IF_NONE_MATCH=as_html["ETag"]).status_code == 304
    assert staff.get(path, HTTP_ACCEPT="text/html",
                     HTTP_IF_NONE_MATCH=as_json["ETag"]).status_code == 200
    # The body changes: so does the tag.
    Claim.objects.filter(pk=rich[0].pk).update(rationale="Recounted twice: 37.")
    changed = staff.get(path, HTTP_ACCEPT="application/json")
    assert changed.content != as_json.content and changed["ETag"] != as_json["ETag"]
