"""The back office's forms. Every one carries a CSRF token (Flask-WTF)."""
from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import DecimalField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import ValidationError

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


class CancelForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired("Give a reason."), Length(max=REASON_MAX)],
                           render_kw={"rows": 2, "placeholder": "Customer asked to cancel"})


class RefundForm(FlaskForm):
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
