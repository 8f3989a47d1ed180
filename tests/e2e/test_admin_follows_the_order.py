"""The back office moves by itself: a webhook lands and the open order page and order list show it
without a reload (static/js/live.js polling with If-None-Match)."""

from playwright.sync_api import expect


def log_in(staff):
    staff.goto("/admin/login")
    staff.get_by_label("Email").fill("demo@points-storefront.test")
    staff.get_by_label("Password").fill("demo-password")
    staff.get_by_role("button", name="Log in").click()
    expect(staff.get_by_role("heading", name="Orders")).to_be_visible()


def test_a_webhook_updates_the_open_order_page_and_list_without_a_reload(live_shop, new_desktop_page, sandbox):
    shopper = live_shop.shopper()
    checkout_url = live_shop.start_checkout(shopper)
    order = live_shop.latest_order()

    staff = new_desktop_page()
    log_in(staff)
    listing = staff.context.new_page()  # a second tab of the same staff member
    staff.goto(f"/admin/orders/{order.order_number}")
    listing.goto("/admin/orders")
    row = listing.locator("tr", has=listing.get_by_role("link", name=order.order_number))
    expect(row.locator(".status-badge")).to_have_text("Pending payment")
    expect(staff.locator(".order-badges .status-badge")).to_have_text("Pending payment")
    expect(staff.locator(".tl-entry.kind-webhook")).to_have_count(0)
    for page in (staff, listing):
        page.evaluate("window.notReloaded = true")

    live_shop.complete(checkout_url)  # the sandbox sends the approved webhook

    expect(staff.locator(".order-badges .status-badge")).to_have_text("Paid")
    expect(staff.locator(".tl-entry.kind-webhook").first).to_contain_text("approved")
    expect(staff.locator(".tl-entry.kind-transition").last).to_contain_text("pending payment → paid")
    expect(row.locator(".status-badge")).to_have_text("Paid")
    for page in (staff, listing):
        assert page.evaluate("window.notReloaded") is True
    # What staff are typing into is not swept away: the actions wait until they leave the form.
    reason = staff.locator("form.action-refund").get_by_label("Reason")
    reason.fill("half typed")
    paid = live_shop.order(order.order_number)
    refunded = live_shop.points_api("POST", f"/v1/orders/{paid.points_uuid}/refund", json={"amount": 10, "reason": "x"})
    assert refunded.status_code == 200, refunded.text[:300]
    expect(staff.locator(".order-badges .status-badge")).to_have_text("Partially refunded")
    expect(reason).to_have_value("half typed")
    expect(staff.locator("form.action-refund")).to_contain_text(f"{paid.total:,.2f}")  # not yet what is left
    reason.fill("")
    reason.blur()
    expect(staff.locator("form.action-refund")).to_contain_text(f"{paid.total - 10:,.2f}")
