"""POST /webhooks/points, case by case as points-decisions.md fixes it."""

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa
from points_webhooks import SECRET, UUID, for_order, merchant_event, order_event, points_order
from points_webhooks import deliver as deliver_to

from storefront.extensions import db
from storefront.models import Order, WebhookReceipt, WebhookVerificationFailure
from storefront.points import health
from storefront.points.health import recent_failed_verifications


def envelope(order, event, *, updated_at="2026-04-18T10:05:12.000000Z", **fields):
    """An order event about ``order``, shaped as reference §5.4/5.5 documents it."""
    return for_order(order, event, updated_at=updated_at, **fields)


@pytest.fixture
def deliver(client):
    def send(body, **options):
        return deliver_to(client, body, **options)

    return send


@pytest.fixture
def receipts(app):
    def read(**where) -> list[WebhookReceipt]:
        query = sa.select(WebhookReceipt).order_by(WebhookReceipt.id)
        for key, value in where.items():
            query = query.where(getattr(WebhookReceipt, key) == value)
        with app.app_context():
            return db.session.scalars(query).all()

    return read


# --- Authenticity and shape -------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "whsec_wrong", SECRET + "x"])
def test_missing_or_wrong_secret_is_401_and_changes_nothing(app, deliver, make_order, reload, receipts, secret):
    order = make_order()
    response = deliver(envelope(order, "approved"), secret=secret)
    assert response.status_code == 401
    assert reload(order).status == "pending_payment"
    assert receipts() == []  # no receipt for an unverified request: a count and the first one's headers
    with app.app_context():
        [failure] = recent_failed_verifications()
        kept = json.dumps([failure.reason, failure.source, failure.count, failure.sample_headers])
    assert (failure.reason, failure.source, failure.count) == ("missing" if not secret else "wrong", "127.0.0.1", 1)
    assert json.loads(failure.sample_headers)["X-Webhook-Event"] == "approved"
    assert SECRET not in kept and (secret or "§") not in kept
    assert order.order_number not in kept  # never the body


def test_refused_deliveries_are_counted_per_hour_and_source_and_stay_bounded(app, client, monkeypatch):
    monkeypatch.setattr(health, "MAX_SOURCES_PER_HOUR", 3)
    body = json.dumps({"event": "approved", "order": {"order_number": "x" * 5000}})
    for n in range(10):
        for address in ("203.0.113.7", "2001:db8:1:2::1", "2001:db8:1:2::99", f"198.51.100.{n}"):
            response = client.post(
                "/webhooks/points",
                data=body,
                content_type="application/json",
                headers={"X-Webhook-Secret": "whsec_guess"},
                environ_base={"REMOTE_ADDR": address},
            )
            assert response.status_code == 401
    with app.app_context():
        rows = {(f.source, f.reason): f.count for f in recent_failed_verifications()}
        stored = db.session.scalar(sa.select(sa.func.sum(sa.func.length(WebhookVerificationFailure.sample_headers))))
    # One host's IPv6 /64 is one source; the fourth source of the hour and on are "other".
    assert rows == {
        ("203.0.113.7", "wrong"): 10,
        ("2001:db8:1:2::/64", "wrong"): 20,
        ("198.51.100.0", "wrong"): 1,
        ("other", "wrong"): 9,
    }
    assert stored < 4 * health.SAMPLE_HEADERS_MAX  # 40 deliveries of 5 KB: four short rows


def test_while_the_secret_rolls_both_the_old_and_the_next_secret_are_accepted(app, deliver, make_order, reload):
    app.config["POINTS_WEBHOOK_SECRET_NEXT"] = "whsec_next_one"
    first, second = make_order(), make_order()
    assert deliver(envelope(first, "approved"), secret=SECRET).status_code == 200
    assert deliver(envelope(second, "approved"), secret="whsec_next_one").status_code == 200
    assert deliver(envelope(second, "approved"), secret="whsec_previous_guess").status_code == 401
    assert (reload(first).status, reload(second).status) == ("paid", "paid")
    app.config["POINTS_WEBHOOK_SECRET_NEXT"] = None  # the rotation is over: the old one alone again
    assert deliver(envelope(make_order(), "approved"), secret="whsec_next_one").status_code == 401


