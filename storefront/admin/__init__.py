"""The back office at /admin: staff log in, read each order's story, and act through Points."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import auth, views  # noqa: E402,F401
