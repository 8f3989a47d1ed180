"""One id per request, on every log line it writes and on every call it makes to Points.

Taken from ``X-Request-ID`` when a proxy in front set a sane one (so the proxy's access log and
ours share it), else made here; answered back in the same header. Each call to Points sends
``<request id>.<call id>`` as its own ``X-Request-ID`` and records it on ``PointsApiCall``.
"""

import logging
import re
import uuid
from typing import Optional

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-ID"
SANE = re.compile(r"[A-Za-z0-9._:-]{8,64}")  # what may go into a log line and a header unchanged


def install(app: Flask) -> None:
    @app.before_request
    def take_request_id():
        given = request.headers.get(HEADER, "")
        g.request_id = given if SANE.fullmatch(given) else uuid.uuid4().hex[:16]

    @app.after_request
    def answer_request_id(response):
        if "request_id" in g:
            response.headers[HEADER] = g.request_id
        return response


def current() -> Optional[str]:
    """This request's id, or None outside a request (a CLI command, a background thread)."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" outside a request), for the log format."""

    def filter(self, record):
        record.request_id = current() or "-"
        return True
