"""The HTML control page: bad input is a field error (400, nothing changed), never a 500; Save,
Reset, Trigger and Resend say what they did; Reset asks first; no inline script."""

import html
import re

import pytest

from .conftest import CHECKOUT

PAGE = "/_control/"


@pytest.fixture
def sandbox_client(sandbox_app):
    """These tests read the English page (an English browser); test_sandbox_control_i18n.py the Arabic."""
    client = sandbox_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def token(client, path=PAGE) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def text_of(page: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', page)
    assert match, f"no {testid} on the page"
    return html.unescape(match.group(1)).strip()


def chaos_form(**fields):
    form = {
        "webhook_delay_seconds": "0",
        "webhook_drop_next": "0",
        "checkout_fail_status": "",
        "checkout_fail_next": "0",
        "callback_params": "on",
    }
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


@pytest.mark.parametrize(
    "field, typed, message",
    [
        ("webhook_delay_seconds", "5s", "The webhook delay seconds must be a number."),
        ("webhook_delay_seconds", "-3", "The webhook delay seconds must be at least 0."),
        ("webhook_drop_next", "two", "The webhook drop next must be an integer."),
        ("checkout_fail_next", "-3", "The checkout fail next must be at least 0."),
        ("checkout_fail_status", "418", "The selected checkout fail status is invalid."),
    ],
)
def test_bad_switch_input_is_a_field_error_and_changes_nothing(sandbox_client, field, typed, message):
    before = sandbox_client.get("/_control/chaos").json
    form = chaos_form(**{"webhook_duplicate": "on", "webhook_drop_next": "4", field: typed})
    response = sandbox_client.post("/_control/chaos", data={"csrf_token": token(sandbox_client), **form})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert text_of(page, f"error-{field}") == message
    assert 'data-testid="form-error"' in page
    if field != "checkout_fail_status":  # the typed value is shown again, in its field
        assert re.search(rf'name="{field}" value="{re.escape(typed)}"', page)
    assert sandbox_client.get("/_control/chaos").json == before  # not even the valid fields


def test_the_json_api_answers_422_for_the_same_input(sandbox_client):
    before = sandbox_client.get("/_control/chaos").json
    response = sandbox_client.post(
        "/_control/chaos",
        json={"webhook_delay_seconds": "5s", "webhook_drop_next": -3, "forbid_ip": "maybe", "webhook_duplicate": True},
    )
    assert response.status_code == 422
    assert response.json["errors"] == {
        "webhook_delay_seconds": ["The webhook delay seconds must be a number."],
        "webhook_drop_next": ["The webhook drop next must be at least 0."],
        "forbid_ip": ["The forbid ip field must be true or false."],
    }
    assert response.json["message"] == "The webhook delay seconds must be a number. (and 2 more errors)"
    assert sandbox_client.get("/_control/chaos").json == before


def test_a_bad_refund_window_on_the_page_is_a_field_error(sandbox_client):
    response = sandbox_client.post(
        "/_control/merchant", data={"csrf_token": token(sandbox_client), "refund_window_days": "abc", "two_step": "on"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert text_of(page, "error-refund_window_days") == "The refund window days must be an integer."
    assert sandbox_client.post("/_control/merchant", json={}).json == {
        "two_step": False,
        "refund_window_days": None,
        "earn_points_per_sar": 10.0,
        "earning_enabled": True,
    }


def test_save_says_what_it_did(sandbox_client):
    form = chaos_form(webhook_delay_seconds="1.5", webhook_duplicate="on", callback_params=None, forbid_ip="on")
    response = sandbox_client.post("/_control/chaos", data={"csrf_token": token(sandbox_client), **form})
    assert response.status_code == 303
    chaos = sandbox_client.get("/_control/chaos").json
    assert (
        chaos["webhook_delay_seconds"],
        chaos["webhook_duplicate"],
        chaos["callback_params"],
        chaos["forbid_ip"],
    ) == (1.5, True, False, True)
    message = text_of(sandbox_client.get(PAGE).get_data(as_text=True), "flash")
    assert message == (
        "Switches saved: webhook_delay_seconds 1.5, webhook_duplicate on, webhook_reverse off, "
        "webhook_drop_next 0, checkout_fail_status off, checkout_fail_next 0, checkout_delay_seconds 0, "
        "callback_params off, "
        "forbid_merchant off, forbid_ip on, earning_fail_status off, earning_fail_next 0, earning_retry_after 1, "
        "earning_hang_seconds 0, earning_hang_next 0, earning_delay_seconds 0."
    )
    assert 'data-testid="flash"' not in sandbox_client.get(PAGE).get_data(as_text=True)  # shown once

    sandbox_client.post("/_control/merchant", data={"csrf_token": token(sandbox_client), "refund_window_days": "14"})
    assert text_of(sandbox_client.get(PAGE).get_data(as_text=True), "flash") == (
        # the form's unticked checkboxes are off: earning too
        "Merchant saved: two_step off, refund_window_days 14, earn_points_per_sar 10, earning_enabled off."
    )


def test_reset_asks_for_confirmation_first(sandbox_client):
    sandbox_client.post(CHECKOUT, json={"total_price": 10, "order_number": "R-1"})
    sandbox_client.post("/_control/chaos", json={"webhook_duplicate": True})
    page = sandbox_client.get(PAGE).get_data(as_text=True)
    # The dashboard's Reset is a link to the confirmation page, not a form that resets.
    assert re.search(r'<a [^>]*href="/_control/reset"[^>]*data-testid="reset-button"', page)
    confirm_page = sandbox_client.get("/_control/reset")
    assert confirm_page.status_code == 200
    text = confirm_page.get_data(as_text=True)
    assert 'data-testid="reset-confirm"' in text and 'data-testid="reset-cancel"' in text
    # A form post without the confirmation (a stale or forged form) resets nothing.
    unconfirmed = sandbox_client.post("/_control/reset", data={"csrf_token": token(sandbox_client, "/_control/reset")})
    assert unconfirmed.status_code == 400 and 'data-testid="reset-confirm"' in unconfirmed.get_data(as_text=True)
    assert sandbox_client.get("/_control/chaos").json["webhook_duplicate"] is True
    assert "R-1" in sandbox_client.get(PAGE).get_data(as_text=True)

    done = sandbox_client.post(
        "/_control/reset", data={"csrf_token": token(sandbox_client, "/_control/reset"), "confirm": "yes"}
    )
    assert done.status_code == 303
    after = sandbox_client.get(PAGE).get_data(as_text=True)
    assert text_of(after, "flash").startswith("Reset done:")
    assert "R-1" not in after and sandbox_client.get("/_control/chaos").json["webhook_duplicate"] is False


def test_reset_from_the_page_needs_the_csrf_token(sandbox_client):
    assert sandbox_client.post("/_control/reset", data={"confirm": "yes"}).status_code == 400
    assert sandbox_client.post("/_control/reset").json == {"reset": True}  # test helpers: JSON, no confirmation


def test_trigger_and_resend_from_the_page(sandbox_client):
    sandbox_client.post(CHECKOUT, json={"total_price": 10, "order_number": "T-1"})
    # The page offers the recent orders' uuids in the trigger form.
    uuid = re.search(r'<option value="([0-9a-f-]{36})">T-1', sandbox_client.get(PAGE).get_data(as_text=True)).group(1)
    response = sandbox_client.post(
        "/_control/trigger", data={"csrf_token": token(sandbox_client), "event": "authorized", "order_uuid": uuid}
    )
    assert response.status_code == 303
    page = sandbox_client.get(PAGE).get_data(as_text=True)
    [delivery] = sandbox_client.get("/_control/deliveries").json["deliveries"]
    assert text_of(page, "flash") == f"Triggered authorized for order T-1: 1 delivery (#{delivery['id']})."
    assert f'data-testid="resend-button-{delivery["id"]}"' in page
    resent = sandbox_client.post(
        f"/_control/deliveries/{delivery['id']}/resend", data={"csrf_token": token(sandbox_client)}
    )
    assert resent.status_code == 303
    log = sandbox_client.get("/_control/deliveries").json["deliveries"]
    assert [d["event"] for d in log] == ["authorized", "authorized"] and log[0]["payload"] == log[1]["payload"]
    assert text_of(sandbox_client.get(PAGE).get_data(as_text=True), "flash") == (
        f"Delivery #{delivery['id']} (authorized) resent as #{log[0]['id']}."
    )


def test_a_trigger_for_an_unknown_order_is_a_field_error_on_the_page(sandbox_client):
    response = sandbox_client.post(
        "/_control/trigger", data={"csrf_token": token(sandbox_client), "event": "captured", "order_uuid": "nope"}
    )
    assert response.status_code == 400
    assert text_of(response.get_data(as_text=True), "error-order_uuid") == "No order has this uuid."
    assert sandbox_client.get("/_control/deliveries").json["deliveries"] == []


def test_the_control_pages_have_no_inline_script_and_their_tables_scroll_in_a_box(sandbox_client):
    sandbox_client.post(CHECKOUT, json={"total_price": 10, "order_number": "S-1"})
    for path in (PAGE, "/_control/reset"):
        page = sandbox_client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\ssrc=)", page) and " on" + "click=" not in page
    page = sandbox_client.get(PAGE).get_data(as_text=True)
    # shoppers, earning orders, sessions, deliveries
    assert page.count("<table") == page.count('<div class="table-scroll"><table') == 4
