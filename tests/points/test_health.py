"""Staff see Points' latest word about the merchant account, and the deliveries about no order of ours."""

import re

from points_webhooks import deliver, merchant_event, order_event, points_order


def page(staff_client, path: str) -> str:
    response = staff_client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def health_panel(html: str) -> str:
    match = re.search(r'<section class="card account-health.*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_the_orders_page_shows_the_latest_merchant_event_as_the_accounts_health(staff_client):
    deliver(
        staff_client,
        merchant_event("debt_exceeded", current_balance="-5250.50", timestamp="2026-04-18T15:00:00.000000Z"),
    )
    deliver(
        staff_client,
        merchant_event(
            "low_balance_warning",
            current_balance="1500.00",
            max_debt_allowed="5000.00",
            balance_after_order="1200.00",
            timestamp="2026-04-18T16:00:00.000000Z",
        ),
    )
    panel = health_panel(page(staff_client, "/admin/orders"))
    assert "Points balance low: 1,500.00 SAR left" in panel
    assert "5,000.00" in panel and "1,200.00" in panel and "low_balance_warning" in panel
    assert "-5,250.50" not in panel and "debt limit" not in panel  # an older event, no longer the news


def test_a_debt_exceeded_shows_as_the_accounts_health_on_the_webhooks_page(staff_client):
    deliver(staff_client, merchant_event("low_balance_warning", current_balance="1500.00"))
    deliver(staff_client, merchant_event("debt_exceeded", current_balance="-5250.50", max_debt_allowed="5000.00"))
    panel = health_panel(page(staff_client, "/admin/webhooks"))
    assert "Points account over its debt limit: balance -5,250.50 SAR, debt allowed up to 5,000.00 SAR" in panel
    assert "account-health-bad" in panel


def test_no_health_panel_before_points_has_said_anything_about_the_account(staff_client, make_order):
    make_order()
    assert health_panel(page(staff_client, "/admin/orders")) == ""


def test_the_webhooks_page_lists_merchant_events_and_deliveries_not_ours(staff_client):
    deliver(staff_client, merchant_event("low_balance_warning", current_balance="1500.00"))
    deliver(staff_client, order_event("approved", points_order("POS-778812", type="earning")))
    html = page(staff_client, "/admin/webhooks")
    assert "merchant account" in html and "not our order" in html
    assert "POS-778812" in html and "an earning order" in html
    listed = receipts_listed(page(staff_client, "/admin/webhooks?outcome=not_ours"))
    assert "POS-778812" in listed and "low_balance_warning" not in listed


def receipts_listed(html: str) -> str:
    match = re.search(r'<ol class="receipts">.*?</ol>', html, re.S)
    return match.group(0) if match else ""
