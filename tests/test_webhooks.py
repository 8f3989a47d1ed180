"""POST /webhooks/points, case by case as points-decisions.md fixes it."""
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from storefront.extensions import db
from storefront.models import Order, WebhookReceipt
from storefront.webhooks.handler import recent_failed_verifications

SECRET = "whsec_sandbox_demo"


def envelope(order, event, *, order_status=None, total_price=None, updated_at="2026-11-26T10:00:00Z", **extra):
    return {
        "event": event,
        "order": {
            "id": order.points_uuid or "0b8a3f4e-1111-4c4c-9d9d-000000000001",
            "reference_number": "REF-2026-000042",
            "order_number": order.order_number,
            "type": "replacing",
            "total_price": float(order.total if total_price is None else total_price),
            "total_points": 0,
            "payment_status": "fully_paid",
            "order_status": order_status or event,
            "metadata": {"channel": "web"},
            "created_at": "2026-11-26T09:59:00Z",
            "updated_at": updated_at,
            **extra,
        },
        "timestamp": updated_at,
    }


@pytest.fixture
def deliver(client):
    def send(payload, *, secret=SECRET, raw=None, event=None):
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Webhook-Secret"] = secret
        if event or isinstance(payload, dict):
            headers["X-Webhook-Event"] = event or payload.get("event", "")
        return client.post("/webhooks/points", data=raw if raw is not None else json.dumps(payload), headers=headers)
    return send


def reload(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def receipts(**where):
    query = sa.select(WebhookReceipt).order_by(WebhookReceipt.id)
    for key, value in where.items():
        query = query.where(getattr(WebhookReceipt, key) == value)
    return db.session.scalars(query).all()


# --- Authenticity and shape -------------------------------------------------------------------

@pytest.mark.parametrize("secret", [None, "", "whsec_wrong", SECRET + "x"])
def test_missing_or_wrong_secret_is_401_and_changes_nothing(deliver, make_order, secret):
    order = make_order()
    response = deliver(envelope(order, "approved"), secret=secret)
    assert response.status_code == 401
    assert reload(order).status == "pending_payment"
    assert receipts() == []  # nothing stored for an unverified request, only the log line
    [failure] = recent_failed_verifications()
    assert failure["headers"]["X-Webhook-Event"] == "approved"
    assert SECRET not in str(failure) and (secret or "§") not in str(failure)


def test_no_configured_secret_never_skips_verification(app, deliver, make_order):
    app.config["POINTS_WEBHOOK_SECRET"] = ""
    order = make_order()
    assert deliver(envelope(order, "approved"), secret="").status_code == 401
    assert reload(order).status == "pending_payment"


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'{"event": "approved"}', b'{"order": {"order_number": "X"}}',
                                 b'{"event": "approved", "order": {"id": "u"}}',
                                 b'{"event": "approved", "order": {"order_number": null}}',
                                 b'{"event": "approved", "order": {"order_number": ""}}',
                                 b'{"event": "", "order": {"order_number": "PTS-2026-000001"}}',
                                 b'{"event": "approved", "order": "PTS-2026-000001"}'])
def test_malformed_body_is_400_and_changes_nothing(deliver, make_order, raw):
    order = make_order()
    assert deliver(None, raw=raw, event="approved").status_code == 400
    assert reload(order).status == "pending_payment"
    assert receipts()[0].outcome == "malformed"


def test_unknown_event_is_acknowledged_recorded_and_changes_nothing(deliver, make_order):
    order = make_order()
    response = deliver(envelope(order, "low_balance_warning"))
    assert response.status_code == 200
    assert reload(order).status == "pending_payment"
    assert receipts()[0].outcome == "unknown_event"


def test_unknown_order_number_is_404_so_points_retries(deliver, make_order):
    order = make_order()
    payload = envelope(order, "approved")
    payload["order"]["order_number"] = "PTS-2026-999999"
    assert deliver(payload).status_code == 404
    [receipt] = receipts()
    assert receipt.outcome == "unknown_order" and receipt.order_id is None


