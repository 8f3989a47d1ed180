"""The catalogue as the shop reads it: its categories, its pages, a product and its neighbours,
and a product's words in the shopper's language."""

from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
from flask import g
from flask_babel import lazy_gettext as N_

from .extensions import db
from .models import Product

PER_PAGE = 24

# The categories as stored (and in the catalogue's URLs), marked for pybabel extract: the shop
# shows each one in the shopper's language (the ``category_name`` filter).
CATEGORIES = (N_("Coffee"), N_("Dates & Sweets"), N_("Home & Fragrance"), N_("Apparel"))

LISTING_ORDER = (Product.position, Product.id)


def name_in(product, language: str) -> str:
    """A product's name in ``ar`` or ``en`` (English where there is no Arabic)."""
    return (product.name_ar if language == "ar" else None) or product.name


def description_in(product, language: str) -> str:
    return (product.description_ar if language == "ar" else None) or product.description


@dataclass(frozen=True)
class Category:
    name: str  # as stored, in English
    size: int  # how many products it holds


@dataclass(frozen=True)
class Page:
    """One page of the listing: its products, and where it sits among the pages."""

    products: list[Product]
    number: int
    count: int  # how many pages there are


def categories() -> list[Category]:
    """Each category and its size, in the order its first product appears in the catalogue.
    Read once per request: the nav and the catalogue page both show them. Only products on sale."""
    if "categories" not in g:
        rows = db.session.execute(
            sa.select(Product.category, sa.func.count(Product.id))
            .where(Product.on_sale)
            .group_by(Product.category)
            .order_by(sa.func.min(Product.position))
        )
        g.categories = [Category(name, size) for name, size in rows]
    return g.categories


def page_count(size: int, per_page: int = PER_PAGE) -> int:
    return max(1, -(-size // per_page))


def page(number: int, category: Optional[str] = None, *, per_page: int = PER_PAGE) -> Optional[Page]:
    """Page ``number`` (from 1) of the products, optionally of one category; None when there is
    no such page (or no such category). Two queries: the sizes, then the page's products."""
    sizes = {c.name: c.size for c in categories()}
    if category and category not in sizes:
        return None
    count = page_count(sizes[category] if category else sum(sizes.values()), per_page)
    if not 1 <= number <= count:
        return None
    query = (
        sa.select(Product)
        .where(Product.on_sale)
        .order_by(*LISTING_ORDER)
        .limit(per_page)
        .offset((number - 1) * per_page)
    )
    if category:
        query = query.where(Product.category == category)
    return Page(products=list(db.session.scalars(query)), number=number, count=count)


def product_with_related(slug: str, limit: int = 3) -> tuple[Optional[Product], list[Product]]:
    """A product (on sale or not: its page says which) and a few others on sale from its
    category, in one query."""
    category = sa.select(Product.category).where(Product.slug == slug).scalar_subquery()
    rows = db.session.scalars(
        sa.select(Product)
        .where(sa.or_(Product.slug == slug, sa.and_(Product.category == category, Product.on_sale)))
        .order_by((Product.slug == slug).desc(), *LISTING_ORDER)
        .limit(limit + 1)
    ).all()
    if not rows or rows[0].slug != slug:
        return None, []
    return rows[0], rows[1:]
