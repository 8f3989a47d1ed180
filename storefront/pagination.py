"""``?page=`` for the paginated lists."""

from flask import request

MAX_PAGE = 10_000  # past it the offset would overflow PostgreSQL's bigint; nobody pages that far


def page_number() -> int:
    """``?page=`` for a paginated list: from 1 to MAX_PAGE whatever was typed."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