def test_leading_hash_on_order_number_is_ignored(deliver, make_order):
    order = make_order()
    payload = envelope(order, "approved")
    payload["order"]["order_number"] = "#" + order.order_number
    assert deliver(payload).status_code == 200
    assert reload(order).status == "paid"


# --- What each event does ---------------------------------------------------------------------

def test_approved_pays_the_order_and_stores_points_ids(deliver, make_order):
    order = make_order()
    assert deliver(envelope(order, "approved")).status_code == 200
    order = reload(order)
    assert order.status == "paid" and order.paid_at is not None
    assert order.points_uuid == "0b8a3f4e-1111-4c4c-9d9d-000000000001"
    assert order.points_reference_number == "REF-2026-000042"
    assert order.points_order_status == "approved"
    assert [t.to_status for t in order.transitions] == ["pending_payment", "paid"]
    assert order.transitions[-1].source == "webhook"


def test_authorized_then_captured_pays_the_order(deliver, make_order):
    order = make_order()
    deliver(envelope(order, "authorized", updated_at="2026-11-26T10:00:00Z"))
    assert reload(order).status == "authorized"
    deliver(envelope(order, "captured", updated_at="2026-11-26T10:00:05Z"))
    assert reload(order).status == "paid"


def test_paying_empties_the_shoppers_cart(app, deliver, make_order):
    from storefront.models import Cart, CartLine, Product

    from storefront.cart.service import totals

    product = db.session.scalar(sa.select(Product).limit(1))
    cart = Cart(lines=[CartLine(product=product, quantity=2)])
    db.session.add(cart)
    db.session.commit()
    order = make_order(cart_id=cart.id, cart_fingerprint=totals(cart).fingerprint())
    deliver(envelope(order, "approved"))
    assert db.session.scalar(sa.select(sa.func.count(CartLine.id)).where(CartLine.cart_id == cart.id)) == 0


@pytest.mark.parametrize("event", ["approved", "captured"])
def test_amount_mismatch_does_not_confirm_and_goes_to_review(deliver, make_order, event):
    order = make_order()
    response = deliver(envelope(order, event, total_price=order.total - Decimal("10.00")))
    assert response.status_code == 200
    order = reload(order)
    assert order.status == "needs_review" and "mismatch" in order.status_reason.lower()
    assert receipts()[0].outcome == "amount_mismatch"


def test_a_cent_of_rounding_is_not_a_mismatch(deliver, make_order):
    order = make_order()
    deliver(envelope(order, "approved", total_price=order.total + Decimal("0.01")))
    assert reload(order).status == "paid"


def test_cancelled_cancels_a_pending_order_with_the_points_reason(deliver, make_order):
    order = make_order()
    deliver(envelope(order, "cancelled", reason="checkout abandoned"))
    order = reload(order)
    assert order.status == "cancelled" and order.status_reason == "checkout abandoned"


def test_late_cancelled_webhook_does_not_unpay_an_order(deliver, make_order):
    order = make_order()
    deliver(envelope(order, "approved", updated_at="2026-11-26T10:00:05Z"))
    response = deliver(envelope(order, "cancelled", updated_at="2026-11-26T10:00:01Z", reason="checkout expired"))
    assert response.status_code == 200
    assert reload(order).status == "paid"
    assert receipts()[-1].outcome == "late"


@pytest.mark.parametrize("event", ["approved", "captured"])
def test_paid_after_the_shop_cancelled_goes_to_review_never_ignored(deliver, make_order, event):
    order = make_order(status="cancelled", status_reason="The cart changed")
    deliver(envelope(order, event))
    order = reload(order)
    assert order.status == "needs_review"
    assert "refund it or fulfil it" in order.status_reason


def test_refunded_before_approved_is_still_applied_as_refunded(deliver, make_order):
    order = make_order()
    deliver(envelope(order, "refunded", order_status="fully_refunded", refund_amount=float(order.total),
                     updated_at="2026-11-26T10:05:00Z"))
    late = deliver(envelope(order, "approved", updated_at="2026-11-26T10:00:00Z"))
    assert late.status_code == 200
    order = reload(order)
    assert order.status == "refunded" and order.refunded_amount == order.total


