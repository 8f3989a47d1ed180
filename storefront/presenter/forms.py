from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length

# The order events the sandbox's trigger sends (its README); merchant events need no order.
EVENTS = (
    "approved",
    "authorized",
    "captured",
    "completed",
    "cancelled",
    "refunded",
    "shipping_status_updated",
    "auto_refunded",
)


class ActionForm(FlaskForm):
    """A button: a scenario, Buy now, Reconcile. Only its CSRF token."""


class WebhookBodyForm(FlaskForm):
    event = SelectField(_l("Event"), choices=list(EVENTS), default="approved")
    body = TextAreaField(
        _l("Body"),
        validators=[Length(max=65536, message=_l("The body must be at most 64 KB."))],
        render_kw={"rows": 16, "class": "mono", "spellcheck": "false"},
        description=_l("Sent to the shop byte for byte, with the usual X-Webhook-Secret. Empty: the usual body."),
    )
