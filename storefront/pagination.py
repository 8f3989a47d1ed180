"""``?page=`` for the short lists, and keyset pages for the long ones (the back office).

A back-office list grows with the shop: ``OFFSET`` reads and throws away every row before the
page, and an exact count reads them all. A keyset page starts after the last row shown
(``?older=<id>``) or before the first (``?newer=<id>``), so every page reads only its own rows off
an index of the list's order; counts stop at ``COUNT_CAP`` ("1,000+").
"""

from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
from flask import request

from .extensions import db

MAX_PAGE = 10_000  # past it the offset would overflow PostgreSQL's bigint; nobody pages that far
COUNT_CAP = 1000


def page_number() -> int:
    """``?page=`` for a paginated list: from 1 to MAX_PAGE whatever was typed."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


@dataclass
class KeysetPage:
    items: list
    older: Optional[int]  # the id to pass as ?older= for the next page, None at the end
    newer: Optional[int]  # the id to pass as ?newer= for the previous page, None at the start


def keyset_page(query, model, time_column, per_page: int, older: Optional[int], newer: Optional[int]) -> KeysetPage:
    """One page of ``query``, newest first by (``time_column``, id): the rows after row ``older``,
    or before row ``newer`` (ids of ``model``), or the newest. Reads ``per_page + 1`` rows off the
    list's index; an anchor that is gone (pruned) gives the newest page."""
    anchor_id = newer if newer is not None else older
    anchor = db.session.execute(sa.select(time_column).where(model.id == anchor_id)).first() if anchor_id else None
    if anchor is None:
        older = newer = None
    if newer is not None:
        at = anchor[0]
        rows = db.session.scalars(
            query.where(sa.tuple_(time_column, model.id) > sa.tuple_(at, newer))
            .order_by(time_column.asc(), model.id.asc())
            .limit(per_page + 1)
        ).all()
        items = list(reversed(rows[:per_page]))
        return KeysetPage(items, items[-1].id if items else None, items[0].id if len(rows) > per_page else None)
    if older is not None:
        at = anchor[0]
        # A row value: both databases read it as one range of the (time, id) index.
        query = query.where(sa.tuple_(time_column, model.id) < sa.tuple_(at, older))
    rows = db.session.scalars(query.order_by(time_column.desc(), model.id.desc()).limit(per_page + 1)).all()
    items = rows[:per_page]
    return KeysetPage(
        items, items[-1].id if len(rows) > per_page else None, items[0].id if items and older is not None else None
    )


def capped_count(query, cap: int = COUNT_CAP) -> int:
    """How many rows ``query`` has, counting no further than ``cap + 1`` (shown as "1,000+")."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.limit(cap + 1).subquery()))


def capped_counts(queries: dict, cap: int = COUNT_CAP) -> dict:
    """:func:`capped_count` of each query, all in one round trip to the database."""
    names = list(queries)
    counts = [
        sa.select(sa.func.count()).select_from(queries[name].limit(cap + 1).subquery()).scalar_subquery()
        for name in names
    ]
    return dict(zip(names, db.session.execute(sa.select(*counts)).one(), strict=True))
