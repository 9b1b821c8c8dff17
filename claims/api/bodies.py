"""How the API's write endpoints read a request body: UTF-8 only, with a Content-Length.

DRF's form and multipart parsers hand the body to Django's, which decode with
``errors="replace"`` (invalid bytes, raw or percent-encoded like ``text=%FF%FE``, would become
U+FFFD). Here every body is checked as bytes before it is parsed, and every decoded escape
after, so all three content types refuse what is not UTF-8 alike: 400 ``not_utf8``, nothing
stored.

A body sent chunked (``Transfer-Encoding``, no ``Content-Length``) is read as empty by Django
under WSGI and ASGI alike; it is refused with 411 rather than read from the server's stream
past Django: the article endpoint refuses an oversized body by its Content-Length before
reading a byte, and a chunked body would slip past that check.
"""

from __future__ import annotations

import codecs
import io
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, parsers, status
from rest_framework.parsers import get_encoding


class NotUtf8(exceptions.ParseError):
    default_code = "not_utf8"

    def __init__(self, where: str):
        super().__init__(f"The request body is not valid UTF-8 ({where}): send it encoded "
                         "as UTF-8.")


class LengthRequired(exceptions.APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_code = "length_required"
    default_detail = ("The request body was sent without a Content-Length (chunked), and is "
                      "read only with one: send the body with its Content-Length.")


def _require_utf8_charset(parser_context) -> None:
    """A body that declares another charset is refused, not decoded as UTF-8 (its bytes would
    be read wrongly) nor in that charset (what is stored is UTF-8 by contract)."""
    charset = get_encoding(parser_context or {})  # DRF's: refuses codecs that are not text
    if codecs.lookup(charset).name not in ("utf-8", "ascii"):
        raise exceptions.UnsupportedMediaType(
            charset, detail=f'The body declares charset "{charset}"; the API reads UTF-8 '
            "only (send charset=utf-8, or no charset).")


def _read(stream) -> bytes:
    """The whole body, at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes. Multipart file parts are
    outside Django's limit, which counts field data only; no endpoint here takes files, so the
    limit counts the whole body (a 413 in the error shape, by ``errors.exception_handler``)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
    return raw


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8(f"byte {exc.start}") from None


class Utf8JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _require_utf8_charset(parser_context)
        raw = _read(stream)
        _decode(raw)  # DRF's own message would be a JSON parse error naming a codec
        return super().parse(io.BytesIO(raw), media_type, parser_context)


class Utf8FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _require_utf8_charset(parser_context)
        raw = _read(stream)
        text = _decode(raw)  # raw bytes, in a name or a value
        data = super().parse(io.BytesIO(raw), media_type, parser_context)  # Django's limits
        try:
            # Percent-escapes (text=%FF%FE) decode to bytes; the QueryDict above replaced the
            # invalid ones. The field count is within Django's limit once it is built.
            parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise NotUtf8("a %-escaped name or value") from None
        return data


class Utf8MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _require_utf8_charset(parser_context)
        raw = _read(stream)
        # All of it: names, values, file names and file contents alike (no endpoint takes
        # files). Django would replace bytes in a value and drop a part whose header has them.
        text = _decode(raw)
        parsed = super().parse(io.BytesIO(raw), media_type, parser_context)
        # Django decodes two encodings of its own with errors="replace": base64 parts
        # (Content-Transfer-Encoding) and RFC 2231 names (name*=UTF-8''%FF). The body is valid
        # UTF-8 by now, so a U+FFFD beyond those it carries was made by a replacement. (A
        # U+FFFD sent base64-encoded is refused too; RFC 7578 has senders use neither.)
        decoded = [*parsed.data, *parsed.files]
        decoded += [value for _, values in parsed.data.lists() for value in values]
        decoded += [upload.name or "" for _, uploads in parsed.files.lists()
                    for upload in uploads]
        if sum(value.count("\ufffd") for value in decoded) > text.count("\ufffd"):
            raise NotUtf8("an encoded part or name")
        return parsed


PARSERS = [Utf8JSONParser, Utf8FormParser, Utf8MultiPartParser]

# The methods whose body a view reads.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class RequestBodyMixin:
    """For every API view that takes a body (``tests/test_api_bodies.py`` fails on one
    without it): the UTF-8 parsers, and 411 for a chunked body."""

    parser_classes = PARSERS

    def initial(self, request, *args, **kwargs):
        # After authentication and permissions: who may not write learns nothing more here.
        super().initial(request, *args, **kwargs)
        meta = request.META
        if (request.method in BODY_METHODS and "HTTP_TRANSFER_ENCODING" in meta
                and not meta.get("CONTENT_LENGTH")):
            raise LengthRequired()
