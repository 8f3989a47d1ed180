"""The presenter view and its one-click scenarios: real orders, played through the embedded sandbox
over HTTP, the shop's own code deciding what happens (tests/conftest.py's ``live`` shop)."""

import re

import pytest
import requests

ORDER_IN_URL = re.compile(r"[?&]order=([\w-]+)")


def test_outside_demo_mode_the_presenter_does_not_exist(client):
    assert client.get("/presenter/").status_code == 404
    assert client.get("/presenter/timeline").status_code == 404
    assert client.post("/presenter/scenarios/full_redeem").status_code == 404
    page = client.get("/").get_data(as_text=True)
    assert "/presenter/" not in page
    assert "buy-now" not in client.get("/products/sukkari-dates").get_data(as_text=True)


def run_scenario(live, name) -> tuple[requests.Session, str]:
    shopper = live.shopper()
    token = live.csrf_token(shopper, "/presenter/")
    response = shopper.post(f"{live.url}/presenter/scenarios/{name}", data={"csrf_token": token}, allow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    match = ORDER_IN_URL.search(response.headers["Location"])
    assert match, response.headers["Location"]
    page = shopper.get(live.url + response.headers["Location"])
    assert page.status_code == 200 and 'data-testid="watch"' in page.text
    return shopper, match.group(1)


def receipts(live, order):
    from storefront.extensions import db
    from storefront.models import WebhookReceipt

    with live.app.app_context():
        return [(r.event, r.outcome) for r in db.session.query(WebhookReceipt).filter_by(order_id=order.id)]


def test_full_and_partial_redeem_end_paid(live):
    for name in ("full_redeem", "partial_redeem"):
        _, token = run_scenario(live, name)
        order = live.order(token=token)
        assert live.wait_for_status(order.order_number, "paid").total == order.total


def test_webhook_lost_waits_then_the_shops_reconciliation_pays_it_with_no_second_click(live, monkeypatch):
    from storefront import scenarios

    monkeypatch.setattr(scenarios, "RECONCILE_AFTER_SECONDS", 0.5)  # ten seconds on stage
    shopper, token = run_scenario(live, "webhook_lost")
    order = live.order(token=token)
    paid = live.wait_for_status(order.order_number, "paid", timeout=30)  # nothing clicked
    assert all(outcome != "applied" for _, outcome in receipts(live, paid))  # the webhook was lost
    with live.app.app_context():
        from storefront.extensions import db
        from storefront.models import Order

        last = db.session.get(Order, paid.id).transitions[-1]
        assert (last.source, last.api_call.method, last.api_call.path) == (
            "reconciliation",
            "GET",
            f"/v1/orders/{paid.points_uuid}",
        )
        assert db.session.get(Order, paid.id).reconcile_claimed_at is None  # the claim released
    pane = shopper.get(f"{live.url}/presenter/timeline", params={"order": token}).text
    assert 'data-testid="reconcile"' not in pane  # nothing left to reconcile


def test_a_storm_of_duplicates_pays_once(live):
    _, token = run_scenario(live, "duplicate_storm")
    order = live.wait_for_status(live.order(token=token).order_number, "paid")
    live.drain_webhooks()
    seen = receipts(live, order)
    assert len(seen) == 6
    assert [outcome for _, outcome in seen].count("applied") == 1


def test_a_late_cancel_leaves_the_order_paid(live):
    _, token = run_scenario(live, "late_cancel")
    live.drain_webhooks()
    order = live.order(token=token)
    assert order.status == "paid"
    assert ("cancelled", "late") in receipts(live, order)


def test_a_partial_refund_shows_on_the_shoppers_page(live):
    shopper, token = run_scenario(live, "partial_refund")
    order = live.wait_for_status(live.order(token=token).order_number, "partially_refunded")
    assert str(order.refunded_amount) == "20.00"
    assert "20.00" in shopper.get(f"{live.url}/orders/{token}").text


def test_paid_after_the_shop_gave_up_goes_to_review(live):
    _, token = run_scenario(live, "paid_after_giving_up")
    live.wait_for_status(live.order(token=token).order_number, "needs_review")


def test_low_balance_warning_shows_in_the_pane(live):
    shopper, token = run_scenario(live, "low_balance")
    live.drain_webhooks()
    assert 'data-testid="account-health"' in shopper.get(f"{live.url}/presenter/timeline", params={"order": token}).text


def test_the_pane_answers_304_while_nothing_changed(live):
    shopper, token = run_scenario(live, "full_redeem")
    live.wait_for_status(live.order(token=token).order_number, "paid")
    live.drain_webhooks()
    first = shopper.get(f"{live.url}/presenter/timeline", params={"order": token})
    again = shopper.get(
        f"{live.url}/presenter/timeline", params={"order": token}, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert first.status_code == 200 and again.status_code == 304 and not again.content


def set_points_per_sar(live, rate) -> None:
    answer = requests.post(f"{live.sandbox_url}/_control/merchant", json={"earn_points_per_sar": rate})
    assert answer.status_code == 200 and answer.json()["earn_points_per_sar"] == rate


def test_cash_on_delivery_is_a_button_that_works(live):
    page = live.shopper().get(f"{live.url}/presenter/").text
    button = re.search(r'<button [^>]*data-testid="scenario-cash_on_delivery"[^>]*>', page).group(0)
    assert 'type="submit"' in button and "disabled" not in button


def test_cash_on_delivery_earns_the_sandboxs_points_per_sar_shown_in_the_pane_and_to_the_shopper(live):
    from storefront.extensions import db
    from storefront.models import PointsEarning

    set_points_per_sar(live, 7)  # not the default 10: the points are Points' figure, not the shop's
    try:
        shopper, token = run_scenario(live, "cash_on_delivery")
        live.drain_webhooks()
    finally:
        set_points_per_sar(live, 10)
    order = live.order(token=token)
    assert (order.payment_method, order.status, order.points_uuid) == ("cod", "paid", None)
    with live.app.app_context():
        earning = db.session.query(PointsEarning).filter_by(order_id=order.id).one()
        assert (earning.state, earning.attempts) == ("approved", 1) and earning.uuid
        points = earning.total_points
        sources = [(t.from_status, t.to_status, t.source) for t in earning.order.transitions]
    assert points == int(order.total * 7)
    assert sources == [(None, "awaiting_collection", "checkout"), ("awaiting_collection", "paid", "admin")]
    assert [event for event, _ in receipts(live, order)] == ["approved"]  # the earning order's webhook

    pane = shopper.get(f"{live.url}/presenter/timeline", params={"order": token}, headers={"Cookie": "lang=ar"}).text
    assert re.search(r'data-testid="pane-earning-points">\s*' + f"{points:,}", pane)
    calls_and_webhooks = re.findall(r'data-testid="tl-(call|webhook)"', pane)
    assert calls_and_webhooks == ["call", "webhook"]  # the earning call, then the webhook it caused
    assert "POST /v1/orders/earning" in pane and f"<b>total_points</b> {points}" in pane
    assert "<b>type</b> earning" in pane  # the webhook says it is the earning order's
    assert "Cash collected" not in pane and "تم تحصيل المبلغ" in pane  # the reasons in Arabic

    page = shopper.get(f"{live.url}/orders/{token}", headers={"Cookie": "lang=en"}).text
    assert 'data-testid="points-earned"' in page and f"{points:,} points" in page


def test_an_edited_webhook_body_reaches_the_shop(live):
    shopper, token = run_scenario(live, "full_redeem")
    order = live.wait_for_status(live.order(token=token).order_number, "paid")
    form = shopper.get(f"{live.url}/presenter/orders/{token}/webhook", params={"event": "approved"})
    assert order.points_uuid in form.text  # the body prepared for this order
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text).group(1)
    odd = '{"event": "approved", "order": {"id": 7}}'
    sent = shopper.post(
        f"{live.url}/presenter/orders/{token}/webhook",
        data={"csrf_token": csrf, "event": "approved", "body": odd},
        allow_redirects=False,
    )
    assert sent.status_code == 303
    live.drain_webhooks()
    assert live.order(token=token).status == "paid"  # an unreadable body changed nothing


@pytest.mark.parametrize("path", ["/presenter/", "/", "/products/sukkari-dates"])
def test_demo_pages_may_be_framed_by_the_presenter_only(live, path):
    response = requests.get(live.url + path)
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    admin = requests.get(live.url + "/admin/login")
    assert "frame-ancestors 'none'" in admin.headers["Content-Security-Policy"]


def test_the_sandbox_hosted_page_may_be_framed_by_its_own_origin_only(live):
    shopper, token = run_scenario(live, "declined_card")  # left on Points' hosted page
    hosted = requests.get(live.order(token=token).checkout_url)
    assert hosted.status_code == 200 and hosted.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert requests.get(f"{live.sandbox_url}/_control/").headers["X-Frame-Options"] == "DENY"
