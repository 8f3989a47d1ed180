"""Points' promotional widgets (decisions: "Points widgets"; reference §10.7): where the loader is,
which origin the CSP opens to it, and the points a price earns as the widget shows them.

The loader is Points' own ``widget-loader.js`` from the Points origin (``POINTS_API_URL``'s, e.g.
``https://sandbox.papp.sa/widget-loader.js``), or ``POINTS_WIDGET_LOADER_URL``; in demo mode the
embedded sandbox serves its stand-in at ``/points-sandbox/widget-loader.js`` on this very origin.
"""

import math
from decimal import Decimal
from typing import Optional

from flask import current_app

from ..config import DEMO_SANDBOX_PATH, origin_of


def loader_url() -> str:
    cfg = current_app.config
    if cfg.get("POINTS_WIDGET_LOADER_URL"):
        return cfg["POINTS_WIDGET_LOADER_URL"]
    if cfg["POINTS_DEMO_MODE"] or not cfg["POINTS_API_URL"]:
        return f"{DEMO_SANDBOX_PATH}/widget-loader.js"
    return origin_of(cfg["POINTS_API_URL"]) + "/widget-loader.js"


def widget_origin() -> Optional[str]:
    """The loader's origin, for the CSP; None when it is this site's own (a path: ``'self'``)."""
    url = loader_url()
    return origin_of(url) if "://" in url else None


def points_for(price: Decimal) -> int:
    """What the widget says a price earns: price × the shop's points per SAR, rounded down."""
    return math.floor(Decimal(price) * Decimal(current_app.config["POINTS_EARN_PER_SAR"]))
