"""The back office follows its orders: static/js/live.js asks for the page again every second with
the version it shows; the shop answers 304 (no render) until something on it changed."""

from storefront.extensions import db
from storefront.models import Order, WebhookReceipt

POLL = {"X-Live-Poll": "1"}


def etag_of(response) -> str:
    return response.headers["ETag"]


def test_an_unchanged_order_page_answers_304_to_a_poll_and_a_change_answers_the_new_page(app, staff_client, make_order):
    order = make_order()
    path = f"/admin/orders/{order.order_number}"
    page = staff_client.get(path)
    assert page.status_code == 200 and "ETag" not in page.headers  # a navigation always renders
    html = page.get_data(as_text=True)
    assert 'data-live-etag="' in html and "js/live.js" in html
    first = staff_client.get(path, headers=POLL)
    assert first.status_code == 200 and 'data-live="timeline"' in first.get_data(as_text=True)
    again = staff_client.get(path, headers={**POLL, "If-None-Match": etag_of(first)})
    assert again.status_code == 304 and again.get_data() == b""

    with app.app_context():
        db.session.add(
            WebhookReceipt(
                order_id=order.id, event="approved", headers="{}", body="{}", response_status=200, outcome="duplicate"
            )
        )
        db.session.commit()
    changed = staff_client.get(path, headers={**POLL, "If-None-Match": etag_of(first)})
    assert changed.status_code == 200 and etag_of(changed) != etag_of(first)
    assert ">duplicate</span>" in changed.get_data(as_text=True)

    with app.app_context():
        db.session.get(Order, order.id).status = "cancelled"
        db.session.commit()
    moved = staff_client.get(path, headers={**POLL, "If-None-Match": etag_of(changed)})
    assert moved.status_code == 200 and "status-cancelled" in moved.get_data(as_text=True)


def test_the_version_is_per_language(staff_client, make_order):
    path = f"/admin/orders/{make_order().order_number}"
    english = staff_client.get(path, headers=POLL)
    staff_client.set_cookie("lang", "ar")
    arabic = staff_client.get(path, headers={**POLL, "If-None-Match": etag_of(english)})
    assert arabic.status_code == 200


def test_a_poll_does_not_eat_a_flash_meant_for_the_next_page(staff_client, make_order):
    order = make_order()
    path = f"/admin/orders/{order.order_number}"
    assert staff_client.post(f"{path}/cancel", data={}).status_code == 303  # refused: no reason given
    assert "flash-error" not in staff_client.get(path, headers=POLL).get_data(as_text=True)
    assert "flash-error" in staff_client.get(path).get_data(as_text=True)


def test_the_orders_list_answers_304_until_an_order_changes_or_arrives(staff_client, make_order):
    make_order()
    first = staff_client.get("/admin/orders", headers=POLL)
    assert first.status_code == 200
    assert staff_client.get("/admin/orders", headers={**POLL, "If-None-Match": etag_of(first)}).status_code == 304
    newer = make_order()
    after = staff_client.get("/admin/orders", headers={**POLL, "If-None-Match": etag_of(first)})
    assert after.status_code == 200 and newer.order_number in after.get_data(as_text=True)


def test_a_poll_without_a_staff_session_is_sent_to_log_in(client, make_order):
    response = client.get(f"/admin/orders/{make_order().order_number}", headers=POLL)
    assert response.status_code in (302, 303) and "/admin/login" in response.headers["Location"]


def test_the_shoppers_order_page_follows_the_order_too_and_reloads_itself_only_without_javascript(
    app, client, make_order
):
    order = make_order()
    path = f"/orders/{order.token}"
    page = client.get(path).get_data(as_text=True)
    assert 'data-live-etag="' in page and "js/live.js" in page
    assert '<noscript><meta http-equiv="refresh"' in page
    first = client.get(path, headers=POLL)
    assert client.get(path, headers={**POLL, "If-None-Match": etag_of(first)}).status_code == 304
    with app.app_context():
        db.session.get(Order, order.id).status = "paid"
        db.session.commit()
    moved = client.get(path, headers={**POLL, "If-None-Match": etag_of(first)})
    assert moved.status_code == 200 and 'data-live="order"' in moved.get_data(as_text=True)
