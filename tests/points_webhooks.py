"""Webhook bodies as the real Points sends them, built from the documented shapes (reference §5.4
and §5.5, points-decisions.md "Webhooks"), never from what our sandbox happens to send.

Points is a Laravel service: ``created_at``, ``updated_at`` and ``timestamp`` are to the second,
``.000000Z``, so two changes within one second carry the same ``updated_at``.
"""

import json
from typing import Optional

SECRET = "whsec_sandbox_demo"
UUID = "550e8400-e29b-41d4-a716-446655440000"
CREATED_AT = "2026-04-18T10:00:00.000000Z"


def points_order(
    order_number: str,
    *,
    uuid: str = UUID,
    order_status: str = "approved",
    total_price=150.75,
    type: Optional[str] = "replacing",
    updated_at: str = "2026-04-18T10:05:12.000000Z",
    **extras,
) -> dict:
    """The ``order`` of an order event: the fields §5.4 says it always has, plus the event's extras
    (``reason``; ``status``/``status_label``; ``refund_amount``, ``left_amount``...). A field given
    as None is left out, as the docs' own examples leave out ``type`` or ``reference_number``."""
    order = {
        "id": uuid,
        "reference_number": "REF-2024-001234",
        "order_number": order_number,
        "type": type,
        "total_price": total_price,
        "total_points": 500,
        "payment_status": "fully_paid",
        "order_status": order_status,
        "metadata": {"source": "web"},
        "created_at": CREATED_AT,
        "updated_at": updated_at,
        **extras,
    }
    return {key: value for key, value in order.items() if value is not None}


def order_event(event: str, order: dict, *, timestamp: Optional[str] = None) -> dict:
    return {"event": event, "order": order, "timestamp": timestamp or order.get("updated_at") or CREATED_AT}


def for_order(order, event: str, *, order_status: Optional[str] = None, total_price=None, **fields) -> dict:
    """An order event about one of the shop's orders (an ``Order`` row), by default for its total."""
    return order_event(
        event,
        points_order(
            order.order_number,
            uuid=fields.pop("uuid", order.points_uuid or UUID),
            order_status=order_status or event,
            total_price=float(order.total if total_price is None else total_price),
            **fields,
        ),
    )


def merchant_event(
    event: str,
    *,
    current_balance="1500.00",
    order_points="300.00",
    balance_after_order="1200.00",
    max_debt_allowed="5000.00",
    timestamp: str = "2026-04-18T16:00:00.000000Z",
) -> dict:
    """``low_balance_warning`` / ``debt_exceeded``: no ``order``; amounts as strings."""
    return {
        "event": event,
        "merchant": {
            "id": 17,
            "name": "Points Storefront",
            "created_at": "2025-01-05T09:00:00.000000Z",
            "updated_at": timestamp,
        },
        "data": {
            "current_balance": current_balance,
            "order_points": order_points,
            "balance_after_order": balance_after_order,
            "max_debt_allowed": max_debt_allowed,
        },
        "timestamp": timestamp,
    }


def deliver(
    client,
    body: Optional[dict],
    *,
    secret: Optional[str] = SECRET,
    raw: Optional[bytes] = None,
    event: Optional[str] = None,
):
    """POST a delivery as Points does: JSON, X-Webhook-Secret, X-Webhook-Event."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Webhook-Secret"] = secret
    name = event or (body.get("event") if isinstance(body, dict) else None)
    if isinstance(name, str):
        headers["X-Webhook-Event"] = name
    data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    return client.post("/webhooks/points", data=data, headers=headers)