def test_no_configured_secret_never_skips_verification(app, deliver, make_order, reload):
    app.config["POINTS_WEBHOOK_SECRET"] = ""
    order = make_order()
    assert deliver(envelope(order, "approved"), secret="").status_code == 401
    assert reload(order).status == "pending_payment"


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[]",
        b'{"event": "approved"}',
        b'{"order": {"order_number": "X"}}',
        b'{"event": "approved", "order": {"id": "u"}}',
        b'{"event": "approved", "order": {"order_number": null}}',
        b'{"event": "approved", "order": {"order_number": ""}}',
        b'{"event": "", "order": {"order_number": "PTS-2026-000001"}}',
        b'{"event": "approved", "order": "PTS-2026-000001"}',
        b'{"event": ["approved"], "order": {"order_number": "PTS-2026-000001"}}',
        b'{"event": "approved", "order": {"order_number": "PTS-2026-000001", "id": "u"}}\xff',
        b"[" * 100_000,
    ],
)
def test_malformed_body_is_400_and_changes_nothing(deliver, make_order, reload, receipts, raw):
    order = make_order()
    assert deliver(None, raw=raw, event="approved").status_code == 400
    assert reload(order).status == "pending_payment"
    assert receipts()[0].outcome == "malformed"


def test_an_unknown_event_name_is_acknowledged_recorded_and_changes_nothing(deliver, make_order, reload, receipts):
    order = make_order()
    response = deliver(envelope(order, "store_rating_created"))
    assert response.status_code == 200
    assert reload(order).status == "pending_payment"
    [receipt] = receipts()
    assert receipt.outcome == "unknown_event" and receipt.event == "store_rating_created"


def test_unknown_order_number_is_404_so_points_retries(deliver, make_order, receipts):
    order = make_order()
    payload = envelope(order, "approved")
    payload["order"]["order_number"] = "PTS-2026-999999"
    assert deliver(payload).status_code == 404
    [receipt] = receipts()
    assert receipt.outcome == "unknown_order" and receipt.order_id is None


def test_leading_hash_on_order_number_is_ignored(deliver, make_order, reload):
    order = make_order()
    payload = envelope(order, "approved")
    payload["order"]["order_number"] = "#" + order.order_number
    assert deliver(payload).status_code == 200
    assert reload(order).status == "paid"


# --- What each event does ---------------------------------------------------------------------


def test_approved_pays_the_order_and_stores_points_ids(deliver, make_order, reload):
    order = make_order()
    assert deliver(envelope(order, "approved")).status_code == 200
    order = reload(order)
    assert order.status == "paid" and order.paid_at is not None
    assert order.points_uuid == UUID
    assert order.points_reference_number == "REF-2024-001234"
    assert order.points_order_status == "approved"
    assert [t.to_status for t in order.transitions] == ["pending_payment", "paid"]
    assert order.transitions[-1].source == "webhook"


def test_authorized_then_captured_pays_the_order(deliver, make_order, reload):
    order = make_order()
    deliver(envelope(order, "authorized", updated_at="2026-11-26T10:00:00.000000Z"))
    assert reload(order).status == "authorized"
    deliver(envelope(order, "captured", updated_at="2026-11-26T10:00:05.000000Z"))
    assert reload(order).status == "paid"


def test_paying_empties_the_shoppers_cart(app, deliver, make_order):
    from storefront.carts import totals
    from storefront.models import Cart, CartLine, Product

    with app.app_context():
        product = db.session.scalar(sa.select(Product).limit(1))
        cart = Cart(lines=[CartLine(product=product, quantity=2)])
        db.session.add(cart)
        db.session.commit()
        order = make_order(cart_id=cart.id, cart_fingerprint=totals(cart).fingerprint())
        cart_id = cart.id
    deliver(envelope(order, "approved"))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CartLine.id)).where(CartLine.cart_id == cart_id)) == 0


@pytest.mark.parametrize("event", ["approved", "captured"])
def test_amount_mismatch_does_not_confirm_and_goes_to_review(deliver, make_order, reload, receipts, event):
    order = make_order()
    response = deliver(envelope(order, event, total_price=order.total - Decimal("10.00")))
    assert response.status_code == 200
    order = reload(order)
    assert order.status == "needs_review" and "mismatch" in order.status_reason.lower()
    assert receipts()[0].outcome == "amount_mismatch"


def test_a_cent_of_rounding_is_not_a_mismatch(deliver, make_order, reload):
    order = make_order()
    deliver(envelope(order, "approved", total_price=order.total + Decimal("0.01")))
    assert reload(order).status == "paid"


def test_cancelled_cancels_a_pending_order_with_the_points_reason(deliver, make_order, reload):
    order = make_order()
    deliver(envelope(order, "cancelled", reason="checkout abandoned"))
    order = reload(order)
    assert order.status == "cancelled" and order.status_reason == "checkout abandoned"


