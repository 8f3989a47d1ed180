"""The back office's forms. Every one carries a CSRF token (Flask-WTF); the money-moving ones
(refund, cancel) also a one-time ``submission_key``, new at every render (see backoffice._once)."""
import uuid
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import UUID, DataRequired, Length, Optional, ValidationError

from ..backoffice import LABEL_MAX, REASON_MAX
from ..points import SHIPPING_STATUSES

MAX_SAR_AMOUNT = Decimal("100000000")  # money columns are Numeric(10, 2)


def sar_amount(form, field):
    """1e309, NaN or a thousandth of a riyal is a field error here, not a 500 further on."""
    amount = field.data
    if amount is not None and not (amount.is_finite() and abs(amount) < MAX_SAR_AMOUNT
                                   and amount == amount.quantize(Decimal("0.01"))):
        raise ValidationError("Enter an amount in SAR with at most two decimals, e.g. 25.50.")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email."), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])


class LogoutForm(FlaskForm):
    pass


class ShippingForm(FlaskForm):
    status = SelectField("Shipping status", choices=[SelectChoice(s, s.replace("_", " ").capitalize()) for s in SHIPPING_STATUSES])
    name_ar = StringField("Arabic label", validators=[Optional(), Length(max=LABEL_MAX)],
                          render_kw={"dir": "rtl", "lang": "ar", "placeholder": "خرج للتوصيل"})
    name_en = StringField("English label", validators=[Optional(), Length(max=LABEL_MAX)],
                          render_kw={"placeholder": "Out for delivery"})


OUT_OF_DATE = "This form is out of date: reload the order page and submit it again."


def submission_key_field():
    return HiddenField(default=lambda: str(uuid.uuid4()),
                       validators=[DataRequired(OUT_OF_DATE), UUID(OUT_OF_DATE)])


class CancelForm(FlaskForm):
    submission_key = submission_key_field()
    reason = TextAreaField("Reason", validators=[DataRequired("Give a reason."), Length(max=REASON_MAX)],
                           render_kw={"rows": 2, "placeholder": "Customer asked to cancel"})


class RefundForm(FlaskForm):
    submission_key = submission_key_field()
    amount = DecimalField("Amount (SAR)", places=2, validators=[Optional(), sar_amount],
                          description="Leave empty to refund everything that is left.",
                          render_kw={"inputmode": "decimal", "placeholder": "all that is left"})
    reason = TextAreaField("Reason", validators=[DataRequired("Give a reason."), Length(max=REASON_MAX)],
                           render_kw={"rows": 2, "placeholder": "One item returned"})


class AcceptForm(FlaskForm):
    note = TextAreaField("What you checked", validators=[DataRequired("Say what you checked."), Length(max=REASON_MAX)],
                         render_kw={"rows": 2, "placeholder": "Customer confirmed; the difference is the delivery fee"})


class ReconcileForm(FlaskForm):
    pass


class PointsUuidForm(FlaskForm):
    points_uuid = StringField(
        "Points order uuid",
        validators=[DataRequired("Paste the order's uuid from the Points dashboard."),
                    UUID("That is not a Points order uuid: it looks like 9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d.")],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"placeholder": "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", "autocomplete": "off",
                   "spellcheck": "false", "class": "mono"})


class CloseUnpaidForm(FlaskForm):
    reason = TextAreaField("Why it is unpaid", validators=[DataRequired("Say why it is unpaid."), Length(max=REASON_MAX)],
                           render_kw={"rows": 2, "placeholder": "Not in the Points dashboard; the customer confirmed they left"})
