"""The control page's demo helpers: Reset balances (orders kept), a webhook body edited and sent
as it is (to a real receiving server, through the delivery log), its preview, and the page in
Arabic with Riyadh times."""

import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest

from .conftest import CHECKOUT, SK

PAGE = "/_control/"
ARABIC = {"Accept-Language": "ar"}
ENGLISH = {"Accept-Language": "en"}


def token(client, path=PAGE) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def start(client, number="D-1", phone="500000001", total=100):
    body = {"total_price": total, "order_number": number, "phone_number": phone}
    session_id = client.post(CHECKOUT, json=body).json["data"]["checkout_url"].rsplit("/", 1)[-1]
    return session_id


def paid_order(client, number="D-1", points=0, phone="500000001"):
    session_id = start(client, number, phone)
    answer = client.post(f"/_control/sessions/{session_id}/complete", json={"phone_number": phone, "points": points})
    assert answer.status_code == 200, answer.json
    return answer.json["order_uuid"]


def balances(client):
    page = client.get(PAGE, headers=ENGLISH).get_data(as_text=True)
    return {p: int(b.replace(",", "")) for p, b in re.findall(r"<td>(5\d{8})</td><td>([\d,]+)</td>", page)}


# --- Reset balances ---------------------------------------------------------------------------


def test_reset_balances_restores_5000_and_0_and_keeps_orders_deliveries_and_settings(sandbox_client):
    paid_order(sandbox_client, "D-1", points=1000)  # 500000001 spends 1,000 and earns by card
    paid_order(sandbox_client, "D-2", phone="500000002")  # earns points by card
    paid_order(sandbox_client, "D-3", phone="500000003")  # registers
    sandbox_client.post("/_control/chaos", json={"webhook_duplicate": True})
    settings = {"two_step": True, "refund_window_days": 7, "earn_points_per_sar": 2.5, "earning_enabled": False}
    sandbox_client.post("/_control/merchant", json=settings)
    before = balances(sandbox_client)
    assert before["500000001"] != 5000 and before["500000002"] != 0
    log = sandbox_client.get("/_control/deliveries").json["deliveries"]

    answer = sandbox_client.post("/_control/shoppers/reset")
    assert answer.status_code == 200
    assert answer.json == {
        "reset": "balances",
        "shoppers": [{"phone_number": "500000001", "balance": 5000}, {"phone_number": "500000002", "balance": 0}],
    }
    after = balances(sandbox_client)
    assert after == {**before, "500000001": 5000, "500000002": 0}  # 500000003 kept as it was
    assert sandbox_client.get("/_control/deliveries").json["deliveries"] == log
    page = sandbox_client.get(PAGE, headers=ENGLISH).get_data(as_text=True)
    assert all(number in page for number in ("D-1", "D-2", "D-3"))
    assert sandbox_client.get("/_control/chaos").json["webhook_duplicate"] is True
    assert sandbox_client.post("/_control/merchant", json={}).json == settings


