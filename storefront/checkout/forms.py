from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from ..phone import normalize_phone


class CheckoutForm(FlaskForm):
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Enter your mobile number."))],
        description=_l("A Saudi mobile, e.g. 05X XXX XXXX. Points sends a code to it."),
    )
    name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter your name.")), Length(max=255)])
    city = StringField(_l("City"), validators=[DataRequired(_l("Enter your city.")), Length(max=100)])
    address_line = StringField(
        _l("Address"), validators=[DataRequired(_l("Enter your street address.")), Length(max=255)]
    )

    payment = RadioField(
        _l("Payment"),
        choices=[SelectChoice("points", _l("Pay with Points")), SelectChoice("cod", _l("Cash on delivery"))],
        default="points",
        validators=[DataRequired(_l("Choose how to pay."))],
    )

    normalized_phone: str | None = None

    def validate_phone(self, field):
        self.normalized_phone = normalize_phone(field.data)
        if self.normalized_phone is None:
            raise ValidationError(_l("Enter a Saudi mobile number, e.g. 05X XXX XXXX or +966 5X XXX XXXX."))
