"""The hosted pages' sandbox-only shortcuts, by plain form posts (no JavaScript): a test phone,
the code shown and a test card are each one tap that completes the step; and the pages' language
follows the browser's Accept-Language until the switch is used."""

import html
import re

import pytest
import sqlalchemy as sa

from points_sandbox.extensions import db
from points_sandbox.models import Order


def tap(shopper, testid: str, page: str | None = None):
    """Submit the small form holding the button `testid`, as a browser without JavaScript does."""
    for match in re.finditer(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page or shopper.html, re.S):
        action, inner = match.groups()
        if f'data-testid="{testid}"' in inner:
            fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', inner))
            response = shopper.client.post(html.unescape(action), data=fields)
            assert response.status_code == 303
            shopper.open(response.location[len(shopper.base) :])
            return shopper.page
    raise AssertionError(f"no form holds {testid}")


def order_status(app, uuid):
    with app.app_context():
        return db.session.scalar(sa.select(Order.order_status).where(Order.uuid == uuid))


def test_test_phone_code_and_test_cards_are_one_tap_each(sandbox_app, sandbox_checkout, sandbox_shopper):
    session_id, order_uuid = sandbox_checkout(phone_number=None)
    shopper = sandbox_shopper(session_id)
    shopper.open()
    assert shopper.has("phone-title") and "للتجربة فقط" in shopper.text("test-phones")
    tap(shopper, "test-phone-500000002")  # no points: straight to the card after verifying
    assert shopper.has("verify-title") and shopper.text("masked-phone") == "+96650****002"
    assert "للتجربة فقط" in shopper.text("otp-code-box")
    tap(shopper, "fill-test-shopper")
    assert shopper.has("no-points")
    shopper.post("redeem", mode="none")
    assert shopper.has("pay-title") and "للتجربة فقط" in shopper.text("test-cards")
    tap(shopper, "test-card-4000000000000002")
    assert shopper.text("card-error") == "تم رفض البطاقة، جرّب بطاقة أخرى"
    assert order_status(sandbox_app, order_uuid) == "new"
    tap(shopper, "test-card-4111111111111111")
    assert shopper.has("done-title") and order_status(sandbox_app, order_uuid) == "approved"


def test_change_number_and_onboarding_offer_the_test_phones(sandbox_checkout, sandbox_shopper):
    session_id, _ = sandbox_checkout(phone_number="500000003")
    shopper = sandbox_shopper(session_id)
    shopper.open()
    assert shopper.has("no-account") and shopper.has("test-phone-500000001")
    tap(shopper, "test-phone-500000001")
    assert shopper.text("masked-phone") == "+96650****001"
    shopper.open("/phone")  # "change number?" from the verify step
    assert shopper.has("phone-input") and shopper.has("test-phone-500000002")
    tap(shopper, "test-phone-500000002")
    assert shopper.text("masked-phone") == "+96650****002"


def test_the_shortcuts_only_post_what_a_shopper_could_type(sandbox_checkout, sandbox_shopper):
    """Sandbox-only UI, not a kinder API: a stale code shown is refused like a typed one."""
    session_id, _ = sandbox_checkout()
    shopper = sandbox_shopper(session_id)
    shopper.open()
    stale = shopper.html
    shopper.client.post(f"/_control/sessions/{session_id}/expire")  # the session is over
    tap(shopper, "fill-test-shopper", page=stale)
    assert shopper.has("expired-title")


@pytest.mark.parametrize(
    "header, lang",
    [
        ("en-US,en;q=0.9", "en"),
        ("ar-SA,ar;q=0.9,en;q=0.8", "ar"),
        ("fr-FR,en;q=0.5", "en"),
        ("fr-FR,de;q=0.5", "ar"),  # neither: Arabic
        (None, "ar"),
    ],
)
def test_the_hosted_pages_open_in_the_browsers_language(sandbox_client, sandbox_checkout, header, lang):
    session_id, _ = sandbox_checkout()
    headers = {"Accept-Language": header} if header else {}
    page = sandbox_client.get(f"/checkout/{session_id}", headers=headers).get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in page
    assert ("Verify your number" if lang == "en" else "تحقق من رقمك") in page


def test_the_language_switch_wins_over_the_browser_and_is_remembered(sandbox_client, sandbox_checkout):
    session_id, _ = sandbox_checkout()
    english = {"Accept-Language": "en-US,en;q=0.9"}
    page = sandbox_client.get(f"/checkout/{session_id}?lang=ar", headers=english).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    page = sandbox_client.get(f"/checkout/{session_id}", headers=english).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page  # remembered
    page = sandbox_client.get(f"/checkout/{session_id}?lang=en", headers={"Accept-Language": "ar"})
    assert '<html lang="en" dir="ltr">' in page.get_data(as_text=True)
    assert "Accept-Language" in page.headers["Vary"]
