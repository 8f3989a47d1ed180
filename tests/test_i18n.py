"""Arabic and English: every page in both, right to left in Arabic, nothing left untranslated,
money, VAT and Riyadh time as a Saudi shopper reads them, the switch between the languages."""

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from page_text import text

from storefront.catalogue import name_in
from storefront.extensions import db
from storefront.models import Order, Product, utcnow
from storefront.money import vat_share

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_DIR = ROOT / "storefront" / "translations" / "ar" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}
POINTS_CHECKOUT = "http://points.invalid/api/v1/orders/checkout/pk_sandbox_demo"
ARABIC = re.compile(r"[\u0600-\u06FF]")
ACCEPT = {"ar": "ar-SA,ar;q=0.9,en;q=0.5", "en": "en-US,en;q=0.9"}


def po_catalogue():
    with open(CATALOGUE_DIR / "messages.po", "rb") as handle:
        return read_po(handle)


def msgids_in_the_code() -> set:
    """What ``pybabel extract -F babel.cfg`` finds in the templates and the Python code."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


ENGLISH = sorted({m.id if isinstance(m.id, str) else m.id[0] for m in po_catalogue() if m.id})
# Sentences of the shop's own English that would give away a page left untranslated (the
# one-word ones, such as "Points" or "SAR", also stand inside technical names and are left out).
ENGLISH_PHRASES = sorted(
    {
        re.sub(r"<[^>]+>", "", msgid).replace("%%", "%")
        for msgid in ENGLISH
        if " " in msgid and "%(" not in msgid and "{" not in msgid
    },
    key=len,
    reverse=True,
)


# --- The catalogue ------------------------------------------------------------------------------


def test_every_message_in_the_code_has_an_arabic_translation_that_is_not_fuzzy():
    catalogue = po_catalogue()
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated[key] = all(s.strip() for s in strings) and not message.fuzzy
    missing = sorted(msgid for msgid in msgids_in_the_code() if msgid not in translated)
    untranslated = sorted(msgid for msgid, ok in translated.items() if not ok)
    assert not missing, f"not in messages.po (run pybabel extract + update, see README): {missing}"
    assert not untranslated, f"no Arabic (or fuzzy) in messages.po: {untranslated}"
    assert not catalogue.fuzzy


def test_re_extracting_the_messages_keeps_every_translated_one():
    """``pybabel update --ignore-obsolete`` (README) drops what extract cannot see, such as a
    gettext call inside an f-string: every message in messages.po must be found in the code."""
    in_the_code = msgids_in_the_code()
    dropped = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in po_catalogue() if m.id)
    dropped = [msgid for msgid in dropped if msgid not in in_the_code]
    assert not dropped, f"pybabel extract no longer finds these, so update would drop them: {dropped}"


def test_the_compiled_catalogue_matches_the_po_file():
    with open(CATALOGUE_DIR / "messages.mo", "rb") as handle:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(handle) if m.id}
    written = {_plain(m.id): _plain(m.string) for m in po_catalogue() if m.id}
    assert compiled == written, "messages.mo is stale: run pybabel compile -d storefront/translations"


def _plain(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


# The word after the cart's count ("Cart 3 items", for screen readers) in each of Arabic's six plural
# forms (zero, one, two, few, many, other).
CART_IN_SIX_ARABIC_FORMS = {
    0: "منتجات",
    1: "منتج",
    2: "منتجان",
    3: "منتجات",
    11: "منتجًا",
    100: "منتج",
}


def test_arabic_plurals_follow_the_six_arabic_forms(app):
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("ar"):
        said = {n: ngettext("item", "items", n) for n in CART_IN_SIX_ARABIC_FORMS}
    assert said == CART_IN_SIX_ARABIC_FORMS


def render_in(app, lang: str, source: str, **values) -> str:
    from flask import render_template_string

    with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
        return render_template_string(source, **values)


def arabic_for(msgid: str) -> str:
    return po_catalogue()[msgid].string


def test_templates_say_each_request_in_its_own_language(app):
    # One process, the languages in turn: what a template says is never the previous request's.
    said = [
        render_in(app, lang, "{{ _('Your cart') }}|{{ _('Proceed to checkout') }}") for lang in "en ar en ar".split()
    ]
    english = "Your cart|Proceed to checkout"
    arabic = f"{arabic_for('Your cart')}|{arabic_for('Proceed to checkout')}"
    assert said == [english, arabic, english, arabic]


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_template_writes_a_double_percent_as_one_percent_sign(app, lang):
    # In a {% trans %} block one % is the msgid's %%, as Jinja's i18n extension writes it.
    said = render_in(
        app,
        lang,
        "{{ _('of which VAT (15%%)') }}|{% trans %}All prices are in Saudi riyals and include 15% VAT.{% endtrans %}",
    )
    assert "%%" not in said and said.count("%") + said.count("٪") == 2


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_what_a_template_puts_into_a_sentence_is_escaped_and_the_sentence_is_not(app, lang):
    said = render_in(
        app,
        lang,
        "{% trans %}Remove {{ name }}{% endtrans %}|{{ _('%(amount)s SAR', amount=name) }}",
        name="<b>Dates</b>",
    )
    assert "<b>" not in said and said.count("&lt;b&gt;Dates&lt;/b&gt;") == 2
    footer = render_in(app, lang, "{% trans %}<strong>This is a demo shop.</strong>{% endtrans %}")
    assert "<strong>" in footer  # the translator's own markup stays markup


def test_a_template_counts_in_the_six_arabic_forms(app):
    template = "{{ ngettext('item', 'items', n) }}"
    said = {n: render_in(app, "ar", template, n=n) for n in CART_IN_SIX_ARABIC_FORMS}
    assert said == CART_IN_SIX_ARABIC_FORMS
    assert render_in(app, "en", template, n=1) == "item"


def test_a_template_rendered_under_force_locale_speaks_that_language(app):
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context(headers={"Cookie": "lang=en"}):
        with force_locale("ar"):
            inside = render_template_string("{{ _('Your cart') }}")
        after = render_template_string("{{ _('Your cart') }}")
    assert (inside, after) == (arabic_for("Your cart"), "Your cart")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_money_is_written_in_the_language_of_each_request(app, lang):
    from storefront.formatting import sar

    other = "ar" if lang == "en" else "en"
    for language in (lang, other, lang):  # amounts are kept once formatted: never in the wrong language
        with app.test_request_context(headers={"Cookie": f"lang={language}"}):
            shown = text(str(sar(Decimal("79"))))
        assert shown == ("79.00 SAR" if language == "en" else "79.00 ريال سعودي")


# --- Choosing the language ----------------------------------------------------------------------


def html_attributes(html: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', html)
    assert match, html[:200]
    return match.group(1), match.group(2)


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("ar-SA,ar;q=0.9,en;q=0.8", ("ar", "rtl")),
        ("ar", ("ar", "rtl")),
        ("en-GB,en;q=0.9,ar;q=0.5", ("en", "ltr")),
        ("fr-FR,fr;q=0.9", ("en", "ltr")),  # neither: the default
        (None, ("en", "ltr")),
    ],
)
def test_the_first_visit_follows_accept_language(client, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get("/", headers=headers)
    assert html_attributes(response.get_data(as_text=True)) == expected
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_the_switch_remembers_the_choice_over_the_browsers_language(client):
    response = client.get("/language/ar?next=/products/ajwa-dates?x=1", headers={"Accept-Language": "en"})
    assert response.status_code == 303 and response.headers["Location"] == "/products/ajwa-dates?x=1"
    assert "lang=ar" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    page = client.get("/products/ajwa-dates", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_attributes(page) == ("ar", "rtl") and "<h1>تمر عجوة</h1>" in page

    client.get("/language/en?next=/")
    page = client.get("/products/ajwa-dates", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert html_attributes(page) == ("en", "ltr") and "<h1>Ajwa Dates</h1>" in page
    # Pages and the nav are kept per catalogue version: per language too, never the other one's.
    cart = client.get("/cart").get_data(as_text=True)
    assert ">All products</a>" in cart and "كل المنتجات" not in cart


def test_every_page_links_to_itself_in_the_other_language(client):
    page = client.get("/products/ajwa-dates", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'href="/language/en?next=/products/ajwa-dates" lang="en" hreflang="en"' in page
    page = client.get("/cart").get_data(as_text=True)
    assert 'href="/language/ar?next=/cart"' in page and ">العربية</a>" in page
    page = client.get("/?page=1&category=Coffee").get_data(as_text=True)
    assert 'href="/language/ar?next=/?category%3DCoffee"' in page  # the same page: its category


def test_a_kept_page_never_links_to_the_query_string_of_whoever_opened_it_first(app, client):
    sara, omar = app.test_client(), app.test_client()
    for url in ["/?utm_source=sara%40example.com", "/?category=Coffee&ref=sara", "/products/ajwa-dates?ref=sara"]:
        first = sara.get(url).get_data(as_text=True)
        assert "sara" not in first.split('class="language-switch"')[1].split("</nav>")[0]
        later = omar.get(url.split("ref=")[0].split("utm_source=")[0].rstrip("?&")).get_data(as_text=True)
        assert "sara" not in later, url


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "",
        None,
    ],
)
def test_the_switch_never_sends_the_shopper_off_the_site(client, target):
    query = {} if target is None else {"next": target}
    response = client.get("/language/ar", query_string=query)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_an_unknown_language_changes_nothing(client):
    response = client.get("/language/fr?next=/cart")
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert "Set-Cookie" not in response.headers
    assert html_attributes(client.get("/cart").get_data(as_text=True)) == ("en", "ltr")


# --- Every page in both languages ---------------------------------------------------------------


@pytest.fixture
def arabic_order(app, make_order):
    """make_order in the shopper's language: the names as they would have been sent to Points."""

    def make(lang, status="paid", **fields):
        who = {key: fields.pop(key) for key in ("customer_name", "phone", "city", "address_line") if key in fields}
        if lang == "ar":
            who = {"customer_name": "سارة القحطاني", "city": "الرياض", "address_line": "طريق الملك فهد 1", **who}
        order = make_order(status, locale=lang, **fields)
        with app.app_context():
            stored = db.session.get(Order, order.id)
            for key, value in who.items():
                setattr(stored, key, value)
            for line in stored.lines:
                line.product_name = name_in(db.session.get(Product, line.product_id), lang)
            db.session.commit()
        return order

    return make


