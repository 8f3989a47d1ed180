"""Phone numbers (PII) and secrets stay out of logs, pages and the admin timeline."""

import io
import logging

import pytest

from storefront.privacy import PhoneMaskingFilter, mask_phone, mask_phones_in_text, scrub


@pytest.mark.parametrize(
    "phone, masked",
    [
        ("512345678", "5****5678"),
        ("0512345678", "5****5678"),
        ("+966512345678", "5****5678"),
        ("+966 51 234 5678", "5****5678"),
        ("12345", "****2345"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone_keeps_only_the_leading_5_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    "shape",
    [
        "+966512345678",
        "+966 51 234 5678",
        "00966512345678",
        "00966-51-234-5678",
        "966512345678",
        "0512345678",
        "051 234 5678",
        "512345678",
    ],
)
def test_mask_phones_in_text_masks_every_accepted_shape_inside_a_sentence(shape):
    text = f"Shopper {shape}, asked to pay."
    assert mask_phones_in_text(text) == "Shopper 5****5678, asked to pay."


def test_mask_phones_in_text_masks_every_number_in_the_text():
    text = "old 0512345678 new +966 55 123 4567"
    assert mask_phones_in_text(text) == "old 5****5678 new 5****4567"


@pytest.mark.parametrize(
    "text",
    [
        "Order PTS-2026-000123 was approved",
        "PTS-2026-500001 and PTS-2026-000512",
        "paid on 2026-05-12 at 15:30:45",
        "at 2026-05-12T15:12:34.512345Z",
        "points uuid 550e8400-e29b-41d4-a716-446655440000",
        "GET /v1/orders/0b053750-3103-426e-a3ca-fc251d5d762d",  # 05 3750 3103 inside a uuid
        "uuid 7c0ad4f1-5123-4567-9abc-0512345678ab",
        "long id 1764115200512345678",
        "ten digits 5123456789",
        "ref ord_512345678901",
        "card 4111 1111 1111 1111",
        "total 512.34 SAR for 5 items",
    ],
)
def test_mask_phones_in_text_leaves_order_numbers_dates_and_long_ids_alone(text):
    assert mask_phones_in_text(text) == text


@pytest.fixture
def masked_logger(caplog):
    logger = logging.getLogger("tests.privacy.masked")
    masking = PhoneMaskingFilter()
    logger.addFilter(masking)
    caplog.set_level(logging.DEBUG, logger=logger.name)
    yield logger
    logger.removeFilter(masking)


def test_phone_masking_filter_masks_percent_s_phone_arguments(masked_logger, caplog):
    masked_logger.info("Checkout for %s (phone %s) started", "PTS-2026-000123", "0512345678")

    [record] = caplog.records
    assert record.getMessage() == "Checkout for PTS-2026-000123 (phone 5****5678) started"
    assert "0512345678" not in caplog.text and "512345678" not in caplog.text


def test_phone_masking_filter_leaves_records_without_phones_untouched(masked_logger, caplog):
    masked_logger.info("Order %s is %s", "PTS-2026-000123", "approved")

    [record] = caplog.records
    assert record.msg == "Order %s is %s"
    assert record.args == ("PTS-2026-000123", "approved")


def test_phone_masking_filter_never_raises_on_a_malformed_log_call(capsys):
    # Without the filter, logging reports a bad format string on stderr and carries on; the filter
    # must not turn it into an exception in the caller, nor print the phone while reporting it.
    # (Not through caplog: its handler deliberately fails the test on a logging error.)
    logger = logging.getLogger("tests.privacy.malformed")
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(io.StringIO()))
    logger.addFilter(PhoneMaskingFilter())

    shopper_phone = "0512345678"  # a variable, as in real code: logging's report prints the calling line

    logger.warning("phone %s then %s", shopper_phone)

    err = capsys.readouterr().err
    assert "Logging error" in err
    assert "512345678" not in err


SECRET = "sk_live_0123456789abcdef"


def test_scrub_masks_phone_secret_and_api_key_fields_recursively():
    payload = {
        "phone_number": "512345678",
        "headers": {"X-Api-Key": SECRET, "x-webhook-secret": "whsec_1"},
        "data": [{"uuid": "u-1", "secret": "abc123def456", "customer": {"phone_number": "0512345678"}}],
    }

    scrubbed = scrub(payload, [SECRET])

    assert scrubbed["phone_number"] == "5****5678"
    assert scrubbed["data"][0]["customer"]["phone_number"] == "5****5678"
    assert scrubbed["data"][0]["uuid"] == "u-1"
    for leaked in (SECRET, "whsec_1", "abc123def456"):
        assert leaked not in repr(scrubbed)
    assert payload["data"][0]["secret"] == "abc123def456", "scrub returns a copy"


def test_scrub_masks_a_given_secret_value_inside_any_string():
    scrubbed = scrub({"message": f"key {SECRET} rejected", "notes": [f"again: {SECRET}"]}, [SECRET])

    assert SECRET not in repr(scrubbed)
    assert scrubbed["message"].startswith("key ") and scrubbed["message"].endswith(" rejected")


def test_scrub_keeps_everything_else_as_it_was():
    payload = {"total_price": 150.75, "quantity": 2, "ok": True, "nothing": None, "name": "Sara"}
    assert scrub(payload, [SECRET, ""]) == payload
