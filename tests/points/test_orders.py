"""The order state machine: the table of allowed moves and apply_points_status."""

from decimal import Decimal

import pytest

from storefront.models import Order
from storefront.points import orders


def order_in(status, total="104.00", refunded="0.00"):
    return Order(
        order_number="PTS-2026-000001",
        status=status,
        total=Decimal(total),
        refunded_amount=Decimal(refunded),
        transitions=[],
    )


@pytest.mark.parametrize(
    "start,target",
    [
        ("paid", "pending_payment"),
        ("paid", "cancelled"),
        ("refunded", "paid"),
        ("cancelled", "paid"),
        ("partially_refunded", "paid"),
        ("refunded", "partially_refunded"),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(start, target):
    order = order_in(start)
    with pytest.raises(orders.IllegalMove):
        orders.move(order, target, source="test")
    assert order.status == start and order.transitions == []


def test_every_status_has_a_row_in_the_table():
    assert set(orders.ALLOWED_MOVES) == set(orders.STATUSES)
    assert all(targets <= set(orders.STATUSES) for targets in orders.ALLOWED_MOVES.values())


def test_a_move_is_recorded_with_its_source_and_reason():
    order = order_in("pending_payment")
    orders.move(order, "cancelled", source="shop", reason="cart changed")
    [transition] = order.transitions
    assert (transition.from_status, transition.to_status, transition.source, transition.reason) == (
        "pending_payment",
        "cancelled",
        "shop",
        "cart changed",
    )


@pytest.mark.parametrize(
    "start,points_status,expected_status,expected_outcome",
    [
        ("pending_payment", "approved", "paid", "applied"),
        ("pending_payment", "captured", "paid", "applied"),
        ("pending_payment", "authorized", "authorized", "applied"),
        ("authorized", "captured", "paid", "applied"),
        ("paid", "approved", "paid", "late"),
        ("paid", "authorized", "paid", "late"),
        ("paid", "cancelled", "paid", "late"),
        ("refunded", "cancelled", "refunded", "late"),
        ("refunded", "approved", "refunded", "late"),
        ("needs_review", "approved", "needs_review", "late"),
        ("cancelled", "approved", "needs_review", "paid_after_cancel"),
        ("cancelled", "captured", "needs_review", "paid_after_cancel"),
        ("cancelled", "cancelled", "cancelled", "late"),
        ("pending_payment", "new", "pending_payment", "ignored"),
        ("pending_payment", "fully_refunded", "refunded", "applied"),
    ],
)
def test_points_status_moves_the_order_only_forward(start, points_status, expected_status, expected_outcome):
    order = order_in(start)
    outcome = orders.apply_points_status(order, points_status, source="webhook", total_price="104.00")
    assert (order.status, outcome.outcome) == (expected_status, expected_outcome)


def test_partial_refunds_accumulate_and_never_exceed_the_total():
    order = order_in("paid")
    orders.apply_points_status(order, "partially_refunded", source="webhook", refund_amount=30)
    orders.apply_points_status(order, "partially_refunded", source="webhook", refund_amount=30)
    assert order.refunded_amount == Decimal("60.00") and order.refundable_amount == Decimal("44.00")
    orders.apply_points_status(order, "partially_refunded", source="webhook", refund_amount=500)
    assert order.refunded_amount == Decimal("104.00")


def test_left_amount_from_points_wins_over_our_own_sum():
    order = order_in("paid", refunded="10.00")
    orders.apply_points_status(order, "partially_refunded", source="webhook", refund_amount=5, left_amount=70)
    assert order.refunded_amount == Decimal("34.00")


def test_cancel_locally_only_gives_up_on_pending_orders():
    pending, paid = order_in("pending_payment"), order_in("paid")
    assert orders.cancel_locally(pending, "cart changed") is True and pending.status == "cancelled"
    assert orders.cancel_locally(paid, "cart changed") is False and paid.status == "paid"


def test_a_late_event_does_not_overwrite_the_points_status_mirror():
    order = order_in("paid")
    orders.apply_points_status(order, "approved", source="webhook", total_price="104.00")
    order.points_order_status = "approved"
    orders.apply_points_status(order, "cancelled", source="webhook")
    assert order.points_order_status == "approved"
    orders.apply_points_status(order, "partially_refunded", source="webhook", refund_amount=4)
    assert order.points_order_status == "partially_refunded"


@pytest.mark.parametrize("total_price", [None, "abc", True])
def test_a_payment_without_a_readable_amount_is_not_confirmed(total_price):
    order = order_in("pending_payment")
    outcome = orders.apply_points_status(order, "approved", source="webhook", total_price=total_price)
    assert order.status == "needs_review" and outcome.outcome == "amount_mismatch"
    assert "no amount" in order.status_reason


def test_refund_webhooks_out_of_order_never_make_the_refunded_amount_shrink():
    order = order_in("paid")  # 104.00
    orders.apply_points_status(order, "partially_refunded", source="webhook", refund_amount=30, left_amount=54)
    orders.apply_points_status(order, "partially_refunded", source="webhook", refund_amount=20, left_amount=84)
    assert order.refunded_amount == Decimal("50.00")
