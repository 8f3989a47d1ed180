from flask import jsonify, request

from ..extensions import csrf
from ..points.webhook import receive
from . import bp


@bp.post("/webhooks/points")
@csrf.exempt  # Points cannot send our CSRF token; the X-Webhook-Secret check replaces it.
def points_webhook():
    result = receive(request.get_data(cache=False), request.headers, request.remote_addr)
    return jsonify({"received": result.status_code < 300, "outcome": result.outcome}), result.status_code
