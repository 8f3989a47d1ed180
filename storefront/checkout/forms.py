from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..phone import normalize_phone


class CheckoutForm(FlaskForm):
    phone = StringField("Mobile number", validators=[DataRequired("Enter your mobile number.")],
                        description="A Saudi mobile, e.g. 05X XXX XXXX. Points sends a code to it.")
    name = StringField("Full name", validators=[DataRequired("Enter your name."), Length(max=255)])
    city = StringField("City", validators=[DataRequired("Enter your city."), Length(max=100)])
    address_line = StringField("Address", validators=[DataRequired("Enter your street address."), Length(max=255)])

    normalized_phone: str | None = None

    def validate_phone(self, field):
        self.normalized_phone = normalize_phone(field.data)
        if self.normalized_phone is None:
            raise ValidationError("Enter a Saudi mobile number, e.g. 05X XXX XXXX or +966 5X XXX XXXX.")
