"""Shoppers' journeys in a real Chromium, through the shop's pages and the sandbox's hosted checkout.

Each runs at 1280 px and at 390 px (a touch phone), in English and in Arabic (right to left). Test shoppers (points_sandbox seeds them, and
every journey starts from a fresh seed): 500000001 has 5,000 points (150 SAR), 500000002 has none,
500000003 has no account. One point is 0.03 SAR. 4111 1111 1111 1111 pays, 4000 0000 0000 0002
is declined. Shipping is 25.00 SAR under 300 SAR.
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PAYS = "4111 1111 1111 1111"
DECLINED = "4000 0000 0000 0002"


def test_redeem_the_whole_order_in_points(journey, live_shop):
    journey.add_to_cart("Sukkari Dates Box")  # 79.00 + 25.00 shipping = 104.00 SAR = 3,467 points
    journey.check_out(phone="050 000 0001")
    journey.verify_code()

    expect(journey.by_testid("balance-points")).to_contain_text("5,000")
    expect(journey.by_testid("redeem-full")).to_be_checked()
    journey.press(journey.by_testid("redeem-button"))
    journey.confirm_redemption("3,467")

    expect(journey.by_testid("redeemed-summary")).to_be_visible()
    expect(journey.by_testid("card-summary")).to_have_count(0)
    order_number = journey.back_in_the_shop()

    journey.press(journey.by_testid("order-page-link"))
    expect(journey.by_testid("order-status")).to_have_text(journey.t("Paid"))
    order = live_shop.order(order_number)
    assert (order.status, str(order.total)) == ("paid", "104.00")

    # Printed, the order page is a receipt: the order, its total with the VAT in it, no navigation.
    journey.page.emulate_media(media="print")
    expect(journey.page.locator(".site-header")).to_be_hidden()
    expect(journey.page.locator(".site-footer")).to_be_hidden()
    expect(journey.page.locator(".receipt-shop")).to_be_visible()
    expect(journey.page.locator("h1 .order-number")).to_have_text(order_number)
    expect(journey.by_testid("order-total")).to_contain_text("104.00")
    expect(journey.by_testid("vat-amount")).to_contain_text("13.57")
    expect(journey.by_testid("order-status")).to_be_visible()
    journey.page.emulate_media(media="screen")


def test_redeem_part_and_pay_the_rest_by_card(journey, live_shop):
    journey.add_to_cart("Cambodian Oud Chips")  # 240.00 + 25.00 = 265.00 SAR, more than the 150 SAR balance
    journey.check_out(phone="+966500000001")
    journey.verify_code()

    # The balance cannot cover the order: only the partial choice, capped at the balance.
    expect(journey.by_testid("redeem-full")).to_have_count(0)
    expect(journey.by_testid("redeem-partial")).to_be_checked()
    amount = journey.by_testid("partial-amount")
    amount.fill("60")
    expect(journey.by_testid("partial-points")).to_contain_text("2,000")
    journey.press(journey.by_testid("redeem-button"))
    journey.confirm_redemption("2,000")

    expect(journey.by_testid("points-applied")).to_contain_text("60")
    expect(journey.by_testid("amount-due")).to_contain_text("205")
    journey.pay_by_card(PAYS)
    expect(journey.by_testid("card-summary")).to_be_visible()
    order_number = journey.back_in_the_shop()

    order = live_shop.order(order_number)
    assert (order.status, str(order.total)) == ("paid", "265.00")


def test_a_declined_card_then_a_good_one(journey, live_shop):
    journey.add_to_cart("Taif Rose Water")  # 36.00 + 25.00 = 61.00 SAR
    journey.check_out(phone="0500000002")
    journey.verify_code()

    expect(journey.by_testid("no-points")).to_be_visible()
    journey.press(journey.by_testid("skip-redeem"))
    journey.pay_by_card(DECLINED)
    expect(journey.by_testid("card-error")).to_be_visible()
    journey.pay_by_card(PAYS)
    order_number = journey.back_in_the_shop()

    assert live_shop.order(order_number).status == "paid"


def test_an_unknown_phone_goes_through_onboarding(journey, live_shop):
    journey.add_to_cart("Camel Milk Chocolate")  # 29.00 + 25.00 = 54.00 SAR
    journey.check_out(phone="0500000003")

    expect(journey.by_testid("no-account")).to_be_visible()
    expect(journey.by_testid("masked-phone")).to_contain_text("+96650****003")
    journey.press(journey.by_testid("register-button"))
    journey.verify_code()
    expect(journey.by_testid("balance-points")).to_contain_text("0")
    journey.press(journey.by_testid("skip-redeem"))
    journey.pay_by_card(PAYS)
    order_number = journey.back_in_the_shop()

    assert live_shop.order(order_number).status == "paid"


def test_abandon_with_close_then_try_again(journey, live_shop):
    journey.add_to_cart("Maamoul Assortment")  # 58.00 + 25.00 = 83.00 SAR
    journey.check_out(phone="0500000001")
    expect(journey.by_testid("verify-title")).to_be_visible()
    journey.press(journey.by_testid("close-button"))

    # Back in the shop: the cancelled webhook follows the shopper, and the page turns to "not completed".
    expect(journey.by_testid("payment-failed")).to_be_visible(timeout=15_000)
    abandoned = live_shop.latest_order()
    assert (abandoned.status, abandoned.status_reason) == ("cancelled", "checkout abandoned")

    journey.press(journey.by_testid("try-again"))
    expect(journey.page.get_by_role("heading", name=journey.t("Checkout"), exact=True)).to_be_visible()
    # The form comes back filled in as it was sent: nothing to type again.
    for name, value in [
        ("phone", "0500000001"),
        ("name", "Sara Al-Qahtani"),
        ("city", "Riyadh"),
        ("address_line", "King Fahd Rd 1"),
    ]:
        expect(journey.page.locator(f"[name={name}]")).to_have_value(value)
    journey.press(journey.by_testid("pay-with-points"))
    journey.verify_code()
    journey.press(journey.by_testid("redeem-button"))
    journey.confirm_redemption("2,767")  # 83.00 SAR / 0.03, rounded up
    order_number = journey.back_in_the_shop()

    assert live_shop.order(order_number).status == "paid"
    assert live_shop.order(abandoned.order_number).status == "cancelled"


def test_a_delayed_webhook_shows_the_waiting_page_then_the_confirmation(journey, live_shop):
    live_shop.chaos(webhook_delay_seconds=5)  # the `sandbox` fixture turns it off again
    journey.add_to_cart("Sukkari Dates Box")
    journey.check_out(phone="0500000001")
    journey.verify_code()
    journey.press(journey.by_testid("redeem-button"))
    journey.confirm_redemption("3,467")

    expect(journey.by_testid("done-title")).to_be_visible()
    expect(journey.by_testid("payment-pending")).to_be_visible()
    # No click from here: the waiting page refreshes itself (every 2 s) until the webhook has come.
    expect(journey.by_testid("payment-confirmed")).to_be_visible(timeout=15_000)
    expect(journey.page).to_have_url(re.compile(r"[?&]waited=\d+"))
    order_number = journey.by_testid("order-number").inner_text().strip()
    assert live_shop.order(order_number).status == "paid"


def test_staff_refunds_part_of_an_order_and_the_shopper_sees_it(journey, live_shop, new_desktop_page):
    journey.add_to_cart("Khawlani Coffee Beans")  # 68.00 + 25.00 = 93.00 SAR
    journey.check_out(phone="0500000001")
    journey.verify_code()
    journey.press(journey.by_testid("redeem-button"))
    journey.confirm_redemption("3,100")
    order_number = journey.back_in_the_shop()
    journey.press(journey.by_testid("order-page-link"))
    expect(journey.by_testid("order-status")).to_have_text(journey.t("Paid"))
    expect(journey.by_testid("refunded-amount")).to_have_count(0)

    staff = new_desktop_page()
    staff.goto("/admin/login")
    staff.get_by_label("Email").fill("demo@points-storefront.test")
    staff.get_by_label("Password").fill("demo-password")
    staff.get_by_role("button", name="Log in").click()
    expect(staff.get_by_role("heading", name="Orders")).to_be_visible()
    staff.get_by_role("link", name=order_number).click()
    expect(staff.get_by_role("heading", name=order_number, level=1)).to_be_visible()
    refund = staff.locator("form.action-refund")
    refund.get_by_label("Amount (SAR)").fill("20.00")
    refund.get_by_label("Reason").fill("One bag arrived damaged")
    refund.get_by_role("button", name="Request refund").click()
    expect(staff.get_by_role("status")).to_contain_text("Refund of 20.00 SAR requested")

    # The refund reaches the shop by webhook; then the admin and the shopper's order page show it.
    live_shop.wait_for_status(order_number, "partially_refunded")
    staff.reload()
    expect(staff.locator("tr.refunded")).to_contain_text("20.00")
    journey.page.reload()
    expect(journey.by_testid("order-status")).to_have_text(journey.t("Partly refunded"))
    expect(journey.by_testid("refunded-amount")).to_contain_text("20.00")