def test_late_cancelled_webhook_does_not_unpay_an_order(deliver, make_order, reload, receipts):
    order = make_order()
    deliver(envelope(order, "approved", updated_at="2026-11-26T10:00:05.000000Z"))
    response = deliver(
        envelope(order, "cancelled", updated_at="2026-11-26T10:00:01.000000Z", reason="checkout expired")
    )
    assert response.status_code == 200
    assert reload(order).status == "paid"
    assert receipts()[-1].outcome == "late"


@pytest.mark.parametrize("event", ["approved", "captured"])
def test_paid_after_the_shop_cancelled_goes_to_review_never_ignored(deliver, make_order, reload, event):
    order = make_order(status="cancelled", status_reason="The cart changed")
    deliver(envelope(order, event))
    order = reload(order)
    assert order.status == "needs_review"
    assert "refund it or fulfil it" in order.status_reason


def test_refunded_before_approved_is_still_applied_as_refunded(deliver, make_order, reload):
    order = make_order()
    deliver(
        envelope(
            order,
            "refunded",
            order_status="fully_refunded",
            refund_amount=float(order.total),
            updated_at="2026-11-26T10:05:00.000000Z",
        )
    )
    late = deliver(envelope(order, "approved", updated_at="2026-11-26T10:00:00.000000Z"))
    assert late.status_code == 200
    order = reload(order)
    assert order.status == "refunded" and order.refunded_amount == order.total


def test_two_partial_refunds_add_up_and_are_not_duplicates(deliver, make_order, reload):
    order = make_order(status="paid")  # 79.00 + 25.00 shipping = 104.00
    deliver(
        envelope(
            order,
            "refunded",
            order_status="partially_refunded",
            refund_amount=20.0,
            left_amount=84.0,
            updated_at="2026-11-26T11:00:00.000000Z",
        )
    )
    deliver(
        envelope(
            order,
            "refunded",
            order_status="partially_refunded",
            refund_amount=30.0,
            left_amount=54.0,
            updated_at="2026-11-26T11:05:00.000000Z",
        )
    )
    order = reload(order)
    assert order.status == "partially_refunded" and order.refunded_amount == Decimal("50.00")
    deliver(
        envelope(
            order,
            "refunded",
            order_status="fully_refunded",
            refund_amount=54.0,
            left_amount=0,
            updated_at="2026-11-26T11:10:00.000000Z",
        )
    )
    order = reload(order)
    assert order.status == "refunded" and order.refunded_amount == order.total


def test_auto_refunded_is_a_full_refund(deliver, make_order, reload):
    order = make_order(status="paid")
    deliver(
        envelope(
            order,
            "auto_refunded",
            order_status="fully_refunded",
            refund_amount=float(order.total),
            reason="auto_refund_missing_transaction",
        )
    )
    assert reload(order).status == "refunded"


def test_shipping_updates_set_the_shipping_status_and_each_counts(deliver, make_order, reload):
    order = make_order(status="paid")
    deliver(
        envelope(
            order,
            "shipping_status_updated",
            order_status="approved",
            status="ready_shipping",
            status_label="Ready for shipping",
            updated_at="2026-11-26T12:00:00.000000Z",
        )
    )
    assert reload(order).shipping_status == "ready_shipping"
    deliver(
        envelope(
            order,
            "shipping_status_updated",
            order_status="approved",
            status="delivered",
            custom_status={"ar": "تم التوصيل", "en": "Delivered to the door"},
            updated_at="2026-11-26T15:00:00.000000Z",
        )
    )
    order = reload(order)
    assert order.shipping_status == "delivered" and order.shipping_label_en == "Delivered to the door"
    assert order.status == "paid"


def test_completed_changes_nothing(deliver, make_order, reload):
    order = make_order(status="paid")
    assert deliver(envelope(order, "completed", order_status="approved")).status_code == 200
    assert reload(order).status == "paid"


# --- At least once --------------------------------------------------------------------------


def test_duplicate_delivery_is_200_and_has_no_effect(deliver, make_order, reload, receipts):
    order = make_order(status="paid")
    payload = envelope(order, "refunded", order_status="partially_refunded", refund_amount=10.0)
    assert deliver(payload).status_code == 200
    assert deliver(payload).status_code == 200
    order = reload(order)
    assert order.refunded_amount == Decimal("10.00")
    assert [r.outcome for r in receipts()] == ["applied", "duplicate"]


