"""Words for the code names, in the reader's language: one place for the shop and the admin.

The code names stay in the code, the database and the wire (orders.py's statuses, the OpenAPI
shipping enum); pages show these words instead. Each is looked up when the page is drawn.
"""

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .points import orders

# As a shopper reads an order's payment status (the order page).
SHOPPER_ORDER_STATUS = {
    orders.PENDING_PAYMENT: _l("Awaiting payment"),
    orders.AUTHORIZED: _l("Payment authorised"),
    orders.AWAITING_COLLECTION: _l("Pay cash on delivery"),
    orders.PAID: _l("Paid"),
    orders.CANCELLED: _l("Cancelled"),
    orders.PARTIALLY_REFUNDED: _l("Partly refunded"),
    orders.REFUNDED: _l("Refunded"),
    orders.NEEDS_REVIEW: _l("Being reviewed"),
}

# As staff read it (the admin's badges and filters).
STAFF_ORDER_STATUS = {
    orders.PENDING_PAYMENT: _l("Pending payment"),
    orders.AUTHORIZED: _l("Authorized"),
    orders.AWAITING_COLLECTION: _l("Awaiting cash collection"),
    orders.PAID: _l("Paid"),
    orders.CANCELLED: _l("Cancelled"),
    orders.PARTIALLY_REFUNDED: _l("Partially refunded"),
    orders.REFUNDED: _l("Refunded"),
    orders.NEEDS_REVIEW: _l("Needs review"),
}

# Points' shipping statuses (POST /v1/orders/{uuid}/status), for shoppers and staff alike.
SHIPPING_STATUS = {
    "new": _l("Order received"),
    "license_in_progress": _l("Preparing paperwork"),
    "ready_shipping": _l("Ready to ship"),
    "delivery_is_in_progress": _l("Out for delivery"),
    "delivered": _l("Delivered"),
    "cancelled": _l("Shipping cancelled"),
}

# The delivery tracker on the shopper's order page; "Order received" is reached once paid.
SHIPPING_STEPS = ("new", "ready_shipping", "delivery_is_in_progress", "delivered")

# Why an order was cancelled, as the shop or Points (decisions: "Session life", the close button)
# records it: shown to the shopper in their language; any other reason is shown as it came.
CANCEL_REASONS = {
    orders.CHECKOUT_ABANDONED: _l("you closed the Points checkout"),
    orders.CHECKOUT_EXPIRED: _l("the Points checkout expired"),
    orders.NO_ANSWER: _l("Points did not answer clearly, so this order was closed and nothing was charged on it"),
    orders.NEVER_STARTED: _l("the payment could not start, so nothing was charged"),
    orders.CART_CHANGED: _l("the cart changed before payment, and a new order replaced this one"),
    orders.DETAILS_CHANGED: _l(
        "the contact or delivery details changed before payment, and a new order replaced this one"
    ),
}


# Points' webhook-only payment_status (reference §6.5: its meaning is not explained): its words only.
POINTS_PAYMENT_STATUS = {"fully_paid": _l("fully paid"), "partially_paid": _l("partially paid")}


def words(table: dict, code) -> str:
    """``table``'s word for ``code``; the code itself, made readable, if it has none."""
    word = table.get(code)
    return str(word) if word is not None else (code or "").replace("_", " ")


def status_in_a_sentence(status) -> str:
    """An order status as staff read it inside a sentence: "PTS-2026-000123 is partially refunded"."""
    return words(STAFF_ORDER_STATUS, status).lower() if status else str(_l("unknown"))


def shipping_labels(status: str) -> tuple[str, str]:
    """A shipping status's words in Arabic and English, for Points' ``name_ar`` / ``name_en``:
    sending both keeps Points from machine-translating one, so the shopper reads our words."""
    labels = []
    for language in ("ar", "en"):
        with force_locale(language):
            labels.append(words(SHIPPING_STATUS, status))
    return labels[0], labels[1]


def init_app(app) -> None:
    """The words as template filters: ``{{ order.status|shopper_status }}`` and the like."""
    app.add_template_filter(lambda code: words(SHOPPER_ORDER_STATUS, code), "shopper_status")
    app.add_template_filter(lambda code: words(STAFF_ORDER_STATUS, code), "staff_status")
    app.add_template_filter(lambda code: words(SHIPPING_STATUS, code), "shipping_status")
    app.add_template_filter(lambda code: words(POINTS_PAYMENT_STATUS, code), "points_payment_status")
    app.add_template_filter(
        lambda reason: words(CANCEL_REASONS, reason) if reason in CANCEL_REASONS else reason, "cancel_reason"
    )
    app.jinja_env.globals["SHIPPING_STEPS"] = SHIPPING_STEPS
