"""API clients managed in the admin: made, shown once, rotated and revoked by admins only."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import ApiClient
from claims.roles import ADMIN, EDITOR
from tests.factories import desk_user

pytestmark = pytest.mark.django_db

ADD = reverse("admin:claims_apiclient_add")
LIST = reverse("admin:claims_apiclient_changelist")
TOKEN = re.compile(r"ct_[0-9a-f]{8}_[A-Za-z0-9_-]+")


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(desk_user("ada", ADMIN))
    return client


def api(token: str) -> int:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/claims/").status_code


def test_an_admin_makes_a_client_and_sees_its_token_once(admin_client):
    response = admin_client.post(ADD, {"name": "Partner Daily", "contact": "dev@partner.test",
                                       "scopes": ["read"], "throttle_rate": "600/min",
                                       "active": "on"}, follow=True)
    assert response.status_code == 200
    tokens = TOKEN.findall(response.content.decode())
    assert len(tokens) == 1
    token = tokens[0]
    client = ApiClient.objects.get(name="Partner Daily")
    assert token not in (client.key_hash, client.key_prefix) and client.scopes == ["read"]
    assert api(token) == 200
    # Shown once: not on the next page, and never in a cookie (messages live in the session).
    assert token not in admin_client.get(LIST).content.decode()
    assert all(token not in morsel.value for morsel in response.client.cookies.values())


def test_rotating_stops_the_old_token_and_revoking_the_client(admin_client):
    admin_client.post(ADD, {"name": "Wire", "scopes": ["submit"], "throttle_rate": "60/min",
                            "active": "on"}, follow=True)
    client = ApiClient.objects.get(name="Wire")
    page = admin_client.post(LIST, {"action": "rotate", "_selected_action": [client.pk]},
                             follow=True).content.decode()
    new = TOKEN.findall(page)[0]
    assert api(new) == 200
    old, new = new, TOKEN.findall(admin_client.post(
        LIST, {"action": "rotate", "_selected_action": [client.pk]},
        follow=True).content.decode())[0]
    assert api(old) == 401 and api(new) == 200
    admin_client.post(LIST, {"action": "revoke", "_selected_action": [client.pk]})
    assert api(new) == 401


def test_a_bad_throttle_rate_is_refused_in_words(admin_client):
    response = admin_client.post(ADD, {"name": "Bad", "scopes": ["read"],
                                       "throttle_rate": "lots", "active": "on"})
    assert response.status_code == 200 and "600/min" in response.content.decode()
    assert not ApiClient.objects.exists()


def test_editors_do_not_manage_api_clients():
    editor = Client()
    editor.force_login(desk_user("eddie", EDITOR))
    assert editor.get(ADD).status_code == 403
    assert editor.get(LIST).status_code == 403
    editor.post(ADD, {"name": "Sneaky", "scopes": ["submit"], "throttle_rate": "600/min"})
    assert not ApiClient.objects.exists()
