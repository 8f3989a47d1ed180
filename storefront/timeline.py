"""An order's story for staff: every status change, every call to Points, every webhook, by time.

Bodies were masked when they were stored; they are masked again here with the configured secrets,
so a page never shows a key even if something slipped through at write time.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .extensions import db
from .i18n import current_language
from .labels import status_in_a_sentence, words
from .models import Order, OrderTransition, PointsApiCall, WebhookReceipt
from .points.orders import Outcome
from .privacy import mask_phones_in_text, scrub
from .recorded import shown

# Outcomes a webhook receipt may carry, as staff read them.
OUTCOME_LABELS = {outcome: outcome.label for outcome in Outcome}


def outcome_label(outcome: str) -> str:
    """A webhook delivery's outcome as staff read it."""
    return words(OUTCOME_LABELS, outcome)


GOOD = {Outcome.APPLIED, Outcome.EARNING_APPLIED}
WARN = {Outcome.DUPLICATE, Outcome.LATE, Outcome.IGNORED, Outcome.UNKNOWN_EVENT, Outcome.OTHER_POINTS_ORDER}
INFO = {Outcome.NOT_OURS, Outcome.MERCHANT_EVENT, Outcome.EARNING_KNOWN}


@dataclass
class Entry:
    kind: str  # "transition", "call", "webhook"
    at: datetime
    title: str
    chips: list[tuple[str, str]] = field(default_factory=list)  # (text, tone: good|warn|bad|info)
    detail: Optional[str] = None
    sections: list[tuple[str, str]] = field(default_factory=list)  # (heading, pretty text)
    source: Optional[str] = None
    id: int = 0
    facts: list[tuple[str, str]] = field(default_factory=list)  # the few fields worth a glance


def order_timeline(order: Order) -> list[Entry]:
    """Calls and deliveries in the order they happened; each status change right after what caused
    it (recorded on the change itself, see ``orders.caused_by``), else at its own time."""
    calls = db.session.scalars(sa.select(PointsApiCall).where(PointsApiCall.order_id == order.id)).all()
    receipts = db.session.scalars(sa.select(WebhookReceipt).where(WebhookReceipt.order_id == order.id)).all()
    causes = {("call", c.id) for c in calls} | {("webhook", r.id) for r in receipts}
    effects, on_their_own = defaultdict(list), []
    for t in order.transitions:
        cause = ("webhook", t.webhook_receipt_id) if t.webhook_receipt_id else ("call", t.api_call_id)
        (effects[cause] if cause in causes else on_their_own).append(transition_entry(t))
    rank = {"call": 0, "webhook": 1, "transition": 2}  # at the same instant, a cause before a change
    story = sorted(
        [call_entry(c) for c in calls] + [webhook_entry(r) for r in receipts] + on_their_own,
        key=lambda e: (e.at, rank[e.kind], e.id),
    )
    timeline = []
    for entry in story:
        timeline.append(entry)
        timeline.extend(effects.get((entry.kind, entry.id), ()))
    return timeline


def stamp(moment) -> str:
    return moment.strftime("%Y%m%d%H%M%S%f") if moment else "0"


def order_version(where) -> Optional[tuple]:
    """What a page showing one order (``where``, e.g. ``Order.token == token``) depends on, read in
    one indexed query: the order row (status, amounts, uuid, shipping) and the newest call,
    webhook and status change on its timeline. None if there is no such order."""
    row = db.session.execute(
        sa.select(
            Order.updated_at,
            sa.select(sa.func.max(PointsApiCall.id)).where(PointsApiCall.order_id == Order.id).scalar_subquery(),
            sa.select(sa.func.max(WebhookReceipt.id)).where(WebhookReceipt.order_id == Order.id).scalar_subquery(),
            sa.select(sa.func.max(OrderTransition.id)).where(OrderTransition.order_id == Order.id).scalar_subquery(),
        ).where(where)
    ).one_or_none()
    if row is None:
        return None
    return stamp(row[0]), *(part or 0 for part in row[1:])


def transition_entry(t) -> Entry:
    arrow = "←" if current_language() == "ar" else "→"  # the way the reading goes
    title = (
        f"{status_in_a_sentence(t.from_status)} {arrow} {status_in_a_sentence(t.to_status)}"
        if t.from_status
        else _("Created as %(status)s", status=status_in_a_sentence(t.to_status))
    )
    chips = [(str(SOURCES.get(t.source, t.source)), "info")]
    if t.staff_user_id:
        chips.append((_("by %(email)s", email=t.staff_user.email), "info"))
    return Entry("transition", t.created_at, title, chips=chips, detail=shown(t.reason), source=t.source, id=t.id)


