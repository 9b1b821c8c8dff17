"""One error shape for every API error:

    {"error": {"status": 400, "code": "invalid", "message": "…", "fields": {"text": ["…"]}}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


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


def exception_handler(exc, context):
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


def not_found_json(request, exception=None):
    """404 for unknown /api/ paths, in the same shape (Django's handler404 for the API)."""
    return JsonResponse(error_body(404, "not_found", "No such endpoint."),
                        status=status.HTTP_404_NOT_FOUND)