def test_a_redelivery_stamped_anew_is_still_a_duplicate(deliver, make_order, reload, receipts):
    order = make_order(status="paid")
    payload = envelope(order, "refunded", order_status="partially_refunded", refund_amount=10.0, left_amount=94.0)
    deliver(payload)
    payload["timestamp"] = "2026-04-18T10:30:00.000000Z"  # the envelope's time is not part of the event
    assert deliver(payload).status_code == 200
    assert reload(order).refunded_amount == Decimal("10.00")
    assert [r.outcome for r in receipts()] == ["applied", "duplicate"]


def test_a_redelivery_with_its_keys_in_another_order_is_a_duplicate(deliver, make_order, receipts):
    order = make_order()
    payload = envelope(order, "cancelled", reason="checkout abandoned")
    deliver(payload)
    payload["order"] = dict(reversed(list(payload["order"].items())))
    deliver(payload)
    assert [r.outcome for r in receipts()] == ["applied", "duplicate"]


def test_two_partial_refunds_in_one_second_are_two_events_and_redeliveries_of_either_are_duplicates(
    deliver, make_order, reload, receipts
):
    order = make_order(status="paid")  # 79.00 + 25.00 shipping = 104.00
    same_second = "2026-04-18T15:00:00.000000Z"
    first = envelope(
        order,
        "refunded",
        order_status="partially_refunded",
        refund_amount=10.0,
        left_amount=94.0,
        reason="One line item returned",
        updated_at=same_second,
    )
    second = envelope(
        order,
        "refunded",
        order_status="partially_refunded",
        refund_amount=5.0,
        left_amount=89.0,
        reason="One line item returned",
        updated_at=same_second,
    )
    deliver(first)
    assert reload(order).refunded_amount == Decimal("10.00")
    deliver(second)
    assert reload(order).refunded_amount == Decimal("15.00")
    assert deliver(first).status_code == 200 and deliver(second).status_code == 200
    order = reload(order)
    assert order.status == "partially_refunded" and order.refunded_amount == Decimal("15.00")
    assert [r.outcome for r in receipts()] == ["applied", "applied", "duplicate", "duplicate"]


def test_an_old_refund_redelivered_late_cannot_count_twice(deliver, make_order, reload):
    order = make_order(status="paid")
    first = envelope(
        order,
        "refunded",
        order_status="partially_refunded",
        refund_amount=10.0,
        left_amount=94.0,
        updated_at="2026-04-18T15:00:00.000000Z",
    )
    deliver(first)
    deliver(
        envelope(
            order,
            "refunded",
            order_status="partially_refunded",
            refund_amount=5.0,
            left_amount=89.0,
            updated_at="2026-04-18T15:00:07.000000Z",
        )
    )
    first["order"]["metadata"] = {"source": "web", "replayed": True}  # not byte-equal: not a duplicate
    deliver(first)
    assert reload(order).refunded_amount == Decimal("15.00")  # left_amount is absolute


def test_two_shipping_updates_in_one_second_are_both_applied(deliver, make_order, reload, receipts):
    order = make_order(status="paid")
    same_second = "2026-04-18T14:00:00.000000Z"
    deliver(
        envelope(
            order,
            "shipping_status_updated",
            order_status="approved",
            status="ready_shipping",
            status_label="Ready for shipping",
            updated_at=same_second,
        )
    )
    assert reload(order).shipping_status == "ready_shipping"
    deliver(
        envelope(
            order,
            "shipping_status_updated",
            order_status="approved",
            status="delivery_is_in_progress",
            status_label="Delivery is in progress",
            updated_at=same_second,
        )
    )
    assert reload(order).shipping_status == "delivery_is_in_progress"
    assert [r.outcome for r in receipts()] == ["applied", "applied"]


def test_every_delivery_is_recorded_with_the_secret_masked(deliver, make_order, receipts):
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
    response = app.test_client().post(
        "/webhooks/points", json={"event": "noop", "order": {"order_number": "x"}}, headers={"X-Webhook-Secret": SECRET}
    )
    assert response.status_code == 200


