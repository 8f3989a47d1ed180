"""Form fields the shop's blueprints share."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from .carts import MAX_QUANTITY

QUANTITY_MESSAGE = _l("Choose a quantity from 1 to %(max)d.", max=MAX_QUANTITY)


class QuantityField(IntegerField):
    """A quantity from 1 to MAX_QUANTITY, with one plain message for anything else ("two", 0, 21)."""

    def __init__(self, label=_l("Quantity"), **kwargs):
        kwargs.setdefault(
            "validators", [InputRequired(QUANTITY_MESSAGE), NumberRange(1, MAX_QUANTITY, QUANTITY_MESSAGE)]
        )
        kwargs.setdefault("render_kw", {"min": 1, "max": MAX_QUANTITY, "step": 1, "inputmode": "numeric"})
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None  # not a whole number: NumberRange then gives the one message