def test_reset_balances_on_the_page_asks_first_and_says_what_it_did(sandbox_client):
    paid_order(sandbox_client, "D-1", points=1000)
    page = sandbox_client.get(PAGE, headers=ENGLISH).get_data(as_text=True)
    assert re.search(r'<a [^>]*href="/_control/shoppers/reset"[^>]*data-testid="balances-button"', page)
    confirm = sandbox_client.get("/_control/shoppers/reset", headers=ENGLISH).get_data(as_text=True)
    assert 'data-testid="balances-confirm"' in confirm and 'data-testid="balances-cancel"' in confirm
    csrf = token(sandbox_client, "/_control/shoppers/reset")
    unconfirmed = sandbox_client.post("/_control/shoppers/reset", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 400 and balances(sandbox_client)["500000001"] != 5000
    assert sandbox_client.post("/_control/shoppers/reset", data={"confirm": "yes"}).status_code == 400  # no CSRF
    done = sandbox_client.post("/_control/shoppers/reset", data={"csrf_token": csrf, "confirm": "yes"})
    assert done.status_code == 303 and balances(sandbox_client)["500000001"] == 5000
    paid_order(sandbox_client, "D-2", points=100)
    sandbox_client.post("/_control/shoppers/reset", data={"csrf_token": csrf, "confirm": "yes"}, headers=ARABIC)
    flash = re.search(r'data-testid="flash">([^<]+)<', sandbox_client.get(PAGE, headers=ARABIC).get_data(as_text=True))
    assert flash.group(1).startswith("عادت الأرصدة")


# --- Any body -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, header",
    [
        ('{"event": "captured", "order": {"id": "x", "total_price": "NaN", "extra": [1, 2]}}', "captured"),
        ('{"event": "made_up_event", "order": null}', "made_up_event"),  # odd values: sent as they are
        ('{"event": "approved", "order": {"id": 1}', "refunded"),  # invalid JSON: the chosen event
        ("not json at all ✓ عربي", "refunded"),
        ('{"event": "bad\\nheader"}', "refunded"),  # unreadable as a header: the chosen event
    ],
)
def test_an_edited_body_is_delivered_verbatim_with_the_headers(sandbox_live_app, sandbox_receiver, body, header):
    client = sandbox_live_app.test_client()
    uuid = paid_order(client, "E-1")
    sandbox_receiver.wait_for(1)
    sandbox_receiver.script = [(500, 0), (200, 0)]  # retried as usual
    answer = client.post("/_control/trigger", json={"event": "refunded", "order_uuid": uuid, "body": body})
    assert answer.status_code == 200, answer.json
    [made] = answer.json["deliveries"]
    assert made["event"] == header and made["payload"] == body and made["order_uuid"] == uuid
    hits = sandbox_receiver.wait_for(3)[1:]
    assert [hit["raw"] for hit in hits] == [body.encode("utf-8")] * 2
    for hit in hits:
        assert hit["headers"]["X-Webhook-Secret"] == "whsec_sandbox_demo"
        assert hit["headers"]["X-Webhook-Event"] == header
        assert hit["headers"]["Content-Type"] == "application/json"
    log = client.get("/_control/deliveries?wait=1").json["deliveries"]
    assert log[0]["id"] == made["id"] and log[0]["status"] == "delivered"
    assert [a["status_code"] for a in log[0]["attempts"]] == [500, 200]
    assert log[0]["note"] == "edited body, sent as it is"
    page = client.get(PAGE, headers=ENGLISH).get_data(as_text=True)
    assert f'data-testid="attempt-{made["id"]}-2"' in page
    assert client.get(f"/api/v1/orders/{uuid}", headers={"x-api-key": "sk_sandbox_demo"}).json["data"][
        "order_status"
    ] == ("approved")  # nothing refunded


