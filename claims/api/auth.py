"""API tokens: one per client, with scopes, hashed at rest; throttling per token."""

from __future__ import annotations

import hmac

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.throttling import SimpleRateThrottle

from claims.clients import PREFIX_RE, TOKEN_PREFIX, token_hash
from claims.models import ApiClient

# last_used_at is written at most this often per client (seconds): a busy client would
# otherwise write a row on every request.
LAST_USED_RESOLUTION = 60

class ClientUser(AnonymousUser):
    """``request.user`` for a token request: authenticated as the client, never staff, no
    model permissions (``has_perm`` stays False), so nothing of the admin opens to it."""

    def __init__(self, client: ApiClient) -> None:
        super().__init__()
        self.client = client
        self.username = f"api:{client.name}"

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.username


def client_of(request) -> ApiClient | None:
    return getattr(request.user, "client", None)


def has_scope(request, scope: str) -> bool:
    client = client_of(request)
    return client is not None and client.has_scope(scope)


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer ct_<prefix>_<secret>``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, token = header.partition(" ")
        if keyword.lower() not in ("bearer", "token"):
            return None
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX) or token.count("_") < 2:
            raise exceptions.AuthenticationFailed("Malformed token: expected ct_<id>_<secret>.")
        prefix = token[len(TOKEN_PREFIX):].split("_", 1)[0]
        # 8 hex digits (client_create): nothing else reaches the database (a NUL byte cannot).
        if not PREFIX_RE.fullmatch(prefix):
            raise exceptions.AuthenticationFailed("Unknown token.")
        client = ApiClient.objects.filter(key_prefix=prefix).first()
        if client is None or not hmac.compare_digest(client.key_hash, token_hash(token)):
            raise exceptions.AuthenticationFailed("Unknown token.")
        if not client.active:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        now = timezone.now()
        if client.last_used_at is None or \
                (now - client.last_used_at).total_seconds() > LAST_USED_RESOLUTION:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        return ClientUser(client), client

    def authenticate_header(self, request):
        return self.keyword  # makes DRF answer 401 (not 403) to a request without credentials


class ClientRateThrottle(SimpleRateThrottle):
    """Per token at the client's own rate; per user for sessions; per address otherwise."""

    scope = "anon"

    def allow_request(self, request, view):
        client = client_of(request)
        if client is not None:
            self.rate = client.throttle_rate
        elif request.user and request.user.is_authenticated:
            self.rate = self.THROTTLE_RATES["user"]
        else:
            self.rate = self.THROTTLE_RATES["anon"]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        return None  # set per request in allow_request

    def get_cache_key(self, request, view):
        client = client_of(request)
        if client is not None:
            ident = f"client:{client.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"addr:{self.get_ident(request)}"
        return f"throttle:{ident}"


class TokenScheme(OpenApiAuthenticationExtension):
    """Describes the token in the OpenAPI schema (a bearer token)."""

    target_class = "claims.api.auth.TokenAuthentication"
    name = "token"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "ct_<id>_<secret>",
                "description": "An API client's token (admin → API clients). Scopes: read, "
                               "submit."}
