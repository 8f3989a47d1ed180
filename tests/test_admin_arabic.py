"""The back office in Arabic: the shop's own recorded sentences shown in the reader's language (Points'
words as Points wrote them), staff answers whose full stop lands at the end of the line, 24-hour
times, Arabic commas in Arabic addresses, and a shipping pill that says each thing once."""

import html as htmllib
import re
from datetime import timedelta

import pytest

from storefront.extensions import db
from storefront.models import Order, OrderTransition, WebhookReceipt
from storefront.points import orders
from storefront.recorded import shown

FSI, PDI = "\u2068", "\u2069"
ARABIC = re.compile(r"[\u0600-\u06FF]")


def receipt(order, event, outcome, detail, received_at) -> WebhookReceipt:
    """A delivery the shop recorded against ``order``, with the sentence it wrote for it."""
    return WebhookReceipt(
        order_id=order.id,
        event=event,
        headers="{}",
        body="{}",
        response_status=200,
        outcome=outcome,
        detail=detail,
        received_at=received_at,
    )


def arabic_page(client, path) -> str:
    client.set_cookie("lang", "ar")
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return htmllib.unescape(response.get_data(as_text=True))


def test_the_shops_recorded_sentences_are_shown_in_arabic_and_points_words_as_they_came(app, staff_client, make_order):
    order = make_order(points_uuid="u-1")
    with app.app_context():
        at = order.created_at
        db.session.add_all(
            [
                receipt(order, "approved", "applied", "approved -> paid", at + timedelta(seconds=1)),
                receipt(
                    order, "approved", "duplicate", "already processed; nothing changed", at + timedelta(seconds=2)
                ),
                receipt(
                    order,
                    "partially_refunded",
                    "applied",
                    "partially_refunded; refunded so far 20.00 SAR",
                    at + timedelta(seconds=3),
                ),
                OrderTransition(
                    order_id=order.id,
                    from_status="paid",
                    to_status="partially_refunded",
                    source="webhook",
                    reason="تالف عند الوصول, customer said so",
                    created_at=at + timedelta(seconds=4),
                ),
            ]
        )
        db.session.get(Order, order.id).transitions[0].reason = "Pay with Points pressed"
        db.session.commit()
    page = arabic_page(staff_client, f"/admin/orders/{order.order_number}")
    assert "ضُغط زر الدفع ببوينتس" in page and "Pay with Points pressed" not in page
    assert f"{FSI}approved{PDI} ← مدفوع" in page
    assert "عولج من قبل؛ لم يتغير شيء" in page
    assert "المسترد حتى الآن" in page and "refunded so far" not in page
    assert "تالف عند الوصول, customer said so" in page  # Points' reason, as Points wrote it


@pytest.mark.parametrize(
    "recorded",
    [
        "Pay with Points pressed",
        "approved -> paid",
        "already processed; nothing changed",
        "refunded; refunded so far 93.00 SAR",
        "order is already paid; a late cancel does not undo it",
        "Amount mismatch: Points says 1.00 SAR, the order total is 93.00 SAR.",
        "Accepted after review: checked by phone",
        orders.NO_WORD_FROM_POINTS,
        orders.NEVER_STARTED,
        "Checkout call failed: server (500): Internal Server Error",
        "Cash on delivery chosen: the shop confirmed the order",
        "Cash collected",
        "earning approved: 520 points",
        "the earning is already approved; nothing changed",
        "never sent for earning; nothing changed",
    ],
)
def test_each_sentence_the_shop_records_reads_in_arabic(app, recorded):
    with app.test_request_context(headers={"Cookie": "lang=ar"}):
        arabic = shown(recorded)
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        english = shown(recorded)
    assert arabic != recorded and ARABIC.search(arabic), arabic
    assert english == recorded.replace("->", "→"), english


def test_the_points_an_earning_brought_are_grouped_as_a_number_is(app):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert shown("earning approved: 1040 points") == "earning approved: 1,040 points"
        assert shown("earning refunded; 12500 points left") == "earning refunded; 12,500 points left"


def test_a_staff_answer_in_arabic_isolates_the_order_number_so_the_full_stop_ends_the_line(staff_client, make_order):
    order = make_order("needs_review", points_uuid="u-1", points_order_status="approved")
    staff_client.set_cookie("lang", "ar")
    response = staff_client.post(f"/admin/orders/{order.order_number}/accept", data={"note": "ok"})
    assert response.status_code == 303
    page = arabic_page(staff_client, f"/admin/orders/{order.order_number}")
    assert f"قُبل الطلب {FSI}{order.order_number}{PDI} وأُطلق للتجهيز." in page


def test_the_account_health_card_says_the_time_in_24_hours(app, staff_client):
    from points_webhooks import deliver, merchant_event

    assert deliver(staff_client, merchant_event("low_balance_warning")).status_code == 200
    with app.app_context():
        receipt = db.session.query(WebhookReceipt).one()
        receipt.received_at = receipt.received_at.replace(hour=11, minute=5)  # 14:05 in Riyadh
        db.session.commit()
    page = arabic_page(staff_client, "/admin/orders")
    card = page[page.index('data-testid="account-health"') :]
    assert "14:05" in card[:2000] and "م" not in card[card.index("14:05") : card.index("14:05") + 8]


def test_an_arabic_address_is_written_with_arabic_commas(app, staff_client, make_order):
    order = make_order()
    with app.app_context():
        db.session.get(Order, order.id).address_line, db.session.get(Order, order.id).city = (
            "حي النرجس، شارع الأمير",
            "الرياض",
        )
        db.session.commit()
    page = arabic_page(staff_client, f"/admin/orders/{order.order_number}")
    assert "حي النرجس، شارع الأمير، الرياض" in page
    english = make_order()
    assert "King Fahd Rd 1, Riyadh" in arabic_page(staff_client, f"/admin/orders/{english.order_number}")


def test_the_shipping_pill_says_the_status_once_when_no_label_of_its_own_was_given(staff_client, make_order):
    order = make_order(
        "paid",
        points_uuid="u-1",
        shipping_status="delivery_is_in_progress",
        shipping_label_en="Out for delivery",
        shipping_label_ar="خرج للتوصيل",
    )
    for lang in ("en", "ar"):
        staff_client.set_cookie("lang", lang)
        page = htmllib.unescape(staff_client.get(f"/admin/orders/{order.order_number}").get_data(as_text=True))
        pill = page[page.index('class="shipping-chip"') :]
        pill = pill[: pill.index("</span>\n  </div>")]
        assert pill.count("Out for delivery") + pill.count("خرج للتوصيل") == 1, pill
