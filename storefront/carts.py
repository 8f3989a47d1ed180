"""The cart: lines and totals, always priced from the database, never from the browser."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from flask import current_app
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


@dataclass
class CartTotals:
    lines: list[PricedLine]
    subtotal: Decimal
    shipping: Decimal
    total: Decimal

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
    at, and which products in what quantities (product id, quantity), in the order added."""

    catalogue_version: Optional[int]
    lines: tuple[tuple[int, int], ...]

    @property
    def item_count(self) -> int:
        return sum(quantity for _, quantity in self.lines)


# Every page runs it: built once, with the token as a parameter. From the one-row version table,
# so there is a row (with the version) even for an empty cart or no cart at all.
CONTENTS = (
    sa.select(CatalogueVersion.version, CartLine.product_id, CartLine.quantity)
    .select_from(CatalogueVersion)
    .outerjoin(Cart, Cart.token == sa.bindparam("token"))
    .outerjoin(CartLine, CartLine.cart_id == Cart.id)
    .where(CatalogueVersion.id == 1)
    .order_by(CartLine.id)
)


def contents(token: Optional[str]) -> CartContents:
    """The catalogue version and the cart's lines, in one query."""
    rows = db.session.connection().execute(CONTENTS, {"token": token}).all()
    if not rows:  # the version row is missing (deleted by hand): no version to keep pages under
        return CartContents(None, tuple((line.product.id, line.quantity) for line in priced_lines(token)))
    return CartContents(rows[0][0], tuple((pid, qty) for _, pid, qty in rows if pid is not None))


def load_cart(token: Optional[str]) -> Optional[Cart]:
    """The cart for a cookie token, with its lines and products in one extra query."""
    if not token:
        return None
    return db.session.scalar(
        sa.select(Cart).where(Cart.token == token).options(selectinload(Cart.lines).selectinload(CartLine.product))
    )


def priced_lines(token: Optional[str]) -> list[PricedLine]:
    """The lines of the cart for this token at today's prices, with their products, in one query."""
    if not token:
        return []
    rows = db.session.execute(
        sa.select(CartLine.quantity, Product)
        .join(Cart, Cart.id == CartLine.cart_id)
        .join(Product, Product.id == CartLine.product_id)
        .where(Cart.token == token)
        .order_by(CartLine.id)
    )
    return [PricedLine(product, quantity) for quantity, product in rows]


def shipping_for(subtotal: Decimal) -> Decimal:
    if subtotal <= 0 or subtotal >= current_app.config["FREE_SHIPPING_FROM"]:
        return Decimal("0.00")
    return current_app.config["SHIPPING_FLAT_RATE"]


def totals(cart: Optional[Cart]) -> CartTotals:
    return totals_of([PricedLine(line.product, line.quantity) for line in (cart.lines if cart else [])])


def totals_of(lines: list[PricedLine]) -> CartTotals:
    subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
    shipping = shipping_for(subtotal)
    return CartTotals(lines=lines, subtotal=subtotal, shipping=shipping, total=subtotal + shipping)


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
        cart.lines.append(CartLine(product=product, quantity=min(MAX_QUANTITY, quantity)))
    db.session.commit()


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
        cart.lines.append(CartLine(product=product, quantity=quantity))
    db.session.commit()
