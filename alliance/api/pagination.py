from rest_framework.pagination import CursorPagination


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination: stable and index-friendly on large tables, no OFFSET scans."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "pk"


class PathCursorPagination(DefaultCursorPagination):
    """Alliances page in tree order (the path is unique, so the cursor is stable)."""

    ordering = "path"
