"""One error shape for every API error:

    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"text": ["…"]}}}
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from claims.api.bodies import BODY_METHODS


def error_body(status_code: int, code: str, message: str, fields=None) -> dict:
    body = {"status": status_code, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            text = _first_message(value)
            return text if key == "non_field_errors" else f"{key}: {text}"
        return "Invalid input."
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Invalid input."
    return str(detail)


# Validation codes specific enough to act on are passed up; the rest are "invalid".
SPECIFIC_CODES = {"markup_in_text"}


def _validation_code(fields) -> str:
    for messages in fields.values():
        for message in messages if isinstance(messages, list) else [messages]:
            if getattr(message, "code", None) in SPECIFIC_CODES:
                return message.code
    return "invalid"


def too_large(length: int | None = None) -> Response:
    limit = settings.CLAIMTRACK_API_MAX_BODY_BYTES
    size = f"{length:,} bytes" if length else "larger than allowed"
    return api_error(413, "too_large", f"The request body is {size}; the API takes at most "
                     f"{limit:,} bytes (an article's text may be at most "
                     f"{settings.CLAIMTRACK_ARTICLE_MAX_BYTES:,} bytes).")


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        # Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE): otherwise its HTML 400.
        return too_large()
    if isinstance(exc, SuspiciousOperation):
        # Django's other request limits (too many form fields or files) and the like.
        return api_error(400, "invalid", "The request was refused: " + (
            str(exc) or "it breaks one of the server's limits."))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's handler (and logging) take it
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    if isinstance(exc, exceptions.ValidationError):
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        body = error_body(response.status_code, _validation_code(fields),
                          _first_message(fields), fields)
    else:
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        body = error_body(response.status_code, str(code), _first_message(detail))
    response.data = body
    return response


def api_error(status_code: int, code: str, message: str, fields=None) -> Response:
    return Response(error_body(status_code, code, message, fields), status=status_code)


# CSRF-exempt: it changes nothing, and otherwise a POST or DELETE to an unknown API path (say
# /api/v1/claims/1.5/) got the CSRF middleware's HTML 403 instead of this 404.
@csrf_exempt
def not_found_json(request, exception=None):
    """404 for unknown /api/ paths, in the same shape (Django's handler404 for the API)."""
    return JsonResponse(error_body(404, "not_found", "No such endpoint."),
                        status=status.HTTP_404_NOT_FOUND)


# --- the error shape in the OpenAPI schema ---------------------------------------------------


@extend_schema_field({
    "type": "object",
    "additionalProperties": {"anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "description": "A list's or a nested object's messages, by index "
                                          "or by name."},
    ]},
})
class FieldErrorsField(serializers.DictField):
    """The messages per field; a list field's are keyed by the index of the bad item."""


class ApiErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="Stable, for programs: not_authenticated, "
                                 "authentication_failed, permission_denied, not_found, invalid, "
                                 "not_utf8, markup_in_text, empty, duplicate, too_large, "
                                 "length_required, throttled, …")
    message = serializers.CharField(help_text="For people.")
    fields = FieldErrorsField(required=False,
                              help_text="Invalid input: the messages per field (or parameter).")


class ApiErrorSerializer(serializers.Serializer):
    """Every error answer of the API (``error_body``)."""

    error = ApiErrorDetailSerializer()


# What each error status means, wherever it is documented.
ERROR_DESCRIPTIONS = {
    400: "Invalid input: a filter value, the body or one of its fields (see error.fields); "
         "not_utf8: the body is not valid UTF-8.",
    401: "No valid credentials: a token is needed here, or the one sent is malformed, "
         "unknown or revoked.",
    403: "The token does not have the scope this needs.",
    404: "No such row visible to you (drafts are never found), or a cursor that is not one "
         "of ours.",
    411: "length_required: the body was sent chunked; send it with a Content-Length.",
    415: "The body is not JSON, form or multipart data, or declares a charset other than "
         "UTF-8.",
    429: "Over the client's rate (anonymous readers: the per-address rate); Retry-After says "
         "after how many seconds to ask again.",
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the errors every operation can answer with, in the one
    error shape: clients (and schemathesis) can rely on the schema for the 4xx answers too.

    Which statuses: any request with a bad token gets 401 and any client can be throttled
    (429); a detail can be 404; a list with filters or search 400 and, for a foreign cursor,
    404; a write 400, 403 (scope) and 415, and 411 where it takes a body; a read 403 too where
    the view sets ``reads_need_scope``. A status an operation documents itself
    (``extend_schema``) is kept as it is, unless it was declared without a body.
    """

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error_ref = self.resolve_serializer(ApiErrorSerializer, "response").ref
        responses = operation["responses"]
        for code in sorted(self._error_statuses()):
            documented = responses.get(str(code))
            if documented is not None and "content" in documented:
                continue
            own = (documented or {}).get("description", "")
            description = own if own and own != "No response body" else ERROR_DESCRIPTIONS[code]
            response = {"description": description,
                        "content": {"application/json": {"schema": error_ref}}}
            if code == 429:
                response["headers"] = {"Retry-After": {
                    "schema": {"type": "integer"}, "required": True,
                    "description": "Seconds to wait before the next request."}}
            responses[str(code)] = response
        if self.method == "GET" and getattr(self.view, "conditional_requests", False):
            responses.setdefault("304", {"description": "Not modified: the ETag sent in "
                                         "If-None-Match, or nothing since If-Modified-Since."})
        return operation

    def _error_statuses(self) -> set[int]:
        codes = {401, 429}
        detail = "{" in self.path
        if detail:
            codes.add(404)
        if self.method in SAFE_METHODS:
            if getattr(self.view, "action", None) == "list":
                codes.add(404)  # a cursor that is not one of ours
                if self.view.filter_backends:
                    codes.add(400)  # a filter value, or a NUL in the search terms
            if getattr(self.view, "reads_need_scope", False):
                codes.add(403)
        else:
            codes |= {400, 403, 415}
            if self.method in BODY_METHODS:
                codes.add(411)  # a chunked body (claims.api.bodies)
        return codes


def server_error(request, *args, **kwargs):
    """handler500: API paths answer in the API's error shape; the rest as Django does."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(500, "server_error", "Something went wrong on our side; "
                                       "it has been logged."), status=500)
    from django.views.defaults import server_error as django_server_error

    return django_server_error(request, *args, **kwargs)
