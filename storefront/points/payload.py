"""What a verified webhook delivery says, as typed values, or why it cannot be read (a 400).

Points sends three kinds of body (reference §5.4-5.5, points-decisions.md "Webhooks"):

* an order event, ``{"event", "order": {...}, "timestamp"}``: the ``order`` is read into a
  :class:`~storefront.points.client.PointsOrder`;
* a merchant event (``low_balance_warning``, ``debt_exceeded``), ``{"event", "merchant": {...},
  "data": {...}, "timestamp"}`` with no ``order``: read into a :class:`MerchantEvent`;
* any other event name: an :class:`UnknownEvent`, acknowledged and kept.

Every value the shop uses is checked here for type and range, so the handler never meets a raw
dict, a NaN amount or a string too long for its column, and a bad value is a 400, never a 500.
Keys the shop does not use stay as they came (in ``raw``), and missing optional keys are fine:
the docs' own examples leave out ``reference_number``, ``type`` and ``metadata``.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional, Union

from flask_babel import gettext as _

from ..formatting import sar_text
from ..money import parse_decimal, to_cents
from .client import Labels, PointsOrder, order_type, points_uuid

ORDER_EVENTS = frozenset(
    {
        "approved",
        "authorized",
        "captured",
        "cancelled",
        "completed",
        "refunded",
        "auto_refunded",
        "shipping_status_updated",
    }
)
MERCHANT_EVENTS = frozenset({"low_balance_warning", "debt_exceeded"})

# The longest text accepted, set by where it is kept (the receipt's and the order's columns).
EVENT_MAX = 64  # WebhookReceipt.event
ORDER_NUMBER_MAX = 64  # WebhookReceipt.order_number
UUID_MAX = 36  # Order.points_uuid: the length of a UUID
REFERENCE_MAX = 64  # Order.points_reference_number
STATUS_MAX = 32  # Order.points_order_status, Order.shipping_status
LABEL_MAX = 120  # Order.shipping_label_ar / shipping_label_en
TEXT_MAX = 255  # status_label, merchant name
REASON_MAX = 1000  # Points itself takes a refund reason of at most 500 characters
STAMP_MAX = 64  # created_at, updated_at, timestamp: ISO 8601
MONEY_MAX = Decimal("99999999.99")  # Numeric(10, 2)
BALANCE_MAX = Decimal("999999999999.99")  # a merchant balance, shown only
CENT = Decimal("0.01")


class Malformed(ValueError):
    """The body cannot be read, or holds a value of the wrong type or range: answered 400.

    ``event`` and ``order_number`` are filled in once they were read and found valid, so the
    receipt of a refused delivery still says what it was about."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
        self.event: Optional[str] = None
        self.order_number: Optional[str] = None


