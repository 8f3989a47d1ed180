"""The shop's recorded sentences, shown in the reader's language.

Reasons, webhook outcomes and errors are stored as the shop wrote them, in English (the wire and
the database speak one language, and logs and the Points dashboard stay searchable). At display
time, each sentence the shop itself writes is matched to its message here and shown translated,
its parameters (statuses, amounts, uuids, a note staff typed) kept as they were. Anything else,
Points' own words (a webhook's ``reason``, an error message from the API), is shown as it came.
"""

import re
from typing import Callable, Optional

from flask_babel import lazy_gettext as _l

from .formatting import sar_text
from .i18n import current_language, isolated
from .labels import status_in_a_sentence
from .points import checkout, orders


def _status(value: str) -> str:
    return status_in_a_sentence(value)


def _amount(value: str) -> str:
    return isolated(sar_text(value))


def _code(value: str) -> str:
    return isolated(value)


def _points(value: str) -> str:
    return isolated(f"{int(value):,}")


def _arrow() -> str:
    return "←" if current_language() == "ar" else "→"


# (pattern, message, how each named group is shown). Each pattern is a sentence the shop writes
# (points/orders.py, points/webhook.py, points/checkout.py, points/staff.py), matched whole.
SENTENCES: list[tuple[re.Pattern, object, dict[str, Callable[[str], str]]]] = [
    (re.compile(r"Pay with Points pressed"), _l("Pay with Points pressed"), {}),
    (re.compile(r"already processed; nothing changed"), _l("already processed; nothing changed"), {}),
    (re.compile(r"processed concurrently; nothing changed"), _l("processed concurrently; nothing changed"), {}),
    (
        re.compile(r"(?P<points_status>\w+) -> (?P<status>\w+)"),
        _l("%(points_status)s %(arrow)s %(status)s"),
        {"points_status": _code, "status": _status},
    ),
    (
        re.compile(r"(?P<status>\w+); refunded so far (?P<amount>[\d.]+) SAR"),
        _l("%(status)s; refunded so far %(amount)s"),
        {"status": _status, "amount": _amount},
    ),
    (re.compile(r"cancelled"), _l("cancelled"), {}),
    (
        re.compile(r"order is already (?P<status>\w+); a late cancel does not undo it"),
        _l("order is already %(status)s; a late cancel does not undo it"),
        {"status": _status},
    ),
    (
        re.compile(r"order is already (?P<status>\w+); (?P<points_status>\w+) changes nothing"),
        _l("order is already %(status)s; %(points_status)s changes nothing"),
        {"status": _status, "points_status": _code},
    ),
    (re.compile(r"order is already fully refunded"), _l("order is already fully refunded"), {}),
    (
        re.compile(r"money moved after the shop cancelled the order"),
        _l("money moved after the shop cancelled the order"),
        {},
    ),
    (
        re.compile(r"Points total (?P<said>[\d.]+ SAR|no amount) != order total (?P<total>[\d.]+)"),
        _l("Points' total %(said)s is not the order total %(total)s"),
        {"said": lambda v: _amount(v[:-4]) if v.endswith(" SAR") else str(_l("no amount")), "total": _amount},
    ),
    (re.compile(r"Points still has the order as new"), _l("Points still has the order as new"), {}),
    (
        re.compile(r"unknown order_status (?P<points_status>.*)"),
        _l("unknown order_status %(points_status)s"),
        {"points_status": _code},
    ),
    (
        re.compile(r"completed follows approved; order_status stays approved"),
        _l("completed follows approved; order_status stays approved"),
        {},
    ),
    (
        re.compile(r"shipping status (?P<shipping>\w+)"),
        _l("shipping status %(shipping)s"),
        {"shipping": _code},
    ),
    (
        re.compile(r"about Points order (?P<uuid>\S+), not (?P<ours>\S+); nothing changed"),
        _l("about Points order %(uuid)s, not %(ours)s; nothing changed"),
        {"uuid": _code, "ours": _code},
    ),
    (
        re.compile(r"another Points order \((?P<uuid>\S+)\) was paid for (?P<order>\S+)"),
        _l("another Points order (%(uuid)s) was paid for %(order)s"),
        {"uuid": _code, "order": _code},
    ),
    (
        re.compile(r"no handler for (?P<event>.*); nothing changed"),
        _l("no handler for %(event)s; nothing changed"),
        {"event": _code},
    ),
    (re.compile(r"no order (?P<order>.*) here \(yet\)"), _l("no order %(order)s here (yet)"), {"order": _code}),
    (re.compile(r"missing or wrong X-Webhook-Secret"), _l("missing or wrong X-Webhook-Secret"), {}),
    (
        re.compile(r"an earning order this shop never sent \(points awarded on another channel\); nothing changed"),
        _l("an earning order this shop never sent (points awarded on another channel); nothing changed"),
        {},
    ),
    # About the earning order of a cash-on-delivery order (points/webhook.py, points/earn.py).
    (re.compile(r"never sent for earning; nothing changed"), _l("never sent for earning; nothing changed"), {}),
    (
        re.compile(r"an earning order for a Points checkout; nothing changed"),
        _l("an earning order for a Points checkout; nothing changed"),
        {},
    ),
    (
        re.compile(r"order_number (?P<order>.*) is not in this shop's format \(PTS-YYYY-NNNNNN\); nothing changed"),
        _l("order_number %(order)s is not in this shop's format (PTS-YYYY-NNNNNN); nothing changed"),
        {"order": _code},
    ),
    # About the earning order of a cash-on-delivery order (points/earn.py, points/webhook.py).
    (
        re.compile(r"earning approved: (?P<points>\d+) points"),
        _l("earning approved: %(points)s points"),
        {"points": _points},
    ),
    (
        re.compile(r"earning refunded; (?P<points>\d+) points left"),
        _l("earning refunded; %(points)s points left"),
        {"points": _points},
    ),
    (
        re.compile(r"the earning is already approved; nothing changed"),
        _l("the earning is already approved; nothing changed"),
        {},
    ),
    (
        re.compile(r"the earning is already reversed; nothing changed"),
        _l("the earning is already reversed; nothing changed"),
        {},
    ),
    (
        re.compile(r"(?P<event>\w+) on the earning order changes nothing here"),
        _l("%(event)s on the earning order changes nothing here"),
        {"event": _code},
    ),
    (
        re.compile(r"about earning order (?P<uuid>\S+); nothing changed"),
        _l("about earning order %(uuid)s; nothing changed"),
        {"uuid": _code},
    ),
    (
        re.compile(r"a second Points earning order \((?P<uuid>\S+)\) for (?P<order>\S+): refund it"),
        _l("a second Points earning order (%(uuid)s) for %(order)s: refund it"),
        {"uuid": _code, "order": _code},
    ),
    # Reasons recorded on a status change (points/orders.py, points/webhook.py, points/staff.py).
    (
        re.compile(
            r"Points reports the order (?P<points_status>\w+) after the shop cancelled it: refund it or fulfil it\."
        ),
        _l("Points reports the order %(points_status)s after the shop cancelled it: refund it or fulfil it."),
        {"points_status": _code},
    ),
    (
        re.compile(
            r"Amount mismatch: Points says (?P<said>[\d.]+ SAR|no amount), the order total is (?P<total>[\d.]+) SAR\."
        ),
        _l("Amount mismatch: Points says %(said)s, the order total is %(total)s."),
        {"said": lambda v: _amount(v[:-4]) if v.endswith(" SAR") else str(_l("no amount")), "total": _amount},
    ),
    (
        re.compile(r"Points says (?P<points_status>\w+)\."),
        _l("Points says %(points_status)s."),
        {"points_status": _code},
    ),
    (re.compile(r"Cancelled at Points"), _l("Cancelled at Points"), {}),
    (
        re.compile(r"Cash on delivery chosen: the shop confirmed the order"),
        _l("Cash on delivery chosen: the shop confirmed the order"),
        {},
    ),
    (re.compile(r"Cash collected"), _l("Cash collected"), {}),
    (re.compile(r"Cash refunded: (?P<reason>.*)", re.S), _l("Cash refunded: %(reason)s"), {"reason": str}),
    (
        re.compile(re.escape(checkout.CHOSE_CASH)),
        _l("The shopper chose cash on delivery instead; nothing is to be paid through Points."),
        {},
    ),
    (
        re.compile(r"Points order (?P<uuid>\S+) was also paid for this order: refund one of them\."),
        _l("Points order %(uuid)s was also paid for this order: refund one of them."),
        {"uuid": _code},
    ),
    (
        re.compile(r"Accepted after review: (?P<note>.*)", re.S),
        _l("Accepted after review: %(note)s"),
        {"note": str},
    ),
    (
        re.compile(r"Closed as unpaid after review: (?P<reason>.*)", re.S),
        _l("Closed as unpaid after review: %(reason)s"),
        {"reason": str},
    ),
    (re.compile(re.escape(orders.NO_WORD_FROM_POINTS)), _l("no word from Points"), {}),
    (
        re.compile(re.escape(orders.NEVER_STARTED)),
        _l("checkout never started: Points gave no checkout_url, so the shopper saw no checkout"),
        {},
    ),
    (
        re.compile(re.escape(orders.CART_CHANGED)),
        _l("The cart changed before payment; a new order replaced this one."),
        {},
    ),
    (
        re.compile(re.escape(orders.DETAILS_CHANGED)),
        _l("The contact or delivery details changed before payment; a new order replaced this one."),
        {},
    ),
    (
        re.compile(r"Checkout call failed: (?P<error>.*)", re.S),
        _l("Checkout call failed: %(error)s"),
        {"error": _code},
    ),
]


def shown(text: Optional[str]) -> Optional[str]:
    """``text`` in the reader's language if the shop wrote it, else as it was recorded."""
    if not text:
        return text
    for pattern, message, shows in SENTENCES:
        match = pattern.fullmatch(text)
        if match:
            params = {name: shows[name](value) for name, value in match.groupdict().items()}
            return str(message) % {**params, "arrow": _arrow()} if params else str(message)
    return text