def test_a_stale_sessions_cancel_does_not_cancel_the_order_paid_through_another(deliver, make_order, reload, receipts):
    order = make_order(points_uuid="0b8a3f4e-1111-4c4c-9d9d-000000000001")
    deliver(envelope(order, "approved"))
    stale = envelope(order, "cancelled", reason="checkout expired", updated_at="2026-11-26T10:30:00.000000Z")
    stale["order"]["id"] = "0b8a3f4e-2222-4c4c-9d9d-000000000002"
    assert deliver(stale).status_code == 200
    order = reload(order)
    assert order.status == "paid" and order.points_uuid == "0b8a3f4e-1111-4c4c-9d9d-000000000001"
    assert receipts()[-1].outcome == "other_points_order"


def test_a_second_points_order_paid_for_the_same_order_goes_to_review(deliver, make_order, reload):
    order = make_order(points_uuid="0b8a3f4e-1111-4c4c-9d9d-000000000001")
    deliver(envelope(order, "approved"))
    twice = envelope(order, "approved", updated_at="2026-11-26T10:31:00.000000Z")
    twice["order"]["id"] = "0b8a3f4e-2222-4c4c-9d9d-000000000002"
    deliver(twice)
    order = reload(order)
    assert order.status == "needs_review" and "also paid" in order.status_reason


def test_paying_leaves_a_cart_the_shopper_has_changed_since(app, deliver, make_order):
    from storefront.carts import totals
    from storefront.models import Cart, CartLine, Product

    with app.app_context():
        product, other = db.session.scalars(sa.select(Product).order_by(Product.id).limit(2)).all()
        cart = Cart(lines=[CartLine(product=product, quantity=1)])
        db.session.add(cart)
        db.session.commit()
        order = make_order(cart_id=cart.id, cart_fingerprint=totals(cart).fingerprint())
        paid = envelope(order, "approved")
        cart.lines.append(CartLine(product=other, quantity=1))  # a newer order's cart
        db.session.commit()
        cart_id = cart.id
    deliver(paid)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(CartLine.id)).where(CartLine.cart_id == cart_id)) == 2


def test_a_stale_sessions_cancel_first_does_not_hide_the_real_sessions_payment(deliver, make_order, reload):
    order = make_order()
    stale = envelope(order, "cancelled", reason="checkout expired", updated_at="2026-11-26T10:30:00.000000Z")
    stale["order"]["id"] = "0b8a3f4e-aaaa-4c4c-9d9d-00000000000a"
    deliver(stale)
    assert reload(order).status == "cancelled" and reload(order).points_uuid is None
    paid = envelope(order, "approved", updated_at="2026-11-26T10:31:00.000000Z")
    paid["order"]["id"] = "0b8a3f4e-bbbb-4c4c-9d9d-00000000000b"
    deliver(paid)
    order = reload(order)
    assert order.status == "needs_review" and order.points_uuid == "0b8a3f4e-bbbb-4c4c-9d9d-00000000000b"


def test_a_second_payment_on_a_partly_refunded_order_goes_to_review(deliver, make_order, reload):
    order = make_order(status="partially_refunded", points_uuid="0b8a3f4e-1111-4c4c-9d9d-000000000001")
    twice = envelope(order, "captured")
    twice["order"]["id"] = "0b8a3f4e-2222-4c4c-9d9d-000000000002"
    deliver(twice)
    assert reload(order).status == "needs_review"


def test_a_body_over_one_mebibyte_is_refused_unread(deliver, make_order, reload):
    order = make_order()
    assert deliver(None, raw=b"x" * (1024 * 1024 + 1), event="approved").status_code == 413
    assert reload(order).status == "pending_payment"


# --- Not our order ------------------------------------------------------------------------------


def test_an_earning_order_of_another_channel_is_acknowledged_as_not_ours(deliver, make_order, reload, receipts):
    order = make_order()
    till = order_event(
        "approved",
        points_order("POS-778812", type="earning", total_price=42.5, uuid="7d3c1a52-0b1e-4f7e-9a55-3f1f7e2b9c11"),
    )
    response = deliver(till)
    assert response.status_code == 200 and response.json["outcome"] == "not_ours"
    [receipt] = receipts()
    assert receipt.outcome == "not_ours" and receipt.order_id is None and receipt.order_number == "POS-778812"
    assert receipt.dedupe_key is None
    assert reload(order).status == "pending_payment"


@pytest.mark.parametrize("kind", ["earning", 1], ids=["webhook-name", "api-integer"])
def test_an_earning_order_is_not_ours_even_under_our_order_number(deliver, make_order, reload, receipts, kind):
    order = make_order()
    earning = envelope(order, "approved", type=kind)
    assert deliver(earning).status_code == 200
    assert receipts()[0].outcome == "not_ours"
    order = reload(order)
    assert order.status == "pending_payment" and order.points_uuid is None