@dataclass(frozen=True)
class OrderEvent:
    event: str
    order: PointsOrder

    @property
    def dedupe_key(self) -> str:
        """The same event about the same ``order`` object, every field alike, is one event.

        sha256 of the event name and the canonical JSON of ``order`` (the envelope's ``timestamp``
        left out: a redelivery may be stamped anew). ``updated_at`` is to the second, so two
        partial refunds or shipping updates within one second are told apart by ``left_amount``
        or ``status``, which differ."""
        canonical = json.dumps(self.order.raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(f"{self.event}\n{canonical}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MerchantEvent:
    """Points' word about the merchant account itself (its wallet), not about an order."""

    event: str
    merchant_id: Optional[str]
    merchant_name: Optional[str]
    current_balance: Optional[Decimal]
    order_points: Optional[Decimal]
    balance_after_order: Optional[Decimal]
    max_debt_allowed: Optional[Decimal]
    timestamp: Optional[str]

    @property
    def summary(self) -> str:
        """One line for staff: what Points says about the account (in their language, when shown)."""
        if self.event == "low_balance_warning":
            if self.current_balance is None:
                return _("Points balance low")
            return _("Points balance low: %(balance)s left", balance=sar_text(self.current_balance))
        facts = []
        if self.current_balance is not None:
            facts.append(_("balance %(balance)s", balance=sar_text(self.current_balance)))
        if self.max_debt_allowed is not None:
            facts.append(_("debt allowed up to %(amount)s", amount=sar_text(self.max_debt_allowed)))
        if not facts:
            return _("Points account over its debt limit")
        return _("Points account over its debt limit: %(facts)s", facts=", ".join(facts))


@dataclass(frozen=True)
class UnknownEvent:
    event: str


Delivery = Union[OrderEvent, MerchantEvent, UnknownEvent]


def parse(raw_body: bytes) -> Delivery:
    """Read a delivery whose secret was verified; raises :class:`Malformed` (a 400)."""
    payload = _json_object(raw_body)
    event = _text(payload, "event", EVENT_MAX, where="", required=True)
    try:
        _check_storable(event)
    except Malformed:
        raise Malformed("the event name holds a character no database keeps") from None
    try:
        _check_storable(payload)
        if event in ORDER_EVENTS:
            return OrderEvent(event, _points_order(payload.get("order")))
        if event in MERCHANT_EVENTS:
            return _merchant_event(event, payload)
        return UnknownEvent(event)
    except Malformed as bad:
        bad.event = event
        raise


def _json_object(raw_body: bytes) -> dict:
    try:
        payload = json.loads(raw_body)  # bytes: must be UTF-8 (a UnicodeDecodeError is a ValueError)
    except ValueError:
        raise Malformed("the body is not JSON") from None
    except RecursionError:
        raise Malformed("the body is nested too deeply") from None
    if not isinstance(payload, dict):
        raise Malformed("the body is not a JSON object")
    return payload


def _check_storable(payload) -> None:
    """Every string in it, key or value, is text a database keeps: PostgreSQL refuses a NUL, and
    half a surrogate pair is not UTF-8. Neither is anything Points would send."""
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise Malformed("the body holds a NUL character")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise Malformed("the body holds half of a UTF-16 surrogate pair") from None


def _points_order(order) -> PointsOrder:
    if not isinstance(order, dict):
        raise Malformed("no order object")
    order_number = _text(order, "order_number", None, required=True).lstrip("#")  # "#PTS-..." is ours too
    if not order_number:
        raise Malformed("no order.order_number")
    try:
        if len(order_number) > ORDER_NUMBER_MAX:
            raise Malformed(f"order.order_number is longer than {ORDER_NUMBER_MAX} characters ({len(order_number)})")
        return _read_order(order, order_number)
    except Malformed as bad:
        bad.order_number = order_number[:ORDER_NUMBER_MAX]
        raise


def _read_order(order: dict, order_number: str) -> PointsOrder:
    # The webhook's ``id`` is the uuid; an embedded API resource has an integer ``id`` and ``uuid``.
    key = "uuid" if "uuid" in order else "id"
    try:
        uuid = points_uuid(_text(order, key, UUID_MAX, required=True))
    except ValueError:
        raise Malformed(f"order.{key} is {_show(order.get(key))}, not a uuid") from None
    try:
        kind = order_type(order.get("type"))
    except ValueError:
        raise Malformed(f"order.type is {_show(order.get('type'))}, neither earning nor replacing") from None
    status_label = order.get("status_label")
    labels = _labels(order, "custom_status")
    if isinstance(status_label, dict):  # "ar/en display text": accepted as an object too
        labels = labels or _labels(order, "status_label")
        status_label = None
    else:
        status_label = _text(order, "status_label", TEXT_MAX)
    return PointsOrder(
        uuid=uuid,
        order_number=order_number,
        order_status=_text(order, "order_status", STATUS_MAX) or "",  # "" when not said
        total_price=_amount(order, "total_price"),
        reference_number=_text(order, "reference_number", REFERENCE_MAX),
        status_label=status_label,
        type=kind,
        refund_amount=_amount(order, "refund_amount"),
        left_amount=_amount(order, "left_amount"),
        reason=_text(order, "reason", REASON_MAX),
        status=_shipping_status(order),
        custom_status=labels,
        updated_at=_text(order, "updated_at", STAMP_MAX),
        total_points=_whole_points(order, "total_points"),
        payment_status=_text(order, "payment_status", STATUS_MAX),
        left_points=_whole_points(order, "left_points"),
        raw=order,
    )


def _shipping_status(order: dict) -> Optional[str]:
    status = order.get("status")
    if isinstance(status, int) and not isinstance(status, bool):
        return None  # an API resource's numeric shipping status: its names are undocumented
    return _text(order, "status", STATUS_MAX)


def _labels(mapping: dict, key: str) -> Optional[Labels]:
    value = mapping.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Malformed(f"order.{key} must be an object with ar and en, not {_kind(value)}")
    where = f"order.{key}"
    return Labels(ar=_text(value, "ar", LABEL_MAX, where=where), en=_text(value, "en", LABEL_MAX, where=where))


def _merchant_event(event: str, payload: dict) -> MerchantEvent:
    merchant = payload.get("merchant")
    if merchant is None:
        merchant = {}
    if not isinstance(merchant, dict):
        raise Malformed(f"merchant must be an object, not {_kind(merchant)}")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise Malformed(f"{event} without a data object")
    merchant_id = merchant.get("id")
    if isinstance(merchant_id, int) and not isinstance(merchant_id, bool):
        merchant_id = str(merchant_id)
    else:
        merchant_id = _text(merchant, "id", EVENT_MAX, where="merchant")

    def balance(key):
        return _amount(data, key, where="data", signed=True, limit=BALANCE_MAX)

    return MerchantEvent(
        event=event,
        merchant_id=merchant_id,
        merchant_name=_text(merchant, "name", TEXT_MAX, where="merchant"),
        current_balance=balance("current_balance"),
        order_points=balance("order_points"),
        balance_after_order=balance("balance_after_order"),
        max_debt_allowed=balance("max_debt_allowed"),
        timestamp=_text(payload, "timestamp", STAMP_MAX, where=""),
    )


# --- One value ------------------------------------------------------------------------------------


def _text(
    mapping: dict, key: str, max_length: Optional[int], *, where: str = "order", required: bool = False
) -> Optional[str]:
    """A string of at most ``max_length`` characters; an empty one is taken as absent."""
    name = f"{where}.{key}" if where else key
    value = mapping.get(key)
    if value is None or value == "":
        if required:
            raise Malformed(f"no {name}")
        return None
    if not isinstance(value, str):
        raise Malformed(f"{name} must be a string, not {_kind(value)}")
    if max_length is not None and len(value) > max_length:
        raise Malformed(f"{name} is longer than {max_length} characters ({len(value)})")
    return value


def _amount(
    mapping: dict, key: str, *, where: str = "order", signed: bool = False, limit: Decimal = MONEY_MAX
) -> Optional[Decimal]:
    """An amount in SAR as a Decimal to the cent, from a JSON number or a string like "1500.00"."""
    value = mapping.get(key)
    if value is None:
        return None
    name = f"{where}.{key}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Malformed(f"{name} must be an amount, not {_kind(value)}")
    amount = parse_decimal(value)
    if amount is None:
        raise Malformed(f"{name} is {_show(value)}, not a finite amount")
    if abs(amount) > limit or (amount < 0 and not signed):
        raise Malformed(f"{name} is {_show(value)}, out of range")
    return to_cents(amount)


POINTS_MAX = 2_000_000_000  # an Integer column


def _whole_points(mapping: dict, key: str) -> Optional[int]:
    """A number of points: a whole number from 0 (1150, 1150.0 or "1150")."""
    value = mapping.get(key)
    if value is None:
        return None
    name = f"order.{key}"
    amount = parse_decimal(value) if not isinstance(value, bool) and isinstance(value, (int, float, str)) else None
    if amount is None or amount < 0 or amount > POINTS_MAX or amount != amount.to_integral_value():
        raise Malformed(f"{name} is {_show(value)}, not a whole number of points")
    return int(amount)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _show(value) -> str:
    """A value for a message, cut short: a 10 KB string is not repeated back."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