def call_entry(c: PointsApiCall) -> Entry:
    ok = c.response_status is not None and 200 <= c.response_status < 300 and not c.error
    chips = [(str(c.response_status) if c.response_status else _("no answer"), "good" if ok else "bad")]
    if c.duration_ms is not None:
        chips.append((_("%(ms)d ms", ms=c.duration_ms), "info"))
    # Only the private calls carry a key; the shop never stores it, so the header is shown masked.
    sections = [] if "/checkout/" in c.path else [(_("Request headers"), pretty({"x-api-key": "***"}))]
    if c.request_body is not None:
        sections.append((_("Request body"), pretty(c.request_body)))
    if c.response_body is not None:
        sections.append((_("Response body"), pretty(c.response_body)))
    return Entry(
        "call",
        c.created_at,
        f"{c.method} {mask_path(c.path)}",
        chips=chips,
        detail=_mask_text(c.error) if c.error else None,
        sections=sections,
        id=c.id,
        facts=_facts(c.request_body, CALL_FACTS, under=None) + _facts(c.response_body, ANSWER_FACTS, under="data"),
    )


def webhook_entry(r: WebhookReceipt) -> Entry:
    chips = [
        (outcome_label(r.outcome), outcome_tone(r.outcome)),
        (_("answered %(status)s", status=r.response_status), "info"),
    ]
    sections = [(_("Headers"), pretty(r.headers)), (_("Body"), pretty(r.body))]
    order = _part(r.body, "order")  # an earning order's webhook says so: type earning, its points
    return Entry(
        "webhook",
        r.received_at,
        r.event or _("(no event)"),
        chips=chips,
        detail=_mask_text(shown(r.detail)) if r.detail else None,
        sections=sections,
        id=r.id,
        facts=_facts_of(order, EARNING_WEBHOOK_FACTS if order.get("type") == "earning" else WEBHOOK_FACTS),
    )


# Who made a status change (OrderTransition.source), as staff read it.
SOURCES = {
    "checkout": _l("checkout"),
    "shop": _l("shop"),
    "webhook": _l("webhook"),
    "reconciliation": _l("reconciliation"),
    "admin": _l("admin"),
}

WEBHOOK_FACTS = ("order_status", "total_price", "refund_amount", "left_amount", "status", "reason")
# An earning order's webhook says which kind it is and the points it awarded (or has left).
EARNING_WEBHOOK_FACTS = ("type", "order_status", "total_points", "left_points", "total_price", "reason")
CALL_FACTS = ("total_price", "amount", "status", "name_en", "reason")
ANSWER_FACTS = ("order_status", "total_points")  # of the answer's data: an earning's points


def _part(raw, under="order") -> dict:
    """A JSON body's object (or its ``under`` member); {} when the body is not that."""
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return {}
    if under and isinstance(data, dict):
        data = data.get(under)
    return data if isinstance(data, dict) else {}


def _facts(raw, keys, under="order") -> list[tuple[str, str]]:
    """A few fields of a JSON body, shown on the entry's face so the story reads without opening it."""
    return _facts_of(_part(raw, under), keys)


def _facts_of(data: dict, keys) -> list[tuple[str, str]]:
    return [(key, _mask_text(str(data[key]))) for key in keys if data.get(key) not in (None, "", {}, [])]


def outcome_tone(outcome: str) -> str:
    return "good" if outcome in GOOD else "warn" if outcome in WARN else "info" if outcome in INFO else "bad"


def pretty(raw) -> str:
    """Indented JSON with secrets and phone numbers masked; text that is not JSON, masked."""
    if raw is None or raw == "":
        return ""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):
            return _mask_text(raw)
    return json.dumps(_scrub_again(raw), indent=2, ensure_ascii=False, sort_keys=False)


def _scrub_again(obj):
    """privacy.scrub, leaving values that were already masked at write time as they are."""
    if isinstance(obj, dict):
        return {
            key: value
            if _already_masked(value)
            else _scrub_again(value)
            if isinstance(value, (dict, list))
            else scrub({key: value}, _secrets())[key]
            for key, value in obj.items()
        }
    if isinstance(obj, list):
        return [_scrub_again(value) for value in obj]
    return scrub(obj, _secrets())


def _already_masked(value) -> bool:
    return isinstance(value, str) and value.startswith("***")


def mask_path(path: str) -> str:
    public_key = current_app.config.get("POINTS_PUBLIC_KEY")
    path = path.replace(public_key, "{publicKey}") if public_key else path
    return _mask_text(path)


def _mask_text(text: str) -> str:
    return mask_phones_in_text(scrub(text, _secrets()))


def _secrets():
    cfg = current_app.config
    return (cfg.get("POINTS_PRIVATE_KEY"), cfg.get("POINTS_WEBHOOK_SECRET"))