@pytest.mark.parametrize(
    "order_number",
    [
        "ORD-2024-0001",
        "POS-778812",
        "PTS-26-000001",
        "pts-2026-000001",
        "PTS-2026-00001",
        "PTS-2026-000001-B",
        "#POS-778812",
    ],
)
def test_an_order_number_not_in_our_format_is_acknowledged_as_not_ours(
    deliver, make_order, reload, receipts, order_number
):
    order = make_order()
    response = deliver(
        order_event(
            "cancelled", points_order(order_number, order_status="cancelled", reason="Customer requested cancellation")
        )
    )
    assert response.status_code == 200
    assert receipts()[0].outcome == "not_ours"
    assert reload(order).status == "pending_payment"


def test_a_replacing_order_in_our_format_not_in_the_database_is_404_and_recorded(deliver, make_order, receipts):
    make_order()
    response = deliver(order_event("approved", points_order("PTS-2026-123456", type=None)))
    assert response.status_code == 404
    [receipt] = receipts()
    assert (receipt.outcome, receipt.response_status, receipt.order_number) == ("unknown_order", 404, "PTS-2026-123456")


def test_the_order_number_checkout_makes_is_in_the_format_webhooks_recognise(app_context):
    from storefront.carts import totals
    from storefront.models import Cart, CartLine, Product
    from storefront.points.checkout import ORDER_NUMBER, Customer, _pending_order_for

    cart = Cart(lines=[CartLine(product=db.session.scalar(sa.select(Product).limit(1)), quantity=1)])
    db.session.add(cart)
    db.session.commit()
    order = _pending_order_for(cart, totals(cart), Customer("Sara", "500000001", "Riyadh", "King Fahd Rd 1"))
    assert ORDER_NUMBER.fullmatch(order.order_number)


# --- Merchant events ------------------------------------------------------------------------------


@pytest.mark.parametrize("event", ["low_balance_warning", "debt_exceeded"])
def test_merchant_events_are_acknowledged_and_recorded_without_an_order(deliver, make_order, reload, receipts, event):
    order = make_order()
    response = deliver(merchant_event(event, current_balance="1500.00"))
    assert response.status_code == 200 and response.json["outcome"] == "merchant_event"
    [receipt] = receipts()
    assert receipt.outcome == "merchant_event" and receipt.event == event and receipt.order_id is None
    assert "1,500.00 SAR" in receipt.detail
    assert reload(order).status == "pending_payment"


def test_a_low_balance_warning_reads_as_the_balance_left(deliver, receipts):
    deliver(merchant_event("low_balance_warning", current_balance="1500.00"))
    assert receipts()[0].detail == "Points balance low: 1,500.00 SAR left"


def test_a_debt_exceeded_reads_as_the_balance_and_the_debt_allowed(deliver, receipts):
    deliver(merchant_event("debt_exceeded", current_balance="-5250.50", max_debt_allowed="5000.00"))
    assert receipts()[0].detail == (
        "Points account over its debt limit: balance -5,250.50 SAR, debt allowed up to 5,000.00 SAR"
    )


# --- Odd values: 400, recorded, nothing changed -------------------------------------------------

RAW = "__raw__"  # a value written into the JSON text as it stands: 1e309 and NaN are not Python's to write


def _odd(event, local_status, **changes):
    return {"event": event, "local_status": local_status, "changes": changes}


