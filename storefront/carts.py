"""The cart: lines and totals, always priced from the database, never from the browser."""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .database import begin_write
from .extensions import db
from .models import Cart, CartLine, CatalogueVersion, Product
from .money import vat_share

MAX_QUANTITY = 20  # of one product in one cart


@dataclass
class PricedLine:
    product: Product
    quantity: int

    @property
    def unit_price(self) -> Decimal:
        return self.product.price

    @property
    def line_total(self) -> Decimal:
        return self.product.price * self.quantity


@dataclass(frozen=True)
class GoneLine:
    """A line whose product was deleted or taken off sale after it went into the cart: shown as
    no longer available, never priced."""

    line_id: int
    name: str  # English, as the product was called when added
    name_ar: str
    quantity: int
    product: Optional[Product] = None  # off sale: its page still says so, and its picture is shown faded

    def name_in(self, language: str) -> str:
        """Its name in ``ar`` or ``en``; a line gone before lines kept names has none of its own."""
        return (self.name_ar if language == "ar" else None) or self.name or _("An item")


@dataclass
class CartTotals:
    """The cart at today's prices: ``lines`` are priced, ``gone`` lines are left out of every sum."""

    lines: list[PricedLine]
    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    gone: list[GoneLine] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def vat(self) -> Decimal:
        """The VAT inside the total (prices are VAT-inclusive)."""
        return vat_share(self.total)

    @property
    def is_empty(self) -> bool:
        return not self.lines

    def fingerprint(self) -> str:
        """Same lines at the same prices -> same fingerprint: a retry reuses the pending order."""
        parts = [f"{line.product.id}:{line.quantity}:{line.unit_price}" for line in self.lines]
        parts.append(f"ship:{self.shipping}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class CartContents:
    """What a page shows of a cart, without its products: the catalogue version they are priced
    at, which products on sale in what quantities (product id, quantity), in the order added, and
    the ids of the lines whose product is gone or off sale. ``key`` is all of it but the version, for a kept page."""

    catalogue_version: Optional[int]
    lines: tuple[tuple[int, int], ...]
    gone: tuple[int, ...] = ()

    @property
    def key(self) -> tuple:
        return (self.lines, self.gone)

    @property
    def item_count(self) -> int:
        return sum(quantity for _, quantity in self.lines)


# Every page runs it: built once, with the token as a parameter. From the one-row version table,
# so there is a row (with the version) even for an empty cart or no cart at all.
CONTENTS = (
    sa.select(CatalogueVersion.version, CartLine.id, Product.id, CartLine.quantity)
    .select_from(CatalogueVersion)
    .outerjoin(Cart, Cart.token == sa.bindparam("token"))
    .outerjoin(CartLine, CartLine.cart_id == Cart.id)
    .outerjoin(Product, sa.and_(Product.id == CartLine.product_id, Product.on_sale))
    .where(CatalogueVersion.id == 1)
    .order_by(CartLine.id)
)


def contents(token: Optional[str]) -> CartContents:
    """The catalogue version and the cart's lines, in one query. A line whose product is deleted
    or off sale has no product id here: it is one of the gone."""
    rows = db.session.connection().execute(CONTENTS, {"token": token}).all()
    if not rows:  # the version row is missing (deleted by hand): no version to keep pages under
        priced = cart_totals_for(token)
        return CartContents(
            None,
            tuple((line.product.id, line.quantity) for line in priced.lines),
            tuple(line.line_id for line in priced.gone),
        )
    return CartContents(
        rows[0][0],
        tuple((pid, qty) for _, line_id, pid, qty in rows if pid is not None),
        tuple(line_id for _, line_id, pid, _ in rows if line_id is not None and pid is None),
    )


def load_cart(token: Optional[str]) -> Optional[Cart]:
    """The cart for a cookie token, with its lines and products in one extra query."""
    if not token:
        return None
    return db.session.scalar(
        sa.select(Cart).where(Cart.token == token).options(selectinload(Cart.lines).selectinload(CartLine.product))
    )


def cart_totals_for(token: Optional[str]) -> CartTotals:
    """The cart for this token at today's prices, its gone lines apart, in one query."""
    if not token:
        return totals_of([])
    rows = db.session.execute(
        sa.select(CartLine.id, CartLine.quantity, CartLine.product_name, CartLine.product_name_ar, Product)
        .join(Cart, Cart.id == CartLine.cart_id)
        .outerjoin(Product, Product.id == CartLine.product_id)
        .where(Cart.token == token)
        .order_by(CartLine.id)
    )
    lines, gone = [], []
    for line_id, quantity, name, name_ar, product in rows:
        if product is None:
            gone.append(GoneLine(line_id, name, name_ar, quantity))
        elif not product.on_sale:
            gone.append(GoneLine(line_id, product.name, product.name_ar, quantity, product))
        else:
            lines.append(PricedLine(product, quantity))
    return totals_of(lines, gone)


def shipping_for(subtotal: Decimal) -> Decimal:
    if subtotal <= 0 or subtotal >= current_app.config["FREE_SHIPPING_FROM"]:
        return Decimal("0.00")
    return current_app.config["SHIPPING_FLAT_RATE"]


def totals(cart: Optional[Cart]) -> CartTotals:
    """A loaded cart at today's prices; a line whose product is gone or off sale is left out, and listed."""
    lines = cart.lines if cart else []
    return totals_of(
        [PricedLine(line.product, line.quantity) for line in lines if is_available(line)],
        [_gone(line) for line in lines if not is_available(line)],
    )


def is_available(line: CartLine) -> bool:
    """Its product still exists and is on sale."""
    return line.product is not None and line.product.on_sale


def totals_of(lines: list[PricedLine], gone: Optional[list[GoneLine]] = None) -> CartTotals:
    subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
    shipping = shipping_for(subtotal)
    return CartTotals(lines=lines, subtotal=subtotal, shipping=shipping, total=subtotal + shipping, gone=gone or [])


def _gone(line: CartLine) -> GoneLine:
    if line.product is not None:  # off sale: named as the product is called today
        return GoneLine(line.id, line.product.name, line.product.name_ar, line.quantity, line.product)
    return GoneLine(line.id, line.product_name, line.product_name_ar, line.quantity)


def lock_cart(cart_id: int) -> Optional[Cart]:
    """Begin a write transaction and read the cart in it (its lines fresh), locked until commit."""
    begin_write()
    cart = db.session.scalar(
        sa.select(Cart).where(Cart.id == cart_id).with_for_update().execution_options(populate_existing=True)
    )
    if cart is not None:
        db.session.expire(cart, ["lines"])
    return cart


def add_product(cart: Cart, product: Product, quantity: int) -> None:
    """Add to the product's line (at most MAX_QUANTITY). Two adds at the same moment both count:
    the line is read inside the cart's write lock, after the other add committed."""
    cart = lock_cart(cart.id)
    for line in cart.lines:
        if line.product_id == product.id:
            line.quantity = min(MAX_QUANTITY, line.quantity + quantity)
            break
    else:
        cart.lines.append(_line_for(product, min(MAX_QUANTITY, quantity)))
    db.session.commit()


def _line_for(product: Product, quantity: int) -> CartLine:
    """A new line, with the product's names kept in case the product is deleted while it waits."""
    return CartLine(product=product, quantity=quantity, product_name=product.name, product_name_ar=product.name_ar)


def set_quantity(cart: Cart, product_id: int, quantity: int) -> Optional[Product]:
    """Set one line's quantity (0 removes it); returns the line's product, None if it was not in the cart."""
    cart = lock_cart(cart.id)
    changed = None
    for line in list(cart.lines):
        if line.product_id == product_id:
            changed = line.product
            if quantity <= 0:
                cart.lines.remove(line)
            else:
                line.quantity = min(MAX_QUANTITY, quantity)
    db.session.commit()
    return changed


def replace_lines(cart: Cart, items: list[tuple[Product, int]]) -> None:
    """Put these products back in the cart (the failure page's "try again")."""
    cart = lock_cart(cart.id)
    cart.lines.clear()
    db.session.flush()
    for product, quantity in items:
        cart.lines.append(_line_for(product, quantity))
    db.session.commit()


def remove_gone(cart: Cart, line_id: Optional[int] = None) -> list[GoneLine]:
    """Take out the cart's lines whose product is gone or off sale (or just that one); returns what went."""
    cart = lock_cart(cart.id)
    removed = []
    for line in list(cart.lines):
        if not is_available(line) and line_id in (None, line.id):
            removed.append(_gone(line))
            cart.lines.remove(line)
    db.session.commit()
    return removed
