"""Request validation with Laravel's rules and messages, as the real Points API answers.

Errors are collected per field in dot notation (`products.0.quantity`); the 422 `message`
is the first failing message, with Laravel's "(and N more errors)" suffix.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urlparse

CENT = Decimal("0.01")
# The largest amount a money column (12 digits, 2 of them decimals) holds.
MAX_AMOUNT = Decimal("9999999999.99")
_MISSING = object()  # "read the value from the request body"
# What PHP's is_numeric (Laravel `numeric`) and filter_var(FILTER_VALIDATE_INT) (`integer`)
# take: ASCII digits only, no `_` separators, no other scripts' digits, no inf/nan.
_PHP_SPACE = "[ \t\n\r\v\f]*"
NUMERIC = re.compile(rf"{_PHP_SPACE}[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?{_PHP_SPACE}")
INTEGER = re.compile(rf"{_PHP_SPACE}[+-]?(0|[1-9][0-9]*){_PHP_SPACE}")


class ValidationFailed(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("validation failed")
        self.errors = errors

    @property
    def message(self) -> str:
        messages = [m for ms in self.errors.values() for m in ms]
        if not messages:
            return "The given data was invalid."
        rest = len(messages) - 1
        if rest == 0:
            return messages[0]
        return f"{messages[0]} (and {rest} more error{'s' if rest > 1 else ''})"


_KSA_PREFIXES = ("+966", "00966", "966", "0")
_KSA_MOBILE = re.compile(r"5[0-9]{8}")  # ASCII digits only: \d would take Arabic-Indic ones


def _strip_prefix(digits: str) -> str:
    for prefix in _KSA_PREFIXES:
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits


def normalize_phone(raw) -> str | None:
    """Lenient, like the SDK's normaliser (the hosted phone form): spaces and dashes are
    stripped, then the prefix. KSA mobile -> `5\\d{8}`, or None when it is not one."""
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        return None
    digits = _strip_prefix(re.sub(r"[\s\-]", "", str(raw)))
    return digits if _KSA_MOBILE.fullmatch(digits) else None


def normalize_api_phone(raw) -> str | None:
    """Strict, like the API's backend (docs 10.1): a string; only the prefix (+966, 00966, 966
    or 0) is stripped, and the rest must be `5\\d{8}`. No whitespace or dash stripping."""
    if not isinstance(raw, str):
        return None
    digits = _strip_prefix(raw)
    return digits if _KSA_MOBILE.fullmatch(digits) else None


def attribute(key: str) -> str:
    """Laravel's displayable name: the last segment, underscores as spaces."""
    return key.rsplit(".", 1)[-1].replace("_", " ")