def shop_pages(client, requests_mock, arabic_order, lang):
    """(name, response) for every page a shopper can reach, in ``lang``."""
    headers = {"Accept-Language": ACCEPT[lang]}

    def get(path):
        return client.get(path, headers=headers)

    pages = [
        ("catalogue", get("/")),
        ("category", get("/?category=Coffee")),
        ("product", get("/products/ajwa-dates")),
        ("empty cart", get("/cart")),
    ]
    pages.append(
        ("product with an error", client.post("/products/ajwa-dates", data={"quantity": "0"}, headers=headers))
    )
    client.post("/products/ajwa-dates", data={"quantity": 2}, headers=headers)
    pages += [("cart", get("/cart")), ("checkout", get("/checkout"))]
    pages.append(("checkout with field errors", client.post("/checkout", data={"phone": "123"}, headers=headers)))
    requests_mock.post(POINTS_CHECKOUT, status_code=503, json={"status": False, "message": "Down", "appended_data": {}})
    good = {
        "phone": "0551234567",
        "name": "سارة" if lang == "ar" else "Sara",
        "city": "جدة" if lang == "ar" else "Jeddah",
        "address_line": "حي الروضة" if lang == "ar" else "Al Rawdah",
    }
    pages.append(("checkout could not start", client.post("/checkout", data=good, headers=headers)))
    for status, name in [
        ("pending_payment", "waiting"),
        ("paid", "confirmation"),
        ("cancelled", "failed"),
        ("needs_review", "under review"),
    ]:
        order = arabic_order(lang, status, status_reason="checkout abandoned" if status == "cancelled" else None)
        pages.append((name, get(f"/checkout/callback?order={order.token}")))
    paid = arabic_order(lang, "paid", points_reference_number="REF-2026-000777", shipping_status="ready_shipping")
    pages.append(("order page", get(f"/orders/{paid.token}")))
    preparing = arabic_order(lang, "pending_payment", checkout_started_at=utcnow())
    pages.append(("preparing", get(f"/checkout/preparing/{preparing.token}")))
    pages.append(("not found", get("/no-such-page")))
    return pages


