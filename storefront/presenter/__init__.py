"""The presenter view (demo mode only): the shopper's side and the order's live timeline side by side,
and the one-click scenarios. Registered only in demo mode, so outside it every URL here is a 404."""

from flask import Blueprint

bp = Blueprint("presenter", __name__, url_prefix="/presenter")

from . import views  # noqa: E402,F401
