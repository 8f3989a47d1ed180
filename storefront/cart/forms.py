from flask_wtf import FlaskForm

from ..fields import QuantityField


class LineQuantityForm(FlaskForm):
    """Change one line's quantity; removing a line is its own form with only the CSRF token."""

    quantity = QuantityField()


class RemoveLineForm(FlaskForm):
    pass