def admin_pages(client, arabic_order, lang):
    headers = {"Accept-Language": ACCEPT[lang]}
    order = arabic_order(
        lang,
        "partially_refunded",
        points_uuid="0b6f6c1e-0000-4000-8000-000000000001",
        refunded_amount=Decimal("10.00"),
        shipping_status="delivered",
    )
    return [
        ("admin orders", client.get("/admin/orders", headers=headers)),
        ("admin order", client.get(f"/admin/orders/{order.order_number}", headers=headers)),
        ("admin webhooks", client.get("/admin/webhooks", headers=headers)),
    ]


def latin_runs(page_text: str) -> list[str]:
    """Three or more English words in a row: prose, where an Arabic page should have none (a
    format such as 05X XXX XXXX is not words)."""
    return re.findall(r"[A-Za-z][a-z]+(?:[ '’][A-Za-z][a-z]+){2,}", page_text)


@pytest.mark.parametrize("lang, direction", [("ar", "rtl"), ("en", "ltr")])
def test_every_shop_page_is_whole_in_each_language(client, requests_mock, arabic_order, lang, direction):
    for name, response in shop_pages(client, requests_mock, arabic_order, lang):
        assert response.status_code in (200, 404, 502), (name, response.status_code)
        html = response.get_data(as_text=True)
        assert html_attributes(html) == (lang, direction), name
        shown = text(html)
        if lang == "ar":
            assert not latin_runs(shown), (name, latin_runs(shown))
            left = [phrase for phrase in ENGLISH_PHRASES if phrase in shown]
            assert not left, (name, left)
        else:
            arabic = ARABIC.findall(shown.replace("العربية", ""))
            assert not arabic, (name, "".join(arabic)[:80])


