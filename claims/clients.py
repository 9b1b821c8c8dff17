"""API clients: made with a token shown once, rotated; tokens are hashed at rest."""

from __future__ import annotations

import hashlib
import re
import secrets

from django.db import transaction

from claims.models import ApiClient

TOKEN_PREFIX = "ct_"


PREFIX_RE = re.compile(r"[0-9a-f]{8}")


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def client_create(*, name: str, scopes, created_by=None, contact: str = "",
                  throttle_rate: str = "600/min") -> tuple[ApiClient, str]:
    """Make a client and its token. The token is returned once and never stored."""
    unknown = set(scopes) - set(ApiClient.Scope.values)
    if unknown or not scopes:
        raise ValueError(f"Scopes must be among {ApiClient.Scope.values}; got {sorted(scopes)}.")
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    client = ApiClient.objects.create(
        name=name, contact=contact, key_prefix=prefix, key_hash=token_hash(token),
        scopes=sorted(set(scopes)), created_by=created_by, throttle_rate=throttle_rate)
    return client, token


@transaction.atomic
def client_rotate(*, client: ApiClient) -> str:
    """A new token for the client; the old one stops working at once."""
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    ApiClient.objects.filter(pk=client.pk).update(key_prefix=prefix, key_hash=token_hash(token))
    client.refresh_from_db()
    return token