def test_the_page_sends_the_edited_textarea_with_lf_line_ends(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    csrf = token(client)
    typed = '{\r\n  "event": "debt_exceeded",\r\n  "data": {"current_balance": "-1"}\r\n}'
    answer = client.post("/_control/trigger", data={"csrf_token": csrf, "event": "low_balance_warning", "body": typed})
    assert answer.status_code == 303
    [hit] = sandbox_receiver.wait_for(1)
    assert hit["raw"] == typed.replace("\r\n", "\n").encode() and hit["headers"]["X-Webhook-Event"] == "debt_exceeded"
    flash = re.search(r'data-testid="flash">([^<]+)<', client.get(PAGE).get_data(as_text=True)).group(1)
    assert flash.startswith("Sent the edited body (debt_exceeded): 1 delivery (#")


def test_an_edited_body_over_64_kb_is_refused(sandbox_client):
    big = json.dumps({"event": "approved", "pad": "x" * 65536})
    answer = sandbox_client.post("/_control/trigger", json={"event": "approved", "body": big})
    assert answer.status_code == 422
    assert answer.json["errors"] == {"body": ["The body must not be greater than 64 kilobytes."]}
    page = sandbox_client.post(
        "/_control/trigger",
        data={"csrf_token": token(sandbox_client), "event": "approved", "body": big},
        headers=ARABIC,
    )
    assert page.status_code == 400
    assert "يجب ألا يزيد «نص الطلب المُرسَل» على 64 كيلوبايت." in page.get_data(as_text=True)
    just = "x" * 65536
    assert sandbox_client.post("/_control/trigger", json={"event": "approved", "body": just}).status_code == 200
    assert sandbox_client.post("/_control/trigger", json={"body": just}).status_code == 422  # no event to send as


def test_the_preview_is_what_the_trigger_sends_and_changes_nothing(sandbox_client):
    uuid = paid_order(sandbox_client, "P-1", points=1000)
    before = sandbox_client.get("/_control/deliveries").json["deliveries"]
    for event in ("approved", "refunded", "shipping_status_updated", "auto_refunded"):
        preview = sandbox_client.get(f"/_control/trigger/preview?event={event}&order_uuid={uuid}")
        assert preview.status_code == 200 and preview.json["event"] == event
        assert json.loads(preview.json["body_indented"]) == json.loads(preview.json["body"])
    assert sandbox_client.get("/_control/deliveries").json["deliveries"] == before  # nothing sent
    preview = json.loads(preview.json["body"])  # auto_refunded: as the refund will leave the order
    sent = sandbox_client.post("/_control/trigger", json={"event": "auto_refunded", "order_uuid": uuid})
    sent = json.loads(sent.json["deliveries"][0]["payload"])
    for body in (preview, sent):
        body.pop("timestamp"), body["order"].pop("updated_at")
    assert preview == sent
    merchant = sandbox_client.get("/_control/trigger/preview?event=debt_exceeded").json
    assert json.loads(merchant["body"])["data"]["current_balance"] == "-4900.00"
    assert sandbox_client.get("/_control/trigger/preview?event=nope").status_code == 422
    assert sandbox_client.get("/_control/trigger/preview?event=captured&order_uuid=nope").status_code == 404
    assert sandbox_client.get(f"/_control/trigger/preview?event=auto_refunded&order_uuid={uuid}").status_code == 400


def test_the_auto_refunded_preview_of_an_earning_order_is_what_the_trigger_sends(sandbox_client):
    uuid = earning_order(sandbox_client, "E-9", "500000001")
    preview = sandbox_client.get(f"/_control/trigger/preview?event=auto_refunded&order_uuid={uuid}")
    preview = json.loads(preview.json["body"])
    sent = sandbox_client.post("/_control/trigger", json={"event": "auto_refunded", "order_uuid": uuid})
    sent = json.loads(sent.json["deliveries"][0]["payload"])
    for body in (preview, sent):
        body.pop("timestamp"), body["order"].pop("updated_at")
    assert preview == sent and sent["order"]["refund_points"] == 1150  # the earned points taken back


def test_prepare_body_without_javascript_fills_the_textarea(sandbox_client):
    uuid = paid_order(sandbox_client, "P-2")
    form = {"csrf_token": token(sandbox_client), "event": "approved", "order_uuid": uuid, "body": ""}
    page = sandbox_client.post("/_control/trigger/prepare", data=form, headers=ENGLISH)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    body = re.search(r'data-testid="trigger-body"[^>]*>([^<]*)</textarea>', html).group(1)
    assert json.loads(body.replace("&#34;", '"'))["order"]["id"] == uuid
    assert re.search(r'<option value="approved" translate="no" selected>', html) and f'value="{uuid}"' in html
    missing = sandbox_client.post("/_control/trigger/prepare", data={**form, "order_uuid": "nope"}, headers=ARABIC)
    assert missing.status_code == 400 and "لا يوجد طلب بهذا المعرّف." in missing.get_data(as_text=True)


# --- The page in Arabic, Riyadh times ------------------------------------------------------------


class VisibleText(HTMLParser):
    """What a reader sees or hears: text and the attributes shown or read out, leaving out what is
    marked translate="no" (API identifiers) or written in another language (lang="en")."""

    SHOWN_ATTRIBUTES = ("placeholder", "aria-label", "title", "label", "alt")

    def __init__(self):
        super().__init__()
        self.stack, self.parts = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skip = attrs.get("translate") == "no" or attrs.get("lang") == "en" or tag in ("script", "style")
        skip = skip or (self.stack and self.stack[-1])
        if tag == "meta" and attrs.get("name") == "description":
            self.parts.append(attrs.get("content", ""))
        if not skip:
            self.parts += [attrs[name] for name in self.SHOWN_ATTRIBUTES if attrs.get(name)]
        if tag not in ("input", "meta", "link", "br", "img", "hr"):
            self.stack.append(skip)

    def handle_endtag(self, tag):
        if tag not in ("input", "meta", "link", "br", "img", "hr") and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def english_words(page: str) -> list[str]:
    parser = VisibleText()
    parser.feed(page)
    return re.findall(r"[A-Za-z]{2,}", " ".join(parser.parts))


def busy_sandbox(live_client):
    """Orders, sessions, delivered, pending and merchant deliveries: every kind of row."""
    paid_order(live_client, "A-1", points=1000)
    start(live_client, "A-2")
    live_client.post("/_control/trigger", json={"event": "debt_exceeded"})
    live_client.get("/_control/deliveries?wait=1")
    live_client.post("/_control/chaos", json={"webhook_delay_seconds": 600})
    live_client.post("/_control/trigger", json={"event": "low_balance_warning"})  # pending, "next at"
    earned = earning_order(live_client, "E-1", "500000001")  # approved, then partly reversed
    live_client.post(f"/api/v1/orders/{earned}/refund", json={"amount": 25, "reason": "x"}, headers={"x-api-key": SK})
    earning_order(live_client, "E-2", "500000009")  # pending activation: a shopper waiting


def earning_order(client, number, phone) -> str:
    sale = {"phone_number": phone, "total_price": 115, "order_number": number}
    sale["products"] = [{"product_name": "Cappuccino", "product_price": 115, "quantity": 1}]
    answer = client.post("/api/v1/orders/earning", json=sale, headers={"x-api-key": SK})
    assert answer.status_code == 200, answer.json
    return answer.json["data"].get("uuid") or answer.json["data"]["pending_earning_order"]["id"]


def test_the_control_page_in_arabic_has_no_english_words_left(sandbox_live_app):
    client = sandbox_live_app.test_client()
    busy_sandbox(client)
    page = client.get(PAGE, headers=ARABIC).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl" class="control">' in page
    assert 'data-testid="activate-500000009"' in page and "سُحب منها" in page  # the earning sections
    assert english_words(page) == []
    assert english_words(client.get(PAGE, headers=ENGLISH).get_data(as_text=True))  # the check sees English
    for path in ("/_control/reset", "/_control/shoppers/reset"):
        assert english_words(client.get(path, headers=ARABIC).get_data(as_text=True)) == []
    # Messages and field errors too.
    csrf = token(client)
    bad = client.post("/_control/chaos", data={"csrf_token": csrf, "webhook_delay_seconds": "5s"}, headers=ARABIC)
    assert bad.status_code == 400 and english_words(bad.get_data(as_text=True)) == []
    assert "يجب أن يكون «تأخير الويب هوك (ثوانٍ)» رقماً." in bad.get_data(as_text=True)
    bad = client.post("/_control/trigger", data={"csrf_token": csrf, "event": "captured"}, headers=ARABIC)
    assert english_words(bad.get_data(as_text=True)) == []
    bad = client.post("/_control/merchant", data={"csrf_token": csrf, "earn_points_per_sar": "ten"}, headers=ARABIC)
    assert bad.status_code == 400 and english_words(bad.get_data(as_text=True)) == []
    assert "يجب أن يكون «الكسب: نقاط لكل ريال» رقماً." in bad.get_data(as_text=True)
    client.post("/_control/chaos", data={"csrf_token": csrf, "webhook_delay_seconds": "0"}, headers=ARABIC)
    saved = client.get(PAGE, headers=ARABIC).get_data(as_text=True)
    assert "حُفظت المفاتيح" in saved and english_words(saved) == []
    for phone, said in (("500000009", "فُعّل حساب المتسوق"), ("500000009", "لديه حساب مفعّل من قبل")):
        client.post(f"/_control/shoppers/{phone}/activate", data={"csrf_token": csrf}, headers=ARABIC)
        flashed = client.get(PAGE, headers=ARABIC).get_data(as_text=True)
        assert said in flashed and english_words(flashed) == []


def test_the_switch_chooses_the_control_pages_language_and_is_remembered(sandbox_client):
    assert '<html lang="ar"' in sandbox_client.get(PAGE).get_data(as_text=True)  # no preference: Arabic
    assert '<html lang="en"' in sandbox_client.get(PAGE, headers=ENGLISH).get_data(as_text=True)
    page = sandbox_client.get(PAGE + "?lang=ar", headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="ar"' in page and 'data-testid="lang-switch" lang="en" href="/_control/?lang=en"' in page
    assert '<html lang="ar"' in sandbox_client.get(PAGE, headers=ENGLISH).get_data(as_text=True)


def test_delivery_times_are_riyadh_time_and_say_so(sandbox_live_app, sandbox_receiver):
    client = sandbox_live_app.test_client()
    paid_order(client, "R-1")
    [delivery] = client.get("/_control/deliveries?wait=1").json["deliveries"]
    attempt = delivery["attempts"][0]
    utc = datetime.strptime(attempt["at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    riyadh = (utc + timedelta(hours=3)).strftime("%H:%M:%S.%f")[:-3]  # UTC+3 all year, 24-hour clock
    for headers, label in ((ARABIC, "بتوقيت الرياض"), (ENGLISH, "Riyadh time")):
        page = client.get(PAGE, headers=headers).get_data(as_text=True)
        assert label in page
        shown = re.search(rf'data-testid="attempt-{delivery["id"]}-1">#1 <time [^>]*>([^<]+)</time>', page).group(1)
        assert shown == riyadh