def test_two_partial_refunds_add_up_and_are_not_duplicates(deliver, make_order):
    order = make_order(status="paid")  # 79.00 + 25.00 shipping = 104.00
    deliver(envelope(order, "refunded", order_status="partially_refunded", refund_amount=20.0,
                     left_amount=84.0, updated_at="2026-11-26T11:00:00Z"))
    deliver(envelope(order, "refunded", order_status="partially_refunded", refund_amount=30.0,
                     left_amount=54.0, updated_at="2026-11-26T11:05:00Z"))
    order = reload(order)
    assert order.status == "partially_refunded" and order.refunded_amount == Decimal("50.00")
    deliver(envelope(order, "refunded", order_status="fully_refunded", refund_amount=54.0, left_amount=0,
                     updated_at="2026-11-26T11:10:00Z"))
    order = reload(order)
    assert order.status == "refunded" and order.refunded_amount == order.total


def test_auto_refunded_is_a_full_refund(deliver, make_order):
    order = make_order(status="paid")
    deliver(envelope(order, "auto_refunded", order_status="fully_refunded", refund_amount=float(order.total),
                     reason="auto_refund_missing_transaction"))
    assert reload(order).status == "refunded"


def test_shipping_updates_set_the_shipping_status_and_each_counts(deliver, make_order):
    order = make_order(status="paid")
    deliver(envelope(order, "shipping_status_updated", order_status="approved", status="ready_shipping",
                     status_label="Ready for shipping", updated_at="2026-11-26T12:00:00Z"))
    assert reload(order).shipping_status == "ready_shipping"
    deliver(envelope(order, "shipping_status_updated", order_status="approved", status="delivered",
                     custom_status={"ar": "تم التوصيل", "en": "Delivered to the door"}, updated_at="2026-11-26T15:00:00Z"))
    order = reload(order)
    assert order.shipping_status == "delivered" and order.shipping_label_en == "Delivered to the door"
    assert order.status == "paid"


def test_completed_changes_nothing(deliver, make_order):
    order = make_order(status="paid")
    assert deliver(envelope(order, "completed", order_status="approved")).status_code == 200
    assert reload(order).status == "paid"


# --- At least once --------------------------------------------------------------------------

def test_duplicate_delivery_is_200_and_has_no_effect(deliver, make_order):
    order = make_order(status="paid")
    payload = envelope(order, "refunded", order_status="partially_refunded", refund_amount=10.0)
    assert deliver(payload).status_code == 200
    assert deliver(payload).status_code == 200
    order = reload(order)
    assert order.refunded_amount == Decimal("10.00")
    assert [r.outcome for r in receipts()] == ["applied", "duplicate"]


def test_duplicate_is_keyed_on_timestamp_when_updated_at_is_missing(deliver, make_order):
    order = make_order(status="paid")
    payload = envelope(order, "refunded", order_status="partially_refunded", refund_amount=10.0)
    del payload["order"]["updated_at"]
    deliver(payload)
    deliver(payload)
    assert reload(order).refunded_amount == Decimal("10.00")
    payload["timestamp"] = "2026-11-26T10:30:00Z"
    deliver(payload)
    assert reload(order).refunded_amount == Decimal("20.00")


def test_every_delivery_is_recorded_with_the_secret_masked(deliver, make_order):
    order = make_order()
    deliver(envelope(order, "approved"))
    [receipt] = receipts()
    assert receipt.order_id == order.id and receipt.event == "approved"
    headers = json.loads(receipt.headers)
    assert headers["X-Webhook-Event"] == "approved"
    assert SECRET not in receipt.headers and headers["X-Webhook-Secret"].startswith("***")
    assert json.loads(receipt.body)["order"]["order_number"] == order.order_number


def test_webhook_needs_no_csrf_token_even_with_csrf_on(app_config):
    from storefront import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    response = app.test_client().post("/webhooks/points", json={"event": "noop", "order": {"order_number": "x"}},
                                      headers={"X-Webhook-Secret": SECRET})
    assert response.status_code == 200


