"""Riyals and halalas, and the VAT inside every price.

Saudi prices are shown VAT-inclusive (15 %): a price already holds its VAT, so the shop never adds
VAT on top and never sends Points a ``tax_amount``. Receipts show the VAT share of a total.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

HALALA = Decimal("0.01")
VAT_RATE = Decimal("0.15")  # ZATCA's standard rate since July 2020


def to_cents(amount) -> Decimal:
    """A SAR amount to two places, rounded half up (the way the totals and the wire round)."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return value.quantize(HALALA, rounding=ROUND_HALF_UP)


def vat_share(total: Decimal, rate: Decimal = VAT_RATE) -> Decimal:
    """The VAT inside a VAT-inclusive total: ``total × 15/115``, rounded half up to the halala."""
    return to_cents(Decimal(total) * rate / (1 + rate))


def parse_decimal(value) -> Optional[Decimal]:
    """A finite ``Decimal`` from a Decimal, an int, a float (by its shortest repr) or a numeric
    string; None for anything else: None, '', a bool, text, NaN or an infinity."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        amount = value
    else:
        try:
            amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        except ArithmeticError:
            return None
    return amount if amount.is_finite() else None
