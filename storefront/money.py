"""Riyals and halalas, and the VAT inside every price.

Saudi prices are shown VAT-inclusive (15 %): a price already holds its VAT, so the shop never adds
VAT on top and never sends Points a ``tax_amount``. Receipts show the VAT share of a total.
"""

from decimal import ROUND_HALF_UP, Decimal

HALALA = Decimal("0.01")
VAT_RATE = Decimal("0.15")  # ZATCA's standard rate since July 2020


def to_cents(amount) -> Decimal:
    """A SAR amount to two places, rounded half up (the way the totals and the wire round)."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    return value.quantize(HALALA, rounding=ROUND_HALF_UP)


def vat_share(total: Decimal, rate: Decimal = VAT_RATE) -> Decimal:
    """The VAT inside a VAT-inclusive total: ``total × 15/115``, rounded half up to the halala."""
    return to_cents(Decimal(total) * rate / (1 + rate))