@pytest.mark.parametrize("lang, direction", [("ar", "rtl"), ("en", "ltr")])
def test_every_admin_page_is_whole_in_each_language(staff_client, arabic_order, lang, direction):
    login = staff_client.application.test_client().get("/admin/login", headers={"Accept-Language": ACCEPT[lang]})
    for name, response in [("admin login", login), *admin_pages(staff_client, arabic_order, lang)]:
        assert response.status_code == 200, name
        html = response.get_data(as_text=True)
        assert html_attributes(html) == (lang, direction), name
        shown = text(html)
        if lang == "ar":
            left = [phrase for phrase in ENGLISH_PHRASES if phrase in shown]
            assert not left, (name, left)


def test_the_admin_has_its_own_page_without_the_shops_header_or_cart(staff_client):
    html = staff_client.get("/admin/orders").get_data(as_text=True)
    assert 'class="cart-link"' not in html and 'class="category-nav"' not in html
    assert 'class="admin-top"' in html and 'data-testid="language-switch"' in html


# --- Money, VAT and time ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total, share",
    [
        ("115.00", "15.00"),
        ("104.00", "13.57"),
        ("246.00", "32.09"),
        ("0.00", "0.00"),
        ("1.00", "0.13"),
        ("0.23", "0.03"),  # 0.03 exactly: 0.23 x 15/115
        ("10.35", "1.35"),  # 1.35 exactly
        ("0.50", "0.07"),  # 0.0652... rounds up
        ("3.45", "0.45"),  # 0.45 exactly
        ("1.15", "0.15"),
    ],
)
def test_the_vat_share_is_fifteen_of_every_hundred_and_fifteen_rounded_half_up(total, share):
    assert vat_share(Decimal(total)) == Decimal(share)


def test_the_vat_share_rounds_a_half_halala_up():
    # 0.115 x 15 / 115 = 0.015 exactly: half a halala goes up, as the totals round.
    assert vat_share(Decimal("0.115")) == Decimal("0.02")


