"""The back office's forms. Every one carries a CSRF token (Flask-WTF); the money-moving ones
(refund, cancel) also a one-time ``submission_key``, new at every render (see backoffice._once)."""

import uuid
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import UUID, DataRequired, Length, Optional, ValidationError

from ..labels import SHIPPING_STATUS
from ..points.client import SHIPPING_STATUSES
from ..points.staff import LABEL_MAX, REASON_MAX

MAX_SAR_AMOUNT = Decimal("100000000")  # money columns are Numeric(10, 2)


def sar_amount(form, field):
    """1e309, NaN or a thousandth of a riyal is a field error here, not a 500 further on."""
    amount = field.data
    if amount is not None and not (
        amount.is_finite() and abs(amount) < MAX_SAR_AMOUNT and amount == amount.quantize(Decimal("0.01"))
    ):
        raise ValidationError(_l("Enter an amount in SAR with at most two decimals, e.g. 25.50."))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Enter your email.")), Length(max=255)],
        render_kw={"dir": "ltr", "autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password."))],
        render_kw={"dir": "ltr", "autocomplete": "current-password"},
    )


class LogoutForm(FlaskForm):
    pass


class ShippingForm(FlaskForm):
    status = SelectField(
        _l("Shipping status"), choices=[SelectChoice(s, SHIPPING_STATUS.get(s, s)) for s in SHIPPING_STATUSES]
    )
    name_ar = StringField(
        _l("Arabic label"),
        validators=[Optional(), Length(max=LABEL_MAX)],
        description=_l("Both empty: the shop's own words for the status, in both languages."),
        render_kw={"dir": "rtl", "lang": "ar", "placeholder": "خرج للتوصيل"},
    )
    name_en = StringField(
        _l("English label"),
        validators=[Optional(), Length(max=LABEL_MAX)],
        render_kw={"dir": "ltr", "lang": "en", "placeholder": "Out for delivery"},
    )


OUT_OF_DATE = _l("This form is out of date: reload the order page and submit it again.")


def submission_key_field():
    return HiddenField(default=lambda: str(uuid.uuid4()), validators=[DataRequired(OUT_OF_DATE), UUID(OUT_OF_DATE)])


class CancelForm(FlaskForm):
    submission_key = submission_key_field()
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give a reason.")), Length(max=REASON_MAX)],
        render_kw={"rows": 2, "placeholder": _l("Customer asked to cancel")},
    )


class RefundForm(FlaskForm):
    submission_key = submission_key_field()
    amount = DecimalField(
        _l("Amount (SAR)"),
        places=2,
        validators=[Optional(), sar_amount],
        description=_l("Leave empty to refund everything that is left."),
        render_kw={"inputmode": "decimal", "placeholder": _l("all that is left")},
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give a reason.")), Length(max=REASON_MAX)],
        render_kw={"rows": 2, "placeholder": _l("One item returned")},
    )


class AcceptForm(FlaskForm):
    note = TextAreaField(
        _l("What you checked"),
        validators=[DataRequired(_l("Say what you checked.")), Length(max=REASON_MAX)],
        render_kw={"rows": 2, "placeholder": _l("Customer confirmed; the difference is the delivery fee")},
    )


class ReconcileForm(FlaskForm):
    pass


class PointsUuidForm(FlaskForm):
    points_uuid = StringField(
        _l("Points order uuid"),
        validators=[
            DataRequired(_l("Paste the order's uuid from the Points dashboard.")),
            UUID(_l("That is not a Points order uuid: it looks like 9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d.")),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={
            "placeholder": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
            "autocomplete": "off",
            "spellcheck": "false",
            "class": "mono",
        },
    )


class CloseUnpaidForm(FlaskForm):
    reason = TextAreaField(
        _l("Why it is unpaid"),
        validators=[DataRequired(_l("Say why it is unpaid.")), Length(max=REASON_MAX)],
        render_kw={"rows": 2, "placeholder": _l("Not in the Points dashboard; the customer confirmed they left")},
    )


class CollectForm(FlaskForm):
    pass


class CashCancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give a reason.")), Length(max=REASON_MAX)],
        render_kw={"rows": 2, "placeholder": _l("Refused at the door")},
    )


class SendEarningForm(FlaskForm):
    pass


class RefundExtraEarningForm(FlaskForm):
    submission_key = submission_key_field()
