from datetime import UTC, datetime

from django.core.exceptions import FieldDoesNotExist, ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor as CursorPosition
from rest_framework.pagination import CursorPagination

# Database ids and integers are 64-bit: a position outside cannot be bound (PostgreSQL "bigint
# out of range").
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


class Cursor(CursorPagination):
    """Stable pages while rows are added: the cursor encodes a position, not an offset.

    The position comes back from the client, so it is checked before it reaches a query: a
    value the ordering field cannot hold (``p=garbage``, a date with a UTC offset PostgreSQL
    refuses, a number past 64 bits) answers 404 "Invalid cursor" instead of a server error.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-published_at", "-id")

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        name = self.ordering[0].lstrip("-")
        try:
            field = self._model._meta.get_field(name)
            value = field.to_python(cursor.position)
            if isinstance(value, datetime):
                value = (value if value.tzinfo else value.replace(tzinfo=UTC)
                         ).astimezone(UTC).isoformat()
            elif isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
                raise ValueError("out of range")
        except (FieldDoesNotExist, ValidationError, ValueError, OverflowError, TypeError):
            raise NotFound(self.invalid_cursor_message) from None
        if value is None:
            raise NotFound(self.invalid_cursor_message)
        return CursorPosition(offset=cursor.offset, reverse=cursor.reverse, position=str(value))


class IdCursor(Cursor):
    """For rows without a publication date: newest first by id."""

    ordering = ("-id",)