ODD_VALUES = {
    "order.id a path": _odd("approved", "pending_payment", id="../../../_control/x"),
    "order.id a uuid with a path after it": _odd(
        "approved", "pending_payment", id="550e8400-e29b-41d4-a716-446655440000/../refund"
    ),
    "order.uuid a path": _odd("approved", "pending_payment", uuid="../x"),
    "total_price NaN string": _odd("approved", "pending_payment", total_price="NaN"),
    "total_price Infinity string": _odd("approved", "pending_payment", total_price="Infinity"),
    "total_price 1e309": _odd("approved", "pending_payment", total_price=(RAW, "1e309")),
    "total_price NaN literal": _odd("approved", "pending_payment", total_price=(RAW, "NaN")),
    "total_price -Infinity literal": _odd("approved", "pending_payment", total_price=(RAW, "-Infinity")),
    "total_price negative": _odd("approved", "pending_payment", total_price=-104.0),
    "total_price beyond the column": _odd("approved", "pending_payment", total_price=1e12),
    "total_price an object": _odd("approved", "pending_payment", total_price={"amount": 104}),
    "total_price true": _odd("approved", "pending_payment", total_price=True),
    "total_price not a number": _odd("approved", "pending_payment", total_price="104 SAR"),
    "left_amount NaN": _odd(
        "refunded", "paid", order_status="partially_refunded", refund_amount=10.0, left_amount="NaN"
    ),
    "left_amount Infinity": _odd("refunded", "paid", order_status="partially_refunded", left_amount="Infinity"),
    "left_amount 1e309": _odd("refunded", "paid", order_status="partially_refunded", left_amount=(RAW, "1e309")),
    "refund_amount a list": _odd("refunded", "paid", order_status="partially_refunded", refund_amount=[10]),
    "reason an object": _odd("cancelled", "pending_payment", reason={"en": "checkout expired"}),
    "reason 10 KB": _odd("cancelled", "pending_payment", reason="x" * 10_240),
    "reason with a NUL": _odd("cancelled", "pending_payment", reason="checkout\x00expired"),
    "reason half a surrogate pair": _odd("cancelled", "pending_payment", reason="\ud800"),
    "reference_number an object": _odd("approved", "pending_payment", reference_number={"ref": "REF-1"}),
    "reference_number a list": _odd("approved", "pending_payment", reference_number=["REF-1"]),
    "reference_number 200 characters": _odd("approved", "pending_payment", reference_number="R" * 200),
    "order_number an object": _odd("approved", "pending_payment", order_number={"n": "PTS-2026-900001"}),
    "order_number a list": _odd("approved", "pending_payment", order_number=["PTS-2026-900001"]),
    "order_number a number": _odd("approved", "pending_payment", order_number=900001),
    "order_number 500 characters": _odd("approved", "pending_payment", order_number="P" * 500),
    "order_number with a NUL": _odd("approved", "pending_payment", order_number="PTS-2026-900001\x00"),
    "id an object": _odd("approved", "pending_payment", id={"uuid": UUID}),
    "id a list": _odd("approved", "pending_payment", id=[UUID]),
    "id 500 characters": _odd("approved", "pending_payment", id="u" * 500),
    "id missing": _odd("approved", "pending_payment", id=None),
    "status an object": _odd("shipping_status_updated", "paid", status={"code": "delivered"}),
    "status a list": _odd("shipping_status_updated", "paid", status=["delivered"]),
    "status 200 characters": _odd("shipping_status_updated", "paid", status="d" * 200),
    "custom_status a string": _odd("shipping_status_updated", "paid", status="delivered", custom_status="Delivered"),
    "type neither earning nor replacing": _odd("approved", "pending_payment", type="gift"),
    "type an unknown integer": _odd("approved", "pending_payment", type=3),
    "type an object": _odd("approved", "pending_payment", type={"name": "replacing"}),
    "updated_at 400 characters": _odd(
        "approved", "pending_payment", updated_at="2026-04-18T10:05:12.000000Z" + "9" * 400
    ),
    "a NUL in metadata": _odd("approved", "pending_payment", metadata={"note": "\x00"}),
    "a NUL in a key": _odd("approved", "pending_payment", **{"extra\x00key": 1}),
}


def _with_odd_value(body: dict, changes: dict) -> bytes:
    raw = {}
    for key, value in changes.items():
        if value is None:
            body["order"].pop(key, None)
        elif isinstance(value, tuple) and value[0] == RAW:
            raw[f'"{RAW}{key}"'] = value[1]
            body["order"][key] = RAW + key
        else:
            body["order"][key] = value
    text = json.dumps(body, ensure_ascii=True)  # NULs and surrogates travel as \\u escapes, as in any JSON
    for placeholder, literal in raw.items():
        text = text.replace(placeholder, literal)
    return text.encode()


def _snapshot(reload, order: Order) -> tuple:
    order = reload(order)
    return (
        order.status,
        order.status_reason,
        order.refunded_amount,
        order.points_uuid,
        order.points_reference_number,
        order.points_order_status,
        order.shipping_status,
        len(order.transitions),
    )


