from flask import Blueprint

bp = Blueprint("shop", __name__)

from . import formatting, views  # noqa: E402,F401