@pytest.mark.parametrize("lang, shown", [("en", "1,234.50 SAR"), ("ar", "1,234.50 ريال سعودي")])
def test_money_reads_with_two_decimals_and_the_riyal_in_each_language(client, app, lang, shown):
    from storefront.formatting import sar

    with app.test_request_context(headers={"Accept-Language": lang}):
        html = str(sar(Decimal("1234.5")))
    assert text(html) == shown
    assert '<svg class="sar-sign"' in html and 'aria-hidden="true"' in html


def test_the_cart_checkout_and_receipt_say_incl_vat_and_show_the_vat_share(client, requests_mock, arabic_order):
    client.post("/products/sukkari-dates", data={"quantity": 1})  # 79.00 + 25.00 shipping = 104.00
    cart, checkout = (
        text(client.get("/cart").get_data(as_text=True)),
        text(client.get("/checkout").get_data(as_text=True)),
    )
    for page in (cart, checkout):
        assert "Total incl. VAT104.00 SAR" in page and "of which VAT (15%)13.57 SAR" in page
    order = arabic_order("en", "paid")  # 79.00 + 25.00
    for path in (f"/checkout/callback?order={order.token}", f"/orders/{order.token}"):
        page = text(client.get(path).get_data(as_text=True))
        assert "Total incl. VAT104.00 SAR" in page and "of which VAT (15%)13.57 SAR" in page
    arabic = text(client.get(f"/orders/{order.token}", headers={"Accept-Language": "ar"}).get_data(as_text=True))
    assert (
        "الإجمالي شامل الضريبة104.00 ريال سعودي" in arabic
        and "منها ضريبة القيمة المضافة (15%)13.57 ريال سعودي" in arabic
    )


def test_what_goes_to_points_adds_up_with_no_tax_amount_as_prices_include_vat(client, requests_mock):
    requests_mock.post(
        POINTS_CHECKOUT,
        json={"status": True, "message": "", "appended_data": {}, "data": {"checkout_url": "https://pay.example/s/1"}},
    )
    client.post("/products/sukkari-dates", data={"quantity": 2})
    client.post("/checkout", data={"phone": "0551234567", "name": "Sara", "city": "Riyadh", "address_line": "1 Rd"})
    body = requests_mock.last_request.json()
    assert "tax_amount" not in body
    lines = sum(Decimal(str(p["product_price"])) * p["quantity"] for p in body["products"])
    assert (
        lines + Decimal(str(body.get("shipping_amount", 0))) == Decimal(str(body["total_price"])) == Decimal("183.00")
    )


@pytest.mark.parametrize(
    "lang, placed",
    [
        ("en", "Mar 2, 2026, 12:30 AM"),  # 21:30 UTC on 1 March is half past midnight in Riyadh
        ("ar", "2 مارس 2026، 12:30 ص"),
    ],
)
def test_the_order_page_shows_the_time_in_riyadh(client, arabic_order, lang, placed):
    order = arabic_order(lang, "paid", created_at=datetime(2026, 3, 1, 21, 30))
    html = client.get(f"/orders/{order.token}", headers={"Accept-Language": ACCEPT[lang]}).get_data(as_text=True)
    shown = text(re.search(r'data-testid="order-placed">(.*?)</dd>', html).group(1))
    assert shown.startswith(placed)
    assert 'datetime="2026-03-01T21:30:00Z"' in html  # the machine-readable instant stays UTC


def test_the_admin_shows_riyadh_time_to_the_second(staff_client, arabic_order):
    order = arabic_order("en", "paid", created_at=datetime(2026, 3, 1, 21, 30, 5))
    page = text(staff_client.get(f"/admin/orders/{order.order_number}").get_data(as_text=True))
    assert "Mar 2, 2026, 00:30:05" in page and "21:30:05" not in page


# --- What the shopper's language changes beyond the words ----------------------------------------


