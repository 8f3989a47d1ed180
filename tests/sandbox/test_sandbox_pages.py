"""The hosted checkout pages over HTTP (Flask test client, CSRF on): every step, both
redemption choices, a declined card, onboarding, the ✕, expiry and the language switch."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from points_sandbox.extensions import db
from points_sandbox.models import CheckoutSession, Order, Shopper, utcnow

from .conftest import PK, REPO


def balance(app, phone):
    with app.app_context():
        shopper = db.session.scalar(sa.select(Shopper).where(Shopper.phone == phone))
        return shopper.balance if shopper else None


def order_row(app):
    with app.app_context():
        order = db.session.scalar(sa.select(Order).order_by(Order.id.desc()))
        db.session.expunge(order)
        return order


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_redeeming_the_whole_order_needs_no_card(sandbox_app, sandbox_checkout, sandbox_shopper, sandbox_deliveries):
    session_id, order_uuid = sandbox_checkout(total_price=100)
    shopper = sandbox_shopper(session_id)
    shopper.open()
    assert shopper.has("code-sent-toast") and shopper.text("masked-phone") == "+96650****001"
    shopper.verify()
    assert shopper.text("balance-points") == "5,000 نقطة" and shopper.text("balance-sar") == "150 ر.س"
    assert shopper.has("redeem-full") and shopper.has("redeem-partial")
    assert "3,334" in shopper.html  # 100 SAR / 0.03, rounded up
    shopper.post("redeem", mode="full")
    assert shopper.has("confirm-dialog") and "3,334" in shopper.text("confirm-amount")
    shopper.post("confirm")
    assert shopper.has("done-title") and not shopper.has("card-summary")
    assert shopper.text("redeemed-summary") == "تم خصم 100 ر.س ( 3,334 نقطة ) من حسابك"
    return_url = shopper.page.get_data(as_text=True)
    link = re.search(r'data-testid="return-link" *>|href="([^"]+)" data-testid="return-link"', return_url).group(1)
    assert query_of(link.replace("&amp;", "&")) == {"order": "tok123", "order_uuid": order_uuid, "status": "approved"}
    assert re.search(
        r'<meta http-equiv="refresh" content="4;url=http://shop.test/checkout/return\?order=tok123&amp;order_uuid=',
        shopper.html,
    )
    assert balance(sandbox_app, "500000001") == 5000 - 3334
    [(event, order)] = sandbox_deliveries()
    assert (event, order["order_status"], order["total_points"], order["payment_status"]) == (
        "approved",
        "approved",
        3334,
        "fully_paid",
    )


def test_a_partial_redemption_then_the_rest_by_card(sandbox_app, sandbox_checkout, sandbox_shopper, sandbox_deliveries):
    session_id, _ = sandbox_checkout(
        total_price=224, products=[{"product_name": "Box", "product_price": 224, "quantity": 1}], shipping_amount=None
    )
    shopper = sandbox_shopper(session_id)
    shopper.verify()
    # 224 SAR is 7,467 points: more than 5,000, so only the partial choice, capped at 150 SAR.
    assert not shopper.has("redeem-full") and shopper.has("redeem-partial")
    assert shopper.text("partial-cap") == "الحد الأعلى 150 ر.س"
    shopper.post("redeem", mode="partial", amount="150")
    assert "5,000" in shopper.text("confirm-amount")
    shopper.post("back")
    assert shopper.has("redeem-button") and not shopper.has("confirm-dialog")
    shopper.post("redeem", mode="partial", amount="150")
    shopper.post("confirm")
    assert shopper.text("amount-due") == "74 ر.س"
    assert balance(sandbox_app, "500000001") == 0
    shopper.post("pay", card_number="4111 1111 1111 1111")
    assert shopper.has("done-title") and "74" in shopper.text("card-summary")
    order = order_row(sandbox_app)
    assert (order.order_status, order.redeemed_points, order.card_amount, order.earned_points) == (
        "approved",
        5000,
        74,
        74,
    )
    assert balance(sandbox_app, "500000001") == 74  # 1 point per SAR paid by card
    assert [e for e, _ in sandbox_deliveries()] == ["approved"]


@pytest.mark.parametrize(
    "amount",
    ["151", "0", "-3", "abc", "300", "1e30", "100000000000000000000000000000", "NaN", "sNaN", "Infinity", "0.001"],
)
def test_a_partial_amount_beyond_the_balance_or_the_order_is_refused(sandbox_checkout, sandbox_shopper, amount):
    session_id, _ = sandbox_checkout(total_price=224, products=None, shipping_amount=None)
    shopper = sandbox_shopper(session_id)
    shopper.verify()
    shopper.post("redeem", mode="partial", amount=amount)
    assert shopper.has("redeem-error") and not shopper.has("confirm-dialog")


def test_a_declined_card_can_be_followed_by_another(sandbox_app, sandbox_checkout, sandbox_shopper, sandbox_deliveries):
    session_id, _ = sandbox_checkout()
    shopper = sandbox_shopper(session_id)
    shopper.verify()
    shopper.post("redeem", mode="none")
    assert shopper.text("amount-due") == "100 ر.س"
    shopper.post("pay", card_number="4000 0000 0000 0002")
    assert shopper.text("card-error") == "تم رفض البطاقة، جرّب بطاقة أخرى"
    assert order_row(sandbox_app).order_status == "new" and sandbox_deliveries() == []
    shopper.post("pay", card_number="1234")
    assert shopper.has("card-error") and shopper.has("pay-button")
    shopper.post("pay", card_number="4111111111111111")
    assert shopper.has("done-title") and order_row(sandbox_app).order_status == "approved"


def test_an_unknown_phone_goes_through_onboarding(sandbox_app, sandbox_checkout, sandbox_shopper):
    session_id, _ = sandbox_checkout(phone_number="500000003")
    shopper = sandbox_shopper(session_id)
    shopper.open()
    assert shopper.text("no-account") == "للاسف ما عندك حساب في بوينتس"
    assert shopper.has("register-button") and shopper.has("change-number")
    shopper.post("register")
    assert balance(sandbox_app, "500000003") == 0
    shopper.verify()
    assert shopper.has("no-points") and not shopper.has("redeem-button")
    shopper.post("redeem", mode="none")
    shopper.post("pay", card_number="4111111111111111")
    assert shopper.has("done-title") and balance(sandbox_app, "500000003") == 100


def test_changing_the_number_from_onboarding(sandbox_checkout, sandbox_shopper):
    session_id, _ = sandbox_checkout(phone_number="500000003")
    shopper = sandbox_shopper(session_id)
    shopper.open("/phone")
    assert shopper.has("phone-input")
    shopper.post("phone", phone="05 0000 0002")
    assert shopper.text("masked-phone") == "+96650****002"
    shopper.verify()
    assert shopper.text("balance-points") == "0 نقطة"


def test_a_checkout_without_a_phone_asks_for_one(sandbox_checkout, sandbox_shopper):
    session_id, _ = sandbox_checkout(phone_number=None)
    shopper = sandbox_shopper(session_id)
    shopper.open()
    assert shopper.has("phone-input") and shopper.has("phone-continue")
    shopper.post("phone", phone="12345")
    assert shopper.has("phone-error") and shopper.has("phone-input")
    shopper.post("phone", phone="+966500000001")
    assert shopper.has("otp-input")


def test_a_wrong_code_is_refused(sandbox_checkout, sandbox_shopper):
    session_id, _ = sandbox_checkout()
    shopper = sandbox_shopper(session_id)
    shopper.open()
    code = shopper.text("otp-code")
    shopper.post("verify", code="0000" if code != "0000" else "1111")
    assert shopper.text("otp-error") == "رمز التحقق غير صحيح" and shopper.has("otp-input")
    assert shopper.has("resend-countdown")
    shopper.post("resend")
    assert shopper.has("otp-code")


def test_the_close_button_abandons_and_gives_the_points_back(
    sandbox_app, sandbox_checkout, sandbox_shopper, sandbox_deliveries
):
    session_id, order_uuid = sandbox_checkout(total_price=224, products=None, shipping_amount=None)
    shopper = sandbox_shopper(session_id)
    shopper.verify()
    shopper.post("redeem", mode="partial", amount="30")
    shopper.post("confirm")
    assert balance(sandbox_app, "500000001") == 4000
    response = shopper.post("close")
    assert response.status_code == 303
    assert query_of(response.location) == {"order": "tok123", "order_uuid": order_uuid, "status": "cancelled"}
    assert balance(sandbox_app, "500000001") == 5000
    [(event, order)] = sandbox_deliveries()
    assert (event, order["reason"]) == ("cancelled", "checkout abandoned")
    shopper.open()
    assert shopper.has("ended-title") and shopper.has("return-link")


def test_closing_after_success_only_returns_to_the_store(
    sandbox_app, sandbox_checkout, sandbox_shopper, sandbox_deliveries
):
    session_id, _ = sandbox_checkout()
    shopper = sandbox_shopper(session_id)
    shopper.verify()
    shopper.post("redeem", mode="full")
    shopper.post("confirm")
    response = shopper.post("close")
    assert query_of(response.location)["status"] == "approved"
    assert [e for e, _ in sandbox_deliveries()] == ["approved"]


def test_an_expired_session_shows_a_friendly_page_and_cancels_once(
    sandbox_app, sandbox_checkout, sandbox_shopper, sandbox_deliveries
):
    session_id, order_uuid = sandbox_checkout()
    with sandbox_app.app_context():
        db.session.get(CheckoutSession, session_id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    shopper = sandbox_shopper(session_id)
    shopper.open()
    assert shopper.has("expired-title")
    assert (
        query_of(re.search(r'href="([^"]+)" data-testid="return-link"', shopper.html).group(1).replace("&amp;", "&"))[
            "status"
        ]
        == "cancelled"
    )
    shopper.open()
    assert [(e, o["reason"]) for e, o in sandbox_deliveries()] == [("cancelled", "checkout expired")]
    assert order_row(sandbox_app).cancel_reason == "checkout expired"


def test_sessions_live_thirty_minutes_by_default(sandbox_app, sandbox_checkout):
    session_id, _ = sandbox_checkout()
    with sandbox_app.app_context():
        cs = db.session.get(CheckoutSession, session_id)
        assert timedelta(minutes=29, seconds=50) < cs.expires_at - cs.created_at <= timedelta(minutes=30)


def test_two_step_merchants_get_authorized_then_captured(
    sandbox_app, sandbox_client, sandbox_checkout, sandbox_shopper, sandbox_deliveries
):
    sandbox_client.post("/_control/merchant", json={"two_step": True})
    session_id, _ = sandbox_checkout()
    shopper = sandbox_shopper(session_id)
    shopper.verify()
    shopper.post("redeem", mode="none")
    shopper.post("pay", card_number="4111111111111111")
    events = sandbox_deliveries()
    assert [(e, o["order_status"]) for e, o in events] == [("authorized", "authorized"), ("captured", "captured")]
    assert events[0][1]["updated_at"] <= events[1][1]["updated_at"]  # to the second: often equal
    assert "status=captured" in shopper.html


def test_arabic_by_default_and_english_when_asked(sandbox_checkout, sandbox_shopper):
    session_id, _ = sandbox_checkout()
    shopper = sandbox_shopper(session_id)
    shopper.open()
    assert '<html lang="ar" dir="rtl">' in shopper.html and shopper.text("verify-title") == "تحقق من رقمك"
    assert shopper.text("lang-switch") == "English"
    shopper.open(lang="en")
    assert '<html lang="en" dir="ltr">' in shopper.html and shopper.text("verify-title") == "Verify your number"
    shopper.open()  # remembered in the sandbox's session cookie
    assert shopper.text("verify-button") == "Verify"


def test_forms_need_the_csrf_token(sandbox_client, sandbox_checkout):
    session_id, _ = sandbox_checkout()
    sandbox_client.get(f"/checkout/{session_id}")
    assert sandbox_client.post(f"/checkout/{session_id}/verify", data={"code": "1234"}).status_code == 400
    assert sandbox_client.post(f"/checkout/{session_id}/close").status_code == 400


def test_an_unknown_session_is_a_friendly_404(sandbox_client):
    response = sandbox_client.get("/checkout/nope")
    assert response.status_code == 404 and b'data-testid="not-found-title"' in response.data


def test_a_stale_form_does_not_skip_a_step(sandbox_checkout, sandbox_shopper):
    session_id, _ = sandbox_checkout()
    shopper = sandbox_shopper(session_id)
    shopper.open()
    shopper.post("pay", card_number="4111111111111111")
    assert shopper.has("otp-input") and shopper.has("error-message") is False


def test_every_url_carries_the_mount_prefix(sandbox_app):
    """Mounted as in demo mode: checkout_url, form actions and assets all start with the prefix."""

    def shop(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"shop"]

    client = Client(DispatcherMiddleware(shop, {"/points-sandbox": sandbox_app}))
    response = client.post(
        f"/points-sandbox/api/v1/orders/checkout/{PK}",
        json={"total_price": 10, "order_number": "M-1"},
        base_url="http://127.0.0.1:5123",
    )
    url = response.json["data"]["checkout_url"]
    assert url.startswith("http://127.0.0.1:5123/points-sandbox/checkout/")
    html = client.get(urlsplit(url).path).get_data(as_text=True)
    paths = re.findall(r'(?:href|src|action)="(/[^"]*)"', html)
    assert paths and all(p.startswith("/points-sandbox/") for p in paths), paths
    with sandbox_app.app_context():
        assert db.session.scalar(sa.select(Order.origin)) == "http://127.0.0.1:5123"


def test_every_data_testid_is_listed_in_the_readme():
    readme = (REPO / "points_sandbox" / "README.md").read_text(encoding="utf-8")
    templates = (REPO / "points_sandbox" / "templates" / "sandbox").glob("*.html")
    testids = {t for path in templates for t in re.findall(r'data-testid="([\w-]+)"', path.read_text(encoding="utf-8"))}
    missing = sorted(t for t in testids if f"`{t}`" not in readme)
    assert not missing, f"data-testids missing from points_sandbox/README.md: {missing}"


# --- The order moving under the shopper (review findings) ---------------------------------------


def _at_the_pay_step(sandbox_checkout, sandbox_shopper):
    session_id, order_uuid = sandbox_checkout()
    shopper = sandbox_shopper(session_id)
    shopper.verify()
    shopper.post("redeem", mode="none")
    assert shopper.has("pay-button")
    return shopper, order_uuid


@pytest.mark.parametrize("two_step", [False, True])
def test_paying_an_order_the_merchant_authorized_mid_checkout_captures_it(
    sandbox_app, sandbox_client, sandbox_checkout, sandbox_shopper, sandbox_deliveries, two_step
):
    sandbox_client.post("/_control/merchant", json={"two_step": two_step})
    shopper, order_uuid = _at_the_pay_step(sandbox_checkout, sandbox_shopper)
    assert (
        sandbox_client.post(
            f"/api/v1/orders/{order_uuid}/authorize", headers={"x-api-key": "sk_sandbox_demo"}
        ).status_code
        == 200
    )
    shopper.post("pay", card_number="4111111111111111")
    assert shopper.has("done-title") and "status=captured" in shopper.html
    order = order_row(sandbox_app)
    assert (order.order_status, order.settlement_status, order.card_amount) == ("captured", "settled", 100)
    assert [e for e, _ in sandbox_deliveries()] == ["authorized", "captured"]


@pytest.mark.parametrize(
    "session_state, title", [("expired", "expired-title"), ("cancelled", "ended-title"), ("open", "ended-title")]
)
def test_an_order_cancelled_while_the_shopper_pays_is_no_server_error(
    sandbox_app, sandbox_checkout, sandbox_shopper, sandbox_deliveries, monkeypatch, session_state, title
):
    """The expiry sweep (or the merchant) cancels between the step check and the payment."""
    from points_sandbox import checkout

    shopper, _ = _at_the_pay_step(sandbox_checkout, sandbox_shopper)
    checked = checkout._require

    def require_then_lose_the_race(session, *steps):
        checked(session, *steps)
        with db.engine.begin() as other:  # another thread, another connection
            other.execute(sa.update(Order).values(order_status="cancelled", version=Order.version + 1))
            other.execute(sa.update(CheckoutSession).values(state=session_state))

    monkeypatch.setattr(checkout, "_require", require_then_lose_the_race)
    response = shopper.post("pay", follow=False, card_number="4111111111111111")
    assert response.status_code == 303
    shopper.open()
    assert shopper.has(title) and not shopper.has("pay-button")
    order = order_row(sandbox_app)
    assert (order.order_status, order.card_amount, order.settlement_status) == ("cancelled", 0, None)
    assert sandbox_deliveries() == []


def _code(shopper):
    return re.search(r'data-testid="otp-code">(\d{4})<', shopper.html).group(1)


def _sent_ago(app, session_id, seconds):
    with app.app_context():
        db.session.get(CheckoutSession, session_id).otp_sent_at = utcnow() - timedelta(seconds=seconds)
        db.session.commit()


@pytest.mark.parametrize("waited, resent", [(0, False), (29, False), (31, True)])
def test_resend_waits_for_the_countdown(sandbox_app, sandbox_checkout, sandbox_shopper, waited, resent):
    session_id, _ = sandbox_checkout()
    shopper = sandbox_shopper(session_id)
    shopper.open(lang="en")
    first = _code(shopper)
    _sent_ago(sandbox_app, session_id, waited)
    codes = set()
    for _ in range(5):  # a fresh code is random: five resends would surely change it once
        _sent_ago(sandbox_app, session_id, waited)
        shopper.post("resend")
        codes.add(_code(shopper))
    assert shopper.has("verify-title")
    if resent:
        assert codes != {first} and not shopper.has("otp-error")
    else:
        assert codes == {first}
        assert shopper.text("otp-error") == f"You can resend the code in {30 - waited} seconds"


def test_resend_after_verifying_changes_nothing(sandbox_app, sandbox_checkout, sandbox_shopper):
    session_id, _ = sandbox_checkout()
    shopper = sandbox_shopper(session_id)
    shopper.verify()
    with sandbox_app.app_context():
        before = db.session.get(CheckoutSession, session_id).otp_code
    _sent_ago(sandbox_app, session_id, 60)
    shopper.post("resend")
    assert shopper.has("redeem-title") and shopper.has("redeem-error")  # wrong_step, on the current step
    with sandbox_app.app_context():
        assert db.session.get(CheckoutSession, session_id).otp_code == before