def test_a_stale_sessions_cancel_does_not_cancel_the_order_paid_through_another(deliver, make_order):
    order = make_order(points_uuid="0b8a3f4e-1111-4c4c-9d9d-000000000001")
    deliver(envelope(order, "approved"))
    stale = envelope(order, "cancelled", reason="checkout expired", updated_at="2026-11-26T10:30:00Z")
    stale["order"]["id"] = "0b8a3f4e-2222-4c4c-9d9d-000000000002"
    assert deliver(stale).status_code == 200
    order = reload(order)
    assert order.status == "paid" and order.points_uuid == "0b8a3f4e-1111-4c4c-9d9d-000000000001"
    assert receipts()[-1].outcome == "other_points_order"


def test_a_second_points_order_paid_for_the_same_order_goes_to_review(deliver, make_order):
    order = make_order(points_uuid="0b8a3f4e-1111-4c4c-9d9d-000000000001")
    deliver(envelope(order, "approved"))
    twice = envelope(order, "approved", updated_at="2026-11-26T10:31:00Z")
    twice["order"]["id"] = "0b8a3f4e-2222-4c4c-9d9d-000000000002"
    deliver(twice)
    order = reload(order)
    assert order.status == "needs_review" and "also paid" in order.status_reason


def test_paying_leaves_a_cart_the_shopper_has_changed_since(app, deliver, make_order):
    from storefront.cart.service import totals
    from storefront.models import Cart, CartLine, Product

    product, other = db.session.scalars(sa.select(Product).order_by(Product.id).limit(2)).all()
    cart = Cart(lines=[CartLine(product=product, quantity=1)])
    db.session.add(cart)
    db.session.commit()
    order = make_order(cart_id=cart.id, cart_fingerprint=totals(cart).fingerprint())
    cart.lines.append(CartLine(product=other, quantity=1))  # a newer order's cart
    db.session.commit()
    deliver(envelope(order, "approved"))
    assert db.session.scalar(sa.select(sa.func.count(CartLine.id)).where(CartLine.cart_id == cart.id)) == 2


def test_a_stale_sessions_cancel_first_does_not_hide_the_real_sessions_payment(deliver, make_order):
    order = make_order()
    stale = envelope(order, "cancelled", reason="checkout expired", updated_at="2026-11-26T10:30:00Z")
    stale["order"]["id"] = "0b8a3f4e-aaaa-4c4c-9d9d-00000000000a"
    deliver(stale)
    assert reload(order).status == "cancelled" and reload(order).points_uuid is None
    paid = envelope(order, "approved", updated_at="2026-11-26T10:31:00Z")
    paid["order"]["id"] = "0b8a3f4e-bbbb-4c4c-9d9d-00000000000b"
    deliver(paid)
    order = reload(order)
    assert order.status == "needs_review" and order.points_uuid == "0b8a3f4e-bbbb-4c4c-9d9d-00000000000b"


def test_a_second_payment_on_a_partly_refunded_order_goes_to_review(deliver, make_order):
    order = make_order(status="partially_refunded", points_uuid="0b8a3f4e-1111-4c4c-9d9d-000000000001")
    twice = envelope(order, "captured")
    twice["order"]["id"] = "0b8a3f4e-2222-4c4c-9d9d-000000000002"
    deliver(twice)
    assert reload(order).status == "needs_review"


def test_a_body_over_one_mebibyte_is_refused_unread(deliver, make_order):
    order = make_order()
    assert deliver(None, raw=b"x" * (1024 * 1024 + 1), event="approved").status_code == 413
    assert reload(order).status == "pending_payment"


def test_an_overlong_order_number_is_a_404_not_a_crash(deliver, make_order):
    order = make_order()
    payload = envelope(order, "approved")
    payload["order"]["order_number"] = "P" * 500
    payload["order"]["id"] = "u" * 500
    assert deliver(payload).status_code == 404


def test_overlong_ids_on_a_known_order_are_recorded_not_a_crash(deliver, make_order):
    order = make_order()
    payload = envelope(order, "approved", updated_at="2026-11-26T10:00:00Z" + "9" * 400)
    payload["order"]["id"] = "u" * 500
    assert deliver(payload).status_code == 200
    assert deliver(payload).status_code == 200
    assert [r.outcome for r in receipts()] == ["applied", "duplicate"]