def test_an_arabic_shopper_sends_points_arabic_product_names_and_the_locale(client, requests_mock):
    requests_mock.post(
        POINTS_CHECKOUT,
        json={"status": True, "message": "", "appended_data": {}, "data": {"checkout_url": "https://pay.example/s/1"}},
    )
    headers = {"Accept-Language": "ar"}
    client.post("/products/sukkari-dates", data={"quantity": 1}, headers=headers)
    client.post(
        "/checkout",
        data={"phone": "0551234567", "name": "سارة", "city": "الرياض", "address_line": "1"},
        headers=headers,
    )
    body = requests_mock.last_request.json()
    assert [p["product_name"] for p in body["products"]] == ["علبة تمر سكري"]
    assert body["metadata"]["locale"] == "ar"
    with client.application.app_context():
        order = db.session.scalar(sa.select(Order))
        assert (order.locale, order.lines[0].product_name) == ("ar", "علبة تمر سكري")


def test_try_again_brings_back_the_phone_name_city_and_address(client, arabic_order):
    client.get("/")  # a session
    failed = arabic_order(
        "en",
        "cancelled",
        customer_name="Noura Al-Harbi",
        phone="551234567",
        city="Dammam",
        address_line="Prince Mohammed St 7",
        status_reason="checkout abandoned",
    )
    response = client.post(f"/checkout/retry/{failed.token}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/checkout")
    page = client.get("/checkout").get_data(as_text=True)
    for name, value in {
        "phone": "0551234567",
        "name": "Noura Al-Harbi",
        "city": "Dammam",
        "address_line": "Prince Mohammed St 7",
    }.items():
        assert re.search(rf'name="{name}"[^>]*value="{value}"', page), name
    with client.session_transaction() as session:
        assert "551234567" not in str(dict(session))  # the phone never goes into the cookie


@pytest.mark.parametrize(
    "shipping_status, done",
    [
        (None, ["Order received"]),
        ("new", ["Order received"]),
        ("delivery_is_in_progress", ["Order received", "Ready to ship", "Out for delivery"]),
    ],
)
def test_the_delivery_tracker_marks_order_received_once_paid(client, arabic_order, shipping_status, done):
    order = arabic_order("en", "paid", shipping_status=shipping_status)
    html = client.get(f"/orders/{order.token}").get_data(as_text=True)
    assert re.findall(r'<li class="done"[^>]*>([^<]+)</li>', html) == done


def test_order_numbers_and_names_do_not_break_at_their_hyphens(client, arabic_order):
    order = arabic_order("en", "paid", customer_name="Sara Al-Qahtani")
    html = client.get(f"/checkout/callback?order={order.token}").get_data(as_text=True)
    assert f'<strong class="order-number" data-testid="order-number">{order.order_number}</strong>' in html
    assert "Thank you, Sara Al\u2011Qahtani!" in html  # a non-breaking hyphen
    css = (ROOT / "static" / "css" / "shop.css").read_text(encoding="utf-8")
    assert re.search(r"\.nowrap, \.order-number \{ white-space: nowrap; \}", css)


def test_the_shipping_status_the_shopper_reads_is_in_their_language(client, arabic_order):
    order = arabic_order(
        "ar",
        "paid",
        shipping_status="delivery_is_in_progress",
        shipping_label_ar="خرج للتوصيل مع سمسا",
        shipping_label_en="Out for delivery with SMSA",
    )
    arabic = client.get(f"/orders/{order.token}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    english = client.get(f"/orders/{order.token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<dd data-testid="shipping-status">خرج للتوصيل مع سمسا</dd>' in arabic
    assert '<dd data-testid="shipping-status">Out for delivery with SMSA</dd>' in english


@pytest.mark.parametrize(
    "reason",
    [
        "checkout abandoned",
        "checkout expired",
        "The cart changed before payment; a new order replaced this one.",
        "The contact or delivery details changed before payment; a new order replaced this one.",
        "checkout never started: Points gave no checkout_url, so the shopper saw no checkout",
    ],
)
def test_why_an_order_was_cancelled_reads_in_the_shoppers_language(client, arabic_order, reason):
    order = arabic_order("ar", "cancelled", status_reason=reason)
    arabic = text(
        client.get(f"/checkout/callback?order={order.token}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    )
    assert f"أُلغي الطلب {order.order_number}:" in arabic and not latin_runs(arabic)
    english = text(
        client.get(f"/checkout/callback?order={order.token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    )
    assert f"Order {order.order_number} was cancelled: " in english
