"""The demo catalogue seeded on first start (and by ``flask --app wsgi seed``), in English and
Arabic, and the shop's read queries, kept per catalogue version."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as N_
from sqlalchemy.engine import Row

from .extensions import db
from .models import CATALOGUE_VERSION_DDL, CartLine, Product
from .transactions import read

CATALOGUE = [
    # slug, name, category, price, description
    (
        "saudi-khawlani-coffee",
        "Khawlani Coffee Beans",
        "Coffee",
        "68.00",
        "Light-roast Khawlani beans from the Jazan highlands, with notes of apricot and cardamom. 500 g.",
    ),
    (
        "dallah-brass",
        "Brass Dallah",
        "Coffee",
        "185.00",
        "A hand-finished brass dallah for serving Saudi coffee the traditional way. 1 litre.",
    ),
    ("finjan-set", "Finjan Cup Set", "Coffee", "95.00", "Six porcelain finjan cups with a gold rim, boxed as a gift."),
    (
        "cardamom-blend",
        "Cardamom & Saffron Blend",
        "Coffee",
        "42.50",
        "Ground green cardamom with a touch of saffron, to stir into Arabic coffee. 250 g.",
    ),
    (
        "sukkari-dates",
        "Sukkari Dates Box",
        "Dates & Sweets",
        "79.00",
        "Soft, caramel-sweet Sukkari dates from Al-Qassim, packed in a gift box. 1 kg.",
    ),
    ("ajwa-dates", "Ajwa Dates", "Dates & Sweets", "120.00", "Dark, tender Ajwa dates from Madinah. 800 g."),
    (
        "maamoul-assortment",
        "Maamoul Assortment",
        "Dates & Sweets",
        "58.00",
        "Semolina biscuits filled with dates, pistachio and walnut. 24 pieces.",
    ),
    (
        "oud-incense",
        "Cambodian Oud Chips",
        "Home & Fragrance",
        "240.00",
        "Resin-rich oud chips for the mabkhara. 12 g in a glass jar.",
    ),
    (
        "mabkhara-burner",
        "Ceramic Mabkhara",
        "Home & Fragrance",
        "135.00",
        "An electric-free ceramic incense burner with a geometric pattern.",
    ),
    (
        "rose-water",
        "Taif Rose Water",
        "Home & Fragrance",
        "36.00",
        "Distilled from Taif roses; for the face, the home, and sweets. 250 ml.",
    ),
    (
        "prayer-mat",
        "Travel Prayer Mat",
        "Home & Fragrance",
        "89.00",
        "A light, foldable prayer mat with a compass pocket.",
    ),
    (
        "sadu-cushion",
        "Sadu Weave Cushion",
        "Home & Fragrance",
        "110.00",
        "A cushion cover woven in the Sadu tradition, red and black wool. 45 × 45 cm.",
    ),
    (
        "shemagh-red",
        "Red Shemagh",
        "Apparel",
        "149.00",
        "Classic red-and-white cotton shemagh, pre-washed for a soft drape.",
    ),
    (
        "thobe-white",
        "Summer Thobe",
        "Apparel",
        "260.00",
        "A white thobe in breathable cotton blend, classic Saudi collar.",
    ),
    ("leather-sandals", "Leather Sandals", "Apparel", "175.00", "Hand-stitched leather sandals with a cushioned sole."),
    (
        "camel-milk-chocolate",
        "Camel Milk Chocolate",
        "Dates & Sweets",
        "29.00",
        "Milk chocolate made with camel milk, with a hint of dates. 100 g.",
    ),
]


# Each product's name and description in Arabic, by slug.
CATALOGUE_AR = {
    "saudi-khawlani-coffee": (
        "بن خولاني",
        "حبوب بن خولاني محمصة تحميصًا خفيفًا من مرتفعات جازان، بنكهة المشمش والهيل. 500 غرام.",
    ),
    "dallah-brass": (
        "دلة نحاسية",
        "دلة من النحاس مشغولة يدويًا لتقديم القهوة السعودية على الطريقة التقليدية. لتر واحد.",
    ),
    "finjan-set": ("طقم فناجين", "ستة فناجين من البورسلين بحافة ذهبية، في علبة هدية."),
    "cardamom-blend": (
        "خلطة الهيل والزعفران",
        "هيل أخضر مطحون مع لمسة من الزعفران، يضاف إلى القهوة العربية. 250 غرام.",
    ),
    "sukkari-dates": ("علبة تمر سكري", "تمر سكري طري بحلاوة الكراميل من القصيم، معبأ في علبة هدية. 1 كيلوغرام."),
    "ajwa-dates": ("تمر عجوة", "تمر عجوة داكن وطري من المدينة المنورة. 800 غرام."),
    "maamoul-assortment": ("تشكيلة معمول", "معمول السميد محشو بالتمر والفستق والجوز. 24 قطعة."),
    "oud-incense": ("عود كمبودي", "قطع عود غنية بالدهن للمبخرة. 12 غرامًا في برطمان زجاجي."),
    "mabkhara-burner": ("مبخرة خزفية", "مبخرة من الخزف بنقش هندسي، تعمل دون كهرباء."),
    "rose-water": ("ماء ورد طائفي", "مقطّر من ورد الطائف؛ للوجه والبيت والحلويات. 250 مل."),
    "prayer-mat": ("سجادة صلاة للسفر", "سجادة صلاة خفيفة قابلة للطي، مع جيب للبوصلة."),
    "sadu-cushion": ("وسادة بنسيج السدو", "غطاء وسادة منسوج على طريقة السدو، من الصوف الأحمر والأسود. 45 × 45 سم."),
    "shemagh-red": ("شماغ أحمر", "شماغ قطني كلاسيكي بالأحمر والأبيض، مغسول مسبقًا لينسدل بنعومة."),
    "thobe-white": ("ثوب صيفي", "ثوب أبيض من خليط قطني يسمح بمرور الهواء، بياقة سعودية كلاسيكية."),
    "leather-sandals": ("نعال جلدية", "نعال من الجلد مخيطة يدويًا بنعل مريح."),
    "camel-milk-chocolate": (
        "شوكولاتة بحليب الإبل",
        "شوكولاتة بالحليب مصنوعة من حليب الإبل، بلمسة من التمر. 100 غرام.",
    ),
}

# The categories as stored (and in the catalogue's URLs), marked for pybabel extract: the shop
# shows each one in the shopper's language (the ``category_name`` filter).
CATEGORIES = (N_("Coffee"), N_("Dates & Sweets"), N_("Home & Fragrance"), N_("Apparel"))


def name_in(product, language: str) -> str:
    """A product's name in ``ar`` or ``en`` (English where there is no Arabic): a Product or a
    catalogue row alike."""
    return (getattr(product, "name_ar", None) if language == "ar" else None) or product.name


def description_in(product, language: str) -> str:
    return (getattr(product, "description_ar", None) if language == "ar" else None) or product.description


def seed_catalogue() -> int:
    """Replace the catalogue with the demo products; returns how many there are."""
    db.session.execute(sa.delete(CartLine))
    existing = {p.slug: p for p in db.session.scalars(sa.select(Product))}
    for position, (slug, name, category, price, description) in enumerate(CATALOGUE):
        product = existing.pop(slug, None) or Product(slug=slug)
        product.name, product.category, product.description = name, category, description
        product.name_ar, product.description_ar = CATALOGUE_AR.get(slug, ("", ""))
        product.price = Decimal(price)
        product.image = f"products/{slug}.svg"
        product.position = position
        db.session.add(product)
    for stale in existing.values():
        db.session.delete(stale)
    db.session.commit()
    return len(CATALOGUE)


# The shop's read queries, through a Snapshot: what was read at one catalogue version.
#
# Every request reads the catalogue version (with the shopper's cart, shopper.py); any write to
# a product bumps it (database triggers, models.CatalogueVersion). Each query below then runs at
# most once per version in each process, and its result is reused until the version moves. The
# version is read *before* the data, so data kept under a version is never older than that
# version: never a stale price.
#
# The statements are built once, here (building a select cost more than running it), and run
# outside the ORM session (transactions.read): they return plain rows, cheap to fetch.

PER_PAGE = 24
MAX_KEPT_RESULTS = 4096  # bounds memory, should a crawler ask for every slug under the sun

# What a product card shows, and the order products are listed in.
CARD = (Product.id, Product.slug, Product.name, Product.name_ar, Product.category, Product.price, Product.image)
LISTING_ORDER = (Product.position, Product.id)

_CATEGORIES = (
    sa.select(Product.category, sa.func.count(Product.id).label("size"))
    .group_by(Product.category)
    .order_by(sa.func.min(Product.position))
)
_PAGE = sa.select(*CARD).order_by(*LISTING_ORDER).limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))
_PAGE_OF_CATEGORY = _PAGE.where(Product.category == sa.bindparam("category"))
_PRODUCT = sa.select(*CARD, Product.description, Product.description_ar).where(Product.slug == sa.bindparam("slug"))
_PRODUCTS_BY_ID = sa.select(*CARD).where(Product.id.in_(sa.bindparam("ids", expanding=True)))
_RELATED = (
    sa.select(*CARD)
    .where(Product.category == sa.bindparam("category"), Product.id != sa.bindparam("id"))
    .order_by(*LISTING_ORDER)
    .limit(sa.bindparam("limit"))
)

_MISSING = object()


@dataclass(frozen=True)
class Page:
    """One page of the listing: its products, and where it sits among the pages."""

    products: tuple[Row, ...]
    number: int
    count: int  # how many pages there are


class Snapshot:
    """The catalogue's read queries at one version, each run at most once (per process)."""

    def __init__(self, version: Optional[int]):
        self.version = version  # None: no version to trust (no triggers here), so nothing is kept
        self._results: dict = {}

    def categories(self) -> tuple[Row, ...]:
        """Each category (``.category``) and how many products it holds (``.size``), in the
        order their first product appears in the catalogue."""
        return self.memo(("categories",), lambda: read(_CATEGORIES))

    def category_names(self) -> tuple[str, ...]:
        return self.memo(("category_names",), lambda: tuple(row.category for row in self.categories()))

    def page(self, number: int, category: Optional[str] = None, per_page: int = PER_PAGE) -> Optional[Page]:
        """Page ``number`` (from 1) of the products, optionally of one category; None when there
        is no such page (or no such category)."""
        sizes = {row.category: row.size for row in self.categories()}
        if category and category not in sizes:
            return None
        count = max(1, -(-(sizes[category] if category else sum(sizes.values())) // per_page))
        if not 1 <= number <= count:
            return None
        params = {"limit": per_page, "offset": (number - 1) * per_page}
        if category:
            rows = self.memo(
                ("page", category, number, per_page), lambda: read(_PAGE_OF_CATEGORY, **params, category=category)
            )
        else:
            rows = self.memo(("page", None, number, per_page), lambda: read(_PAGE, **params))
        return Page(products=rows, number=number, count=count)

    def product(self, slug: str) -> Optional[Row]:
        """One product's card fields and its description."""
        rows = self.memo(("product", slug), lambda: read(_PRODUCT, slug=slug))
        return rows[0] if rows else None

    def products(self, ids: list[int]) -> dict[int, Row]:
        """The card fields of these products (a cart's), by id: one query for those not kept yet."""
        cards = {id_: self._results[("card", id_)] for id_ in ids if ("card", id_) in self._results}
        missing = [id_ for id_ in ids if id_ not in cards]
        if missing:
            for row in read(_PRODUCTS_BY_ID, ids=missing):
                cards[row.id] = self._keep(("card", row.id), row)
        return cards

    def related(self, product: Row, limit: int = 3) -> tuple[Row, ...]:
        """A few other products from the same category, for the product page."""
        return self.memo(
            ("related", product.id, limit),
            lambda: read(_RELATED, category=product.category, id=product.id, limit=limit),
        )

    def memo(self, key: tuple, load):
        """``load()``'s result, computed once for this version: for anything derived from it."""
        result = self._results.get(key, _MISSING)
        return self._keep(key, load()) if result is _MISSING else result

    def _keep(self, key: tuple, result):
        if self.version is not None:
            if len(self._results) >= MAX_KEPT_RESULTS:
                self._results.clear()  # simpler than LRU bookkeeping; the working set is small
            self._results[key] = result
        return result


def snapshot(version: Optional[int]) -> Snapshot:
    """This process's snapshot of the catalogue at ``version``, just read from catalogue_version
    (before any catalogue data, so what the snapshot reads is never older than its version)."""
    if version is None or db.engine.dialect.name not in CATALOGUE_VERSION_DDL:
        return Snapshot(None)  # no version to trust (no triggers on this database): read afresh
    latest = current_app.extensions.get("catalogue_snapshot")
    if latest is None or latest.version != version:
        latest = current_app.extensions["catalogue_snapshot"] = Snapshot(version)
    return latest