@pytest.mark.parametrize("case", ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_an_odd_value_is_400_recorded_and_changes_nothing(deliver, make_order, receipts, reload, case):
    order = make_order(case["local_status"])
    before = _snapshot(reload, order)
    body = envelope(order, case["event"])
    response = deliver(None, raw=_with_odd_value(body, case["changes"]), event=case["event"])
    assert response.status_code == 400
    [receipt] = receipts()
    assert (receipt.response_status, receipt.outcome, receipt.order_id) == (400, "malformed", None)
    assert receipt.detail and receipt.event == case["event"]
    assert _snapshot(reload, order) == before


@pytest.mark.parametrize(
    "data",
    [
        {"current_balance": "NaN"},
        {"current_balance": "Infinity"},
        {"max_debt_allowed": {"amount": "5000.00"}},
        {"balance_after_order": ["1200.00"]},
        {"order_points": True},
        {"current_balance": "1,500.00"},
    ],
    ids=repr,
)
def test_a_merchant_event_with_an_odd_amount_is_400_and_recorded(deliver, receipts, data):
    body = merchant_event("low_balance_warning")
    body["data"].update(data)
    assert deliver(body).status_code == 400
    [receipt] = receipts()
    assert (receipt.response_status, receipt.outcome, receipt.event) == (400, "malformed", "low_balance_warning")


@pytest.mark.parametrize(
    "body",
    [
        {"event": "debt_exceeded", "merchant": {"id": 17}, "timestamp": "2026-04-18T16:00:00.000000Z"},
        {"event": "debt_exceeded", "merchant": "Points Storefront", "data": {}},
        {"event": "debt_exceeded", "merchant": {"id": 17}, "data": ["-6200.00"]},
    ],
    ids=["no data", "merchant a string", "data a list"],
)
def test_a_merchant_event_without_its_data_object_is_400(deliver, receipts, body):
    assert deliver(body).status_code == 400
    assert receipts()[0].outcome == "malformed"


def test_a_raw_nul_byte_in_the_body_is_400_and_the_body_is_recorded_with_the_nul_escaped(
    deliver, make_order, reload, receipts
):
    order = make_order()
    text = json.dumps(envelope(order, "cancelled", reason="checkout expired")).replace(
        "checkout expired", "checkout\x00expired"
    )
    response = deliver(None, raw=text.encode(), event="cancelled")
    assert response.status_code == 400
    [receipt] = receipts()
    assert receipt.response_status == 400 and "\x00" not in receipt.body
    assert "checkout\\u0000expired" in receipt.body
    assert reload(order).status == "pending_payment"


def test_an_escaped_nul_in_the_event_name_is_400_and_recorded(deliver, make_order, reload, receipts):
    order = make_order()
    body = envelope(order, "approved")
    body["event"] = "approved\x00"
    assert deliver(body, event="approved").status_code == 400
    [receipt] = receipts()
    assert receipt.response_status == 400 and receipt.event is None
    assert reload(order).status == "pending_payment"


def test_missing_optional_keys_are_fine(deliver, make_order, reload):
    order = make_order()
    body = envelope(order, "approved", type=None, reference_number=None, metadata=None)
    del body["order"]["payment_status"], body["order"]["total_points"]
    assert deliver(body).status_code == 200
    assert reload(order).status == "paid"


def test_unknown_extra_keys_are_fine(deliver, make_order, reload):
    order = make_order()
    body = envelope(
        order,
        "approved",
        settlement_status="settled",
        items=[{"product_name": "Dates"}],
        date="2024-12-23T00:00:00.000Z",
        since="2 hours ago",
    )
    assert deliver(body).status_code == 200
    assert reload(order).status == "paid"


def test_an_amount_sent_as_a_string_is_read_as_the_amount(deliver, make_order, reload):
    order = make_order()
    assert deliver(envelope(order, "approved", total_price=f"{order.total}")).status_code == 200
    assert reload(order).status == "paid"


# --- Fast ----------------------------------------------------------------------------------------


def _statements(client, send) -> list[str]:
    from flask_sqlalchemy.record_queries import get_recorded_queries

    with client:  # keeps the request's context, where its statements were recorded
        send()
        return [q.statement.split()[0].upper() for q in get_recorded_queries()]


def test_a_delivery_not_ours_only_writes_its_receipt(client, deliver):
    body = order_event("approved", points_order("POS-778812", type="earning"))
    assert _statements(client, lambda: deliver(body)) == ["INSERT"]


def test_a_merchant_event_only_writes_its_receipt(client, deliver):
    body = merchant_event("low_balance_warning")
    assert _statements(client, lambda: deliver(body)) == ["INSERT"]


def test_paying_an_order_takes_a_handful_of_statements(client, deliver, make_order):
    body = envelope(make_order(), "approved")
    statements = _statements(client, lambda: deliver(body))
    # begin, lock the order, dedupe, read its transitions, update it, insert its transition and the receipt
    assert len(statements) <= 7, statements
