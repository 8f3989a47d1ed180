"""Staff in the live back office over real HTTP, as a browser does it: log in with CSRF, fill in a
form as the order page rendered it (CSRF token, one-time submission key), and land back on the
order page, which every staff action answers with a 303 to."""

import html
import re

import requests

from storefront.config import DEMO_ADMIN_EMAIL as DEMO_EMAIL
from storefront.config import DEMO_ADMIN_PASSWORD as DEMO_PASSWORD


def log_in(live) -> requests.Session:
    """A browser session logged in as the seeded demo account."""
    session = requests.Session()
    token = live.csrf_token(session, "/admin/login")
    response = session.post(
        f"{live.url}/admin/login",
        allow_redirects=False,
        data={"csrf_token": token, "email": DEMO_EMAIL, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302, response.text[:300]
    return session


def order_page(live, staff, order) -> str:
    return staff.get(f"{live.url}/admin/orders/{order.order_number}").text


def rendered_form(page: str, action: str) -> dict:
    """The hidden fields (CSRF token, one-time submission key) of one form on the order page."""
    match = re.search(rf'<form[^>]*action="[^"]*/{action}"[^>]*>(.*?)</form>', page, re.S)
    assert match, f"no {action} form on the page"
    return dict(re.findall(r'<input[^>]*name="(csrf_token|submission_key)"[^>]*value="([^"]+)"', match.group(1)))


def submit(live, staff, order, action, form: dict) -> str:
    """Post a form; staff always land back on the order page (303). Returns that page, unescaped."""
    response = staff.post(f"{live.url}/admin/orders/{order.order_number}/{action}", data=form, allow_redirects=False)
    assert response.status_code == 303, (response.status_code, response.text[:300])
    assert response.headers["Location"] == f"/admin/orders/{order.order_number}"
    return html.unescape(staff.get(live.url + response.headers["Location"]).text)


def act(live, staff, order, action, **form) -> str:
    """Fill in and press an action's button on the order page: returns the page staff see next.
    For a form the page does not offer, posts with the page's CSRF token (as a stale tab would)."""
    page = order_page(live, staff, order)
    hidden = (
        rendered_form(page, action)
        if f'/{action}"' in page
        else {"csrf_token": live.csrf_token(staff, f"/admin/orders/{order.order_number}")}
    )
    return submit(live, staff, order, action, {**hidden, **form})


def flash(page: str) -> str:
    return " ".join(re.findall(r'class="flash flash-\w+"[^>]*>([^<]*)<', page))


def field_errors(page: str) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]*)<', page)
