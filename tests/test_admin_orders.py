"""What staff see: the orders table, one order's timeline, and the webhooks that matched no order."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_sqlalchemy.record_queries import get_recorded_queries

from storefront.extensions import db
from storefront.models import OrderTransition, PointsApiCall, WebhookReceipt, utcnow


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- The orders table -------------------------------------------------------------------------


def test_the_orders_table_shows_the_facts_with_the_phone_masked(staff_client, make_order):
    order = make_order(
        "paid",
        points_uuid="0b6f6c1e-0000-4000-8000-000000000001",
        points_reference_number="REF-2026-000777",
        shipping_status="ready_shipping",
    )
    html = page_text(staff_client.get("/admin/orders"))
    assert order.order_number in html and "REF-2026-000777" in html
    assert "5****0001" in html and "500000001" not in html
    assert f"{order.total:,.2f}" in html
    assert "status-paid" in html and "Ready to ship" in html


def test_orders_are_filtered_by_status(staff_client, make_order):
    paid, pending = make_order("paid"), make_order("pending_payment")
    html = page_text(staff_client.get("/admin/orders?status=paid"))
    assert paid.order_number in html and pending.order_number not in html


@pytest.mark.parametrize("query", ["900002", "PTS-2026-900002", "REF-2026-0002", "ref-2026-0002"])
def test_orders_are_found_by_order_number_or_points_reference(staff_client, make_order, query):
    first = make_order(points_reference_number="REF-2026-0001")
    second = make_order(points_reference_number="REF-2026-0002")
    html = page_text(staff_client.get("/admin/orders", query_string={"q": query}))
    assert second.order_number in html and first.order_number not in html


def pager_link(html: str, rel: str) -> str:
    match = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else ""


def test_orders_are_paginated_newest_first_by_keyset(staff_client, make_order):
    same_moment = utcnow()
    made = [make_order(created_at=same_moment if n % 2 else same_moment - timedelta(seconds=n)) for n in range(30)]
    newest_first = sorted(made, key=lambda o: (o.created_at, o.id), reverse=True)
    first = page_text(staff_client.get("/admin/orders"))
    assert newest_first[0].order_number in first and newest_first[25].order_number not in first
    assert pager_link(first, "prev") == "" and "?older=" in pager_link(first, "next")
    second = page_text(staff_client.get(pager_link(first, "next")))
    shown = [o.order_number for o in newest_first if o.order_number in second]
    assert shown == [o.order_number for o in newest_first[25:]]  # the five oldest, none twice
    assert pager_link(second, "next") == ""
    back = page_text(staff_client.get(pager_link(second, "prev")))
    assert [o.order_number for o in newest_first if o.order_number in back] == [
        o.order_number for o in newest_first[:25]
    ]


def test_order_counts_stop_at_a_thousand(staff_client, make_order, monkeypatch):
    from storefront.admin import views

    monkeypatch.setattr(views, "COUNT_CAP", 3)
    for _ in range(5):
        make_order("paid")
    make_order("cancelled")
    html = page_text(staff_client.get("/admin/orders"))
    assert re.search(r'All <span class="count">3\+</span>', html)
    assert re.search(r'filter-cancelled">[^<]*<span class="count">1</span>', html)


def queries_for(client, path) -> int:
    with client:  # keeps the request's context, where its queries were recorded
        client.get(path)
        return len(get_recorded_queries())


def test_the_query_count_does_not_grow_with_the_page_size(staff_client, make_order):
    staff_client.get("/admin/orders")  # warm whatever the layout caches
    for _ in range(5):
        make_order(shipping_status="new")
    five = queries_for(staff_client, "/admin/orders?per_page=5")
    for _ in range(45):
        make_order(shipping_status="new")
    fifty = queries_for(staff_client, "/admin/orders?per_page=50")
    assert five == fifty, (five, fifty)


def test_an_unknown_order_is_a_404(staff_client):
    assert staff_client.get("/admin/orders/PTS-0000-000000").status_code == 404


# --- One order and its timeline ----------------------------------------------------------------


def test_an_order_shows_its_lines_totals_and_points_uuid(staff_client, make_order):
    order = make_order(
        "paid",
        lines=(("sukkari-dates", 2),),
        points_uuid="0b6f6c1e-0000-4000-8000-0000000000aa",
        points_order_status="approved",
    )
    html = page_text(staff_client.get(f"/admin/orders/{order.order_number}"))
    line = order.lines[0]
    assert line.product_name in html and f"{line.line_total:,.2f}" in html
    assert f"{order.total:,.2f}" in html
    assert "0b6f6c1e-0000-4000-8000-0000000000aa" in html
    assert "5****0001" in html and "500000001" not in html


def add_story(order, secret="whsec_sandbox_demo", private_key="sk_sandbox_demo"):
    """A checkout call, an approved webhook, its duplicate, two more, and the status change it made."""
    start = order.created_at
    at = iter(start + timedelta(seconds=n) for n in range(1, 100))
    db.session.add_all(
        [
            PointsApiCall(
                order_id=order.id,
                method="POST",
                path="/v1/orders/checkout/pk_sandbox_demo",
                request_body=json.dumps(
                    {"order_number": order.order_number, "phone_number": "500000001", "note": f"leaked {private_key}"}
                ),
                response_status=200,
                response_body=json.dumps({"data": {"checkout_url": "https://x/c/1"}}),
                duration_ms=42,
                created_at=next(at),
            ),
            WebhookReceipt(
                order_id=order.id,
                event="approved",
                order_number=order.order_number,
                headers=json.dumps({"X-Webhook-Event": "approved", "X-Webhook-Secret": secret}),
                body=json.dumps({"event": "approved", "order": {"order_number": order.order_number}}),
                response_status=200,
                outcome="applied",
                detail="approved -> paid",
                dedupe_key="k1",
                received_at=next(at),
            ),
            WebhookReceipt(
                order_id=order.id,
                event="approved",
                order_number=order.order_number,
                headers=json.dumps({"X-Webhook-Secret": secret}),
                body="{}",
                response_status=200,
                outcome="duplicate",
                detail="already processed; nothing changed",
                received_at=next(at),
            ),
            WebhookReceipt(
                order_id=order.id,
                event="cancelled",
                order_number=order.order_number,
                headers="{}",
                body="{}",
                response_status=200,
                outcome="late",
                detail="order is already paid; a late cancel does not undo it",
                received_at=next(at),
            ),
            WebhookReceipt(
                order_id=order.id,
                event="captured",
                order_number=order.order_number,
                headers="{}",
                body="{}",
                response_status=200,
                outcome="amount_mismatch",
                detail="Points total 1.00 != 2.00",
                received_at=next(at),
            ),
            OrderTransition(
                order_id=order.id,
                from_status="pending_payment",
                to_status="paid",
                source="webhook",
                created_at=next(at),
            ),
        ]
    )
    db.session.commit()


def test_the_timeline_tells_every_call_webhook_and_change_in_order(app, staff_client, make_order):
    order = make_order(points_uuid="u-1")
    with app.app_context():
        add_story(order)
    html = page_text(staff_client.get(f"/admin/orders/{order.order_number}"))
    kinds = [part.split('"', 1)[0] for part in html.split('class="tl-entry kind-')[1:]]
    assert kinds == ["transition", "call", "webhook", "webhook", "webhook", "webhook", "transition"]
    assert "POST /v1/orders/checkout/{publicKey}" in html
    for chip in ("applied", "duplicate", "late", "amount mismatch"):
        assert f">{chip}</span>" in html
    assert "a late cancel does not undo it" in html
    assert "pending payment → paid" in html


def test_the_timeline_never_shows_a_key_a_secret_or_a_phone(app, staff_client, make_order):
    order = make_order(points_uuid="u-1")
    with app.app_context():
        add_story(order)
    html = page_text(staff_client.get(f"/admin/orders/{order.order_number}"))
    for secret in ("whsec_sandbox_demo", "sk_sandbox_demo", "pk_sandbox_demo", "500000001"):
        assert secret not in html
    assert "***(18 chars)" in html  # the webhook secret, masked
    assert "5****0001" in html


def test_an_order_points_has_as_new_offers_reconcile_and_cancel_but_not_refund(staff_client, make_order):
    order = make_order(points_uuid="u-1", points_order_status="new", checkout_url="https://x/c/1")
    html = page_text(staff_client.get(f"/admin/orders/{order.order_number}"))
    assert "Reconcile now" in html and "Cancel at Points" in html and "Request refund" not in html
    assert 'data-testid="not-offered"' not in html


def test_a_pending_order_with_no_points_order_offers_nothing_that_cannot_work_and_says_why(staff_client, make_order):
    """Cancel would answer "reconcile it first", and reconcile "nothing to ask": neither is offered."""
    order = make_order(checkout_url="https://x/c/1")
    html = page_text(staff_client.get(f"/admin/orders/{order.order_number}"))
    assert "Cancel at Points" not in html and "Reconcile now" not in html
    assert "No Points order is known yet (no webhook, no callback): nothing to cancel or ask at Points." in html
    assert "after the 30-minute session life" in html


def test_a_pending_order_past_its_session_life_offers_reconcile(staff_client, make_order):
    order = make_order(checkout_url="https://x/c/1", created_at=utcnow() - timedelta(hours=1))
    html = page_text(staff_client.get(f"/admin/orders/{order.order_number}"))
    assert "Reconcile now" in html and "Cancel at Points" not in html


def test_cancel_waits_for_a_status_points_can_cancel(staff_client, make_order):
    order = make_order(points_uuid="u-1", points_order_status="approved", checkout_url="https://x/c/1")
    html = page_text(staff_client.get(f"/admin/orders/{order.order_number}"))
    assert "Cancel at Points" not in html and "Reconcile now" in html
    assert "Points has the order as approved" in html


def test_a_failed_checkout_says_what_it_is_on_the_order_and_the_list(staff_client, make_order):
    order = make_order(last_error="Checkout call failed: Points answered 500 (server_error)")
    html = page_text(staff_client.get(f"/admin/orders/{order.order_number}"))
    assert "the shopper was never sent to Points: no Points order exists and nothing can be charged" in html
    assert "Cancel at Points" not in html and "Reconcile now" not in html
    listing = page_text(staff_client.get("/admin/orders"))
    assert "Checkout call failed: never sent to Points" in listing


def test_a_paid_order_offers_shipping_and_refund(staff_client, make_order):
    order = make_order("paid", points_uuid="u-1", points_order_status="approved", refunded_amount=Decimal("10.00"))
    html = page_text(staff_client.get(f"/admin/orders/{order.order_number}"))
    assert "Update shipping" in html and "Request refund" in html and "Cancel at Points" not in html
    assert f"{order.total - Decimal('10.00'):,.2f}" in html  # what is left to refund


# --- Webhooks that matched no order -----------------------------------------------------------


def test_unmatched_and_unverified_webhooks_have_their_own_page(app, staff_client, make_order):
    order = make_order()
    with app.app_context():
        db.session.add_all(
            [
                WebhookReceipt(
                    event="approved",
                    order_number="PTS-1999-000001",
                    headers="{}",
                    body='{"event": "approved"}',
                    response_status=404,
                    outcome="unknown_order",
                    detail="no order 'PTS-1999-000001' here (yet)",
                ),
                WebhookReceipt(
                    order_id=order.id,
                    event="approved",
                    order_number="MATCHED-ONE",
                    headers="{}",
                    body="{}",
                    response_status=200,
                    outcome="applied",
                ),
            ]
        )
        db.session.commit()
    forged = staff_client.post(
        "/webhooks/points",
        json={"event": "approved", "order": {"order_number": order.order_number}},
        headers={"X-Webhook-Secret": "whsec_guess", "X-Webhook-Event": "approved"},
    )
    assert forged.status_code == 401
    html = page_text(staff_client.get("/admin/webhooks"))
    assert "PTS-1999-000001" in html and "no such order" in html
    assert "Failed verifications" in html and "***(11 chars)" in html and "whsec_guess" not in html
    assert "MATCHED-ONE" not in html
    only_unknown = page_text(staff_client.get("/admin/webhooks?outcome=unknown_order"))
    assert "PTS-1999-000001" in only_unknown
