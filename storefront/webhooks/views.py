from flask import jsonify, request

from ..extensions import csrf
from ..points.webhook import receive
from . import bp


# Points refuses a second webhook for a URL it has: a secret rolls through the second address
# (README, runbook), and the two take turns. Both check both secrets (POINTS_WEBHOOK_SECRET_NEXT).
@bp.post("/webhooks/points")
@bp.post("/webhooks/points-next", endpoint="points_webhook_next")
@csrf.exempt  # Points cannot send our CSRF token; the X-Webhook-Secret check replaces it.
def points_webhook():
    result = receive(request.get_data(cache=False), request.headers, request.remote_addr)
    return jsonify({"received": result.status_code < 300, "outcome": result.outcome}), result.status_code