class Validator:
    """Each check returns the clean value (or None) and records what failed."""

    def __init__(self, data: dict):
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    @staticmethod
    def _blank(value) -> bool:
        return value is None or (isinstance(value, str) and value.strip() == "") or value == [] or value == {}

    def _get(self, key, value, required: bool):
        """(value, go_on): go_on is False when the value is absent/null and that is fine or failed."""
        if value is _MISSING:
            value = self.data.get(key)
        if self._blank(value):
            if required:
                self.fail(key, f"The {attribute(key)} field is required.")
            return None, False
        return value, True

    def number(self, key, value=_MISSING, *, required=False, minimum=None, maximum=MAX_AMOUNT) -> Decimal | None:
        value, go_on = self._get(key, value, required)
        if not go_on:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.fail(key, f"The {attribute(key)} must be a number.")
            return None
        text = str(value)
        if not NUMERIC.fullmatch(text):
            self.fail(key, f"The {attribute(key)} must be a number.")
            return None
        try:
            number = Decimal(text.strip(" \t\n\r\v\f"))
            if not number.is_finite():
                raise InvalidOperation
            if not self._within(key, number, minimum, maximum):
                return None
            return number.quantize(CENT, rounding=ROUND_HALF_UP)
        except InvalidOperation:
            self.fail(key, f"The {attribute(key)} must be a number.")
            return None

    def integer(self, key, value=_MISSING, *, required=False, minimum=None, maximum=None) -> int | None:
        value, go_on = self._get(key, value, required)
        if not go_on:
            return None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and INTEGER.fullmatch(value) and len(value.strip()) <= 20:
            number = int(value)
        else:
            number = None
        if number is not None and not -(2**63) <= number < 2**63:  # PHP_INT_MAX: not an integer
            number = None
        if number is None:
            self.fail(key, f"The {attribute(key)} must be an integer.")
            return None
        return number if self._within(key, number, minimum, maximum) else None

    def _within(self, key, number, minimum, maximum) -> bool:
        """Laravel's min/max rules on a number; records the failure."""
        if minimum is not None and number < minimum:
            self.fail(key, f"The {attribute(key)} must be at least {minimum}.")
            return False
        if maximum is not None and number > maximum:
            self.fail(key, f"The {attribute(key)} must not be greater than {maximum}.")
            return False
        return True

    def string(self, key, value=_MISSING, *, required=False, max_length=None) -> str | None:
        value, go_on = self._get(key, value, required)
        if not go_on:
            return None
        if not isinstance(value, str):
            self.fail(key, f"The {attribute(key)} must be a string.")
            return None
        if max_length is not None and len(value) > max_length:
            self.fail(key, f"The {attribute(key)} must not be greater than {max_length} characters.")
            return None
        return value

    def url(self, key, value=_MISSING, *, required=False, max_length=None) -> str | None:
        text = self.string(key, value, required=required, max_length=max_length)
        if text is None:
            return None
        parts = urlparse(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
            self.fail(key, f"The {attribute(key)} must be a valid URL.")
            return None
        return text

    def choice(self, key, choices, value=_MISSING, *, required=False) -> str | None:
        value, go_on = self._get(key, value, required)
        if not go_on:
            return None
        if value not in choices:
            self.fail(key, f"The selected {attribute(key)} is invalid.")
            return None
        return value

    def mapping(self, key, value=_MISSING) -> dict | None:
        """An optional `array` (a JSON object): an empty one is kept and echoed as `{}`;
        only `required` treats it as missing, as Laravel does."""
        if value is _MISSING:
            value = self.data.get(key)
        if value == {}:
            return {}
        value, go_on = self._get(key, value, False)
        if not go_on:
            return None
        if not isinstance(value, dict):
            self.fail(key, f"The {attribute(key)} must be an array.")
            return None
        return value

    def phone(self, key, value=_MISSING, *, required=False) -> str | None:
        value, go_on = self._get(key, value, required)
        if not go_on:
            return None
        phone = normalize_api_phone(value)
        if phone is None:
            self.fail(key, f"The {attribute(key)} format is invalid.")
        return phone


def _product_lines(v: Validator, products) -> list[dict] | None:
    """`products.*` (ProductLine): each line's errors under `products.<index>.<field>`."""
    if not isinstance(products, list):
        v.fail("products", "The products must be an array.")
        return None
    lines = []
    for index, item in enumerate(products):
        prefix = f"products.{index}"
        if not isinstance(item, dict):
            v.fail(prefix, "The products must be an array.")
            continue
        lines.append(
            {
                "product_name": v.string(
                    f"{prefix}.product_name", item.get("product_name"), required=True, max_length=255
                ),
                "product_price": v.number(
                    f"{prefix}.product_price", item.get("product_price"), required=True, minimum=0
                ),
                "quantity": v.integer(f"{prefix}.quantity", item.get("quantity"), required=True, minimum=1),
            }
        )
    return lines


def validate_earning(data: dict) -> dict:
    """EarningOrderRequest: `phone_number`, `total_price`, `order_number` and `products` (at
    least one line) required. The docs say nothing of a leading `#` here, so it is kept; nor of
    the lines adding up, so (unlike the checkout) they are not checked against the total."""
    v = Validator(data)
    clean = {
        "phone_number": v.phone("phone_number", required=True),
        "name": v.string("name", max_length=255),
        "total_price": v.number("total_price", required=True, minimum=0),
        "shipping_amount": v.number("shipping_amount", minimum=0),
        "tax_amount": v.number("tax_amount", minimum=0),
        "discount_amount": v.number("discount_amount", minimum=0),
        "shipping_address": None,
        "products": None,
        "order_number": v.string("order_number", required=True, max_length=255),
        "metadata": v.mapping("metadata"),
    }
    address = v.mapping("shipping_address")
    if address is not None:
        clean["shipping_address"] = {
            "city": v.string("shipping_address.city", address.get("city"), max_length=100),
            "line1": v.string("shipping_address.line1", address.get("line1"), max_length=255),
        }
    products, _ = v._get("products", data.get("products"), True)  # [] fails `required` too
    if products is not None:
        clean["products"] = _product_lines(v, products)
    v.check()
    return clean


def validate_checkout(data: dict) -> dict:
    """CheckoutRequest, plus this project's rule that the lines add up to `total_price`."""
    v = Validator(data)
    total = v.number("total_price", required=True, minimum=0)
    order_number = data.get("order_number")
    if isinstance(order_number, str):
        order_number = order_number.strip().lstrip("#")  # a leading '#' is stripped server-side
    order_number = v.string("order_number", order_number or None, required=True, max_length=255)
    clean = {
        "total_price": total,
        "order_number": order_number,
        "phone_number": v.phone("phone_number"),
        "name": v.string("name", max_length=255),
        "shipping_amount": v.number("shipping_amount", minimum=0),
        "tax_amount": v.number("tax_amount", minimum=0),
        "discount_amount": v.number("discount_amount", minimum=0),
        "metadata": v.mapping("metadata"),
        "callback_url": v.url("callback_url"),
        "shipping_address": None,
        "products": None,
    }
    address = v.mapping("shipping_address")
    if address is not None:
        clean["shipping_address"] = {
            "city": v.string("shipping_address.city", address.get("city"), max_length=100),
            "line1": v.string("shipping_address.line1", address.get("line1"), max_length=255),
        }
    products = data.get("products")
    if products is not None and products != []:
        clean["products"] = _product_lines(v, products)
    elif products == []:
        v.fail("products", "The products must have at least 1 items.")
    v.check()
    if clean["products"]:
        expected = (
            sum(p["product_price"] * p["quantity"] for p in clean["products"])
            + (clean["shipping_amount"] or 0)
            + (clean["tax_amount"] or 0)
            - (clean["discount_amount"] or 0)
        )
        if expected != total:  # both are quantised to the halala: equal or not, no tolerance
            v.fail(
                "total_price",
                f"The total price must equal the products plus shipping and tax minus discount ({expected:.2f}).",
            )
            v.check()
    return clean
