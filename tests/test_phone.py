"""normalize_phone: every KSA mobile shape in points-decisions.md becomes ``5XXXXXXXX``; nothing else passes."""

import pytest

from storefront.phone import normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "+966512345678",
        "+966 51 234 5678",
        "+966-51-234-5678",
        "00966512345678",
        "00966 51 234 5678",
        "966512345678",
        "966-512-345-678",
        "0512345678",
        "051 234 5678",
        "051-234-5678",
        "512345678",
        "51 234 5678",
        "  0512345678  ",
    ],
)
def test_every_accepted_shape_becomes_nine_digits_starting_with_5(raw):
    assert normalize_phone(raw) == "512345678"


@pytest.mark.parametrize(
    "raw",
    [
        "0112345678",  # Riyadh landline
        "+966112345678",  # landline with the country code
        "51234567",  # 8 digits
        "5123456789",  # 10 digits
        "05123456789",  # one digit too many after 0
        "+96651234567",  # +9665 with only 7 digits after the 5
        "+9665123456789",  # +9665 with 9 digits after the 5
        "512a45678",  # a letter
        "five12345678",
        "",
        "   ",
        None,
        "+971501234567",  # UAE
        "+201012345678",  # Egypt
        "+1 512 345 678",  # looks like a mobile after a foreign code
        "0096651234567",  # 00966 with too few digits
        "+0512345678",
        "٥١٢٣٤٥٦٧",  # Arabic-Indic digits, but 8 of them
        "5¹23456789",  # other Unicode digits are not translated
    ],
)
def test_rejects_anything_that_is_not_a_ksa_mobile(raw):
    assert normalize_phone(raw) is None


def test_result_is_plain_ascii_digits():
    result = normalize_phone("+966 55 123 4567")
    assert result == "551234567"
    assert result.isascii() and result.isdigit()


@pytest.mark.parametrize("raw", ["٠٥٠٠٠٠٠٠٠١", "+٩٦٦ ٥٠ ٠٠٠ ٠٠٠١", "۰۵۰۰۰۰۰۰۰۱", "5٠٠٠٠٠٠٠١"])
def test_arabic_indic_digits_are_read_as_the_same_number_in_ascii(raw):
    assert normalize_phone(raw) == "500000001"
