from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SubmitField

from ..fields import QuantityField


class AddToCartForm(FlaskForm):
    # Only the quantity comes from the browser; the price is always read from the database.
    quantity = QuantityField(default=1)
    submit = SubmitField(_l("Add to cart"))
