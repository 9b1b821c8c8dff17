from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Stable pages while rows are added: the cursor encodes a position, not an offset."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-published_at", "-id")


class IdCursor(Cursor):
    """For rows without a publication date: newest first by id."""

    ordering = ("-id",)
