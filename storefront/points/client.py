"""PointsClient: the only code in the shop that speaks HTTP to Points.

One ``requests.Session``, a timeout on every call, the documented envelopes parsed into
:class:`PointsOrder` results and :class:`PointsError` errors. The public key goes only into the
checkout path; the private key only into the ``x-api-key`` header, and neither is ever logged.

Paths are appended to ``base_url`` exactly as the OpenAPI file reads them, so ``base_url`` is
``https://sandbox.papp.sa/api`` for the real sandbox, or ``<shop>/points-sandbox/api`` in demo mode.

Only reads are retried (``GET /v1/orders/{uuid}``, as the official SDK does: on 429 and 5xx,
250 ms x 2^n or the ``Retry-After`` asked for, at most 3 tries and 10 s of waiting). Calls that
move money or state (checkout, refund, cancel, shipping status) are tried once: a 5xx may have
done the work, and a second try could do it twice.
"""

import json
import logging
import re
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from email.utils import parsedate_to_datetime
from typing import Callable, Optional
from urllib.parse import quote

import requests
from flask import current_app

from .. import demo, request_ids
from ..extensions import db
from ..models import PointsApiCall, utcnow
from ..money import parse_decimal
from ..privacy import scrub

log = logging.getLogger(__name__)

SHIPPING_STATUSES = (
    "new",
    "license_in_progress",
    "ready_shipping",
    "delivery_is_in_progress",
    "delivered",
    "cancelled",
)


class PointsError(Exception):
    """A call to Points that did not succeed.

    ``kind`` is one of: ``auth`` (400 bad key), ``rejected`` (400 business rule), ``forbidden``
    (403), ``not_found`` (404), ``validation`` (422, see ``errors``), ``rate_limited`` (429),
    ``server`` (5xx), ``timeout``, ``connection``, ``bad_response`` (not the documented envelope),
    ``bad_uuid`` (refused before any call: not a uuid).
    """

    def __init__(self, kind: str, message: str, *, status_code: Optional[int] = None, errors=None, retry_after=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status_code = status_code
        self.errors: dict[str, list[str]] = errors or {}
        # Seconds from a ``Retry-After`` header (429, 5xx), when Points sent one: undocumented, honoured.
        self.retry_after: Optional[float] = retry_after

    def __str__(self):
        return (
            f"{self.kind} ({self.status_code}): {self.message}" if self.status_code else f"{self.kind}: {self.message}"
        )


def points_uuid(text) -> str:
    """A Points order uuid, written the one way (lowercase, hyphens); ValueError if ``text`` is
    not one. Every uuid that comes in (webhook, callback hint, staff form, API answer) passes
    here: it ends in the path of later calls, where nothing but a uuid may go."""
    if not isinstance(text, str):
        raise ValueError(f"{type(text).__name__} is not a uuid")
    return str(uuidlib.UUID(text.strip()))


# An order's ``type``: the API sends the integer, webhooks the name (reference §6.3).
ORDER_TYPES = {1: "earning", 2: "replacing"}


def order_type(value) -> Optional[str]:
    """``earning`` or ``replacing`` from either wire form; None when absent; ValueError otherwise."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in ORDER_TYPES:
        return ORDER_TYPES[value]
    if isinstance(value, str) and value in ORDER_TYPES.values():
        return value
    raise ValueError(f"order type {value!r} is neither earning nor replacing")


@dataclass(frozen=True)
class Labels:
    """A shipping status's display text, as the merchant set it (``custom_status``)."""

    ar: Optional[str] = None
    en: Optional[str] = None


@dataclass
class PointsOrder:
    """The fields of an order the shop uses, plus the raw resource: from the API's ``OrderResource``
    (:meth:`from_resource`) or a webhook's ``order`` (``webhooks/payload.py``), whose per-event
    extras fill the fields below ``status_label``."""

    uuid: str
    order_number: str
    order_status: str
    total_price: Optional[Decimal]
    reference_number: Optional[str] = None
    status_label: Optional[str] = None
    type: Optional[str] = None  # earning | replacing
    refund_amount: Optional[Decimal] = None  # refunded / auto_refunded: this refund
    left_amount: Optional[Decimal] = None  # refunded: what is left after it (absolute)
    reason: Optional[str] = None  # cancelled / refunded
    status: Optional[str] = None  # shipping_status_updated: the shipping status
    custom_status: Optional[Labels] = None  # shipping_status_updated: the merchant's labels
    updated_at: Optional[str] = None  # to the second: two changes may share it
    total_points: Optional[int] = None  # as Points reports it; its meaning per type is Points' own
    payment_status: Optional[str] = None  # webhook only: fully_paid | partially_paid (undefined)
    left_points: Optional[int] = None  # refunded (earning orders): the points it still awards
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_resource(cls, resource: dict) -> "PointsOrder":
        try:
            # The API's resource has ``uuid`` (its ``id`` is an internal integer); the webhook's
            # ``order`` has the uuid in ``id``. Never take the integer for the uuid.
            uuid = resource.get("uuid") or (resource["id"] if isinstance(resource.get("id"), str) else None)
            order_status = resource["order_status"]
        except (KeyError, AttributeError) as exc:
            raise PointsError("bad_response", f"order resource without {exc}") from None
        if not uuid:
            raise PointsError("bad_response", "order resource without a uuid")
        try:
            uuid = points_uuid(uuid)
        except ValueError:
            raise PointsError("bad_response", f"order resource whose uuid {str(uuid)[:64]!r} is not a uuid") from None
        total = resource.get("total_price")
        total_price = parse_decimal(total)
        if total is not None and total_price is None:
            raise PointsError("bad_response", f"order resource with total_price {total!r}")
        return cls(
            uuid=str(uuid),
            order_number=str(resource.get("order_number") or ""),
            order_status=str(order_status),
            total_price=total_price,
            reference_number=resource.get("reference_number"),
            status_label=resource.get("status_label"),
            raw=resource,
        )


@dataclass
class CallRecord:
    """What one call looked like on the wire, secrets and phone numbers masked."""

    method: str
    path: str
    request_body: Optional[dict]
    response_status: Optional[int]
    response_body: Optional[dict | str]
    error: Optional[str]
    duration_ms: int
    # Sent to Points as X-Request-ID and logged with the call: one line finds the other.
    request_id: Optional[str] = field(default=None, compare=False)


READ_TRIES = 3  # the official SDK's retries
READ_BACKOFF_SECONDS = 0.25  # 250 ms x 2^n between tries
READ_WAIT_BUDGET_SECONDS = 10.0  # never wait longer than this in all for one read
RETRIED_STATUSES = (429, 500, 502, 503, 504)


@dataclass
class EarningAnswer:
    """Points' answer to ``POST /v1/orders/earning``: an ``OrderResponse`` (approved, with its uuid)
    or a ``PendingEarningResponse`` (the shopper has no active Points account yet: no uuid)."""

    pending_activation: bool
    total_points: Optional[int]
    uuid: Optional[str] = None
    reference_number: Optional[str] = None
    order_status: Optional[str] = None
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_data(cls, data) -> "EarningAnswer":
        if not isinstance(data, dict):
            raise PointsError("bad_response", "earning response without an object")
        if data.get("pending_client_activation") is True:
            pending = data.get("pending_earning_order")
            pending = pending if isinstance(pending, dict) else {}
            return cls(pending_activation=True, total_points=_points(pending.get("total_points")), raw=data)
        order = PointsOrder.from_resource(data)  # a uuid and an order_status, or bad_response
        return cls(
            pending_activation=False,
            total_points=_points(data.get("total_points")),
            uuid=order.uuid,
            reference_number=order.reference_number,
            order_status=order.order_status,
            raw=data,
        )


def _points(value) -> Optional[int]:
    """A number of points as Points sends it (an integer, maybe as 1150.0 or "1150"); None if not one."""
    amount = parse_decimal(value) if not isinstance(value, bool) else None
    if amount is None or amount < 0 or amount != amount.to_integral_value():
        return None
    return int(amount)


def to_wire_amount(amount: Decimal) -> float:
    """Money leaves the shop as a JSON number rounded half-up to 2 places."""
    return float(Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class PointsClient:
    def __init__(
        self,
        base_url: str,
        public_key: str,
        private_key: str,
        *,
        timeout: float = 10.0,
        session: Optional[requests.Session] = None,
        recorder: Optional[Callable[[CallRecord], None]] = None,
        request_id: Optional[str] = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.public_key = public_key
        self._private_key = private_key
        self.timeout = timeout
        self.session = session or requests.Session()
        self.recorder = recorder
        self.request_id = request_id  # the shop request (or command) this client works for
        self.sleep = sleep

    def __repr__(self):  # never show the keys, even in a traceback or debugger
        return f"<PointsClient {self.base_url}>"

    # --- Orders -------------------------------------------------------------------------------

    def create_checkout(self, body: dict) -> str:
        """``POST /v1/orders/checkout/{publicKey}`` (no x-api-key); returns the ``checkout_url``."""
        # A key is one path segment: a '/', '?' or '#' in it must not end the path there.
        data = self._request("POST", f"/v1/orders/checkout/{quote(self.public_key, safe='')}", body=body, private=False)
        url = data.get("checkout_url") if isinstance(data, dict) else None
        if not url:
            raise PointsError("bad_response", "checkout response without checkout_url")
        return url

    def create_earning(self, body: dict) -> EarningAnswer:
        """``POST /v1/orders/earning`` (x-api-key): points for a purchase paid outside Points.

        Points serialises these per merchant: a second call meanwhile is a 429 (``rate_limited``)."""
        return EarningAnswer.from_data(self._request("POST", "/v1/orders/earning", body=body))

    def get_order(self, uuid: str) -> PointsOrder:
        """``GET /v1/orders/{uuid}``: a read, so retried on 429 and 5xx (see the module's docstring)."""
        return PointsOrder.from_resource(self._read(order_path(uuid)))

    def update_shipping_status(
        self, uuid: str, status: str, *, name_ar: str = None, name_en: str = None
    ) -> PointsOrder:
        body = {"status": status}
        if name_ar:
            body["name_ar"] = name_ar
        if name_en:
            body["name_en"] = name_en
        return PointsOrder.from_resource(self._request("POST", order_path(uuid, "status"), body=body))

    def cancel_order(self, uuid: str, reason: Optional[str] = None) -> PointsOrder:
        body = {"reason": reason} if reason else {}
        return PointsOrder.from_resource(self._request("POST", order_path(uuid, "cancel"), body=body))

    def refund_order(self, uuid: str, amount: Optional[Decimal] = None, reason: Optional[str] = None) -> PointsOrder:
        """Refund ``amount`` SAR, or (``None``) everything that is left."""
        body = {}
        if amount is not None:
            body["amount"] = to_wire_amount(amount)
        if reason:
            body["reason"] = reason
        return PointsOrder.from_resource(self._request("POST", order_path(uuid, "refund"), body=body))

    # --- Webhooks -----------------------------------------------------------------------------

    def create_webhook(self, name: str, url: str) -> dict:
        """``POST /v1/webhooks``; the answer holds the ``secret`` to put in POINTS_WEBHOOK_SECRET."""
        return self._request("POST", "/v1/webhooks", body={"name": name, "url": url})

    def list_webhooks(self) -> list:
        """``GET /v1/webhooks``: the first page (15 by default, more than a shop registers)."""
        data = self._request("GET", "/v1/webhooks")
        return data if isinstance(data, list) else []

    def delete_webhook(self, webhook_uuid: str) -> None:
        """``DELETE /v1/webhooks/{webhookUuid}``: Points stops delivering to it."""
        self._request("DELETE", f"/v1/webhooks/{quote(webhook_uuid, safe='')}")

    # --- Retried reads ------------------------------------------------------------------------

    def _read(self, path: str):
        """A GET, tried again on 429 and 5xx after 250 ms x 2^n or the Retry-After asked for,
        at most READ_TRIES times and READ_WAIT_BUDGET_SECONDS of waiting. Every try is recorded."""
        waited = 0.0
        for attempt in range(READ_TRIES):
            try:
                return self._request("GET", path)
            except PointsError as error:
                retryable = error.status_code in RETRIED_STATUSES
                wait = error.retry_after if error.retry_after is not None else READ_BACKOFF_SECONDS * 2**attempt
                if not retryable or attempt == READ_TRIES - 1 or waited + wait > READ_WAIT_BUDGET_SECONDS:
                    raise
            log.info("Points GET %s: trying again in %.2f s (try %d of %d)", path, wait, attempt + 2, READ_TRIES)
            self.sleep(wait)
            waited += wait

    # --- The wire -----------------------------------------------------------------------------

    def _request(self, method: str, path: str, *, body: Optional[dict] = None, private: bool = True):
        call_id = self._call_id()
        headers = {"Accept": "application/json", "X-Request-ID": call_id}
        if private:
            headers["x-api-key"] = self._private_key
        started = time.monotonic()
        response, error = None, None
        try:
            response = self.session.request(
                method, self.base_url + path, json=body, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            error = PointsError("timeout", f"Points did not answer within {self.timeout:g} s")
        except requests.ConnectionError:
            error = PointsError("connection", "Could not connect to Points")
        except requests.RequestException as exc:
            error = PointsError("connection", f"Request to Points failed: {type(exc).__name__}")
        payload = _json_or_text(response) if response is not None else None
        elapsed = int((time.monotonic() - started) * 1000)
        if error is None:
            error = _error_from(response, payload)
        if error is not None:
            self._mask_secrets(error)
        self._record(method, path, body, response, payload, error, elapsed, call_id)
        if error is not None:
            log.warning("Points %s %s failed: %s (call %s)", method, self._loggable(path), error, call_id)
            raise error
        log.info(
            "Points %s %s -> %s in %d ms (call %s)",
            method,
            self._loggable(path),
            response.status_code,
            elapsed,
            call_id,
        )
        return _unwrap(payload)

    def _call_id(self) -> str:
        """This call's id: the request's id and a suffix of its own, so a grep for the request's
        id finds its calls too, and Points' support can be given the one call."""
        own = uuidlib.uuid4().hex[:8]
        return f"{self.request_id}.{own}" if self.request_id else own

    def _mask_secrets(self, error: PointsError) -> None:
        # Points' message goes to logs and admin pages; a proxy or debug page may echo our headers.
        secrets = (self._private_key,)
        error.message = scrub(error.message, secrets)
        error.args = (error.message,)
        error.errors = scrub(error.errors, secrets)

    def _loggable(self, path: str) -> str:
        if not self.public_key:
            return path
        return path.replace(quote(self.public_key, safe=""), "{publicKey}").replace(self.public_key, "{publicKey}")

    def _record(self, method, path, body, response, payload, error, elapsed, call_id=None):
        if self.recorder is None:
            return
        secrets = (self._private_key,)
        self.recorder(
            CallRecord(
                method=method,
                path=path,
                request_body=scrub(body, secrets) if body is not None else None,
                response_status=response.status_code if response is not None else None,
                response_body=scrub(payload, secrets) if payload is not None else None,
                error=str(error) if error else None,
                duration_ms=elapsed,
                request_id=call_id,
            )
        )


def _json_or_text(response):
    try:
        return response.json()
    except ValueError:
        return response.text[:2000]


def _error_from(response, payload) -> Optional[PointsError]:
    status = response.status_code
    message = payload.get("message") if isinstance(payload, dict) else None
    if message is not None and not isinstance(message, str):  # documented as a string; never crash on it
        message = json.dumps(message, ensure_ascii=False)
    if 200 <= status < 300:
        if not isinstance(payload, dict):
            return PointsError("bad_response", "Points answered with something that is not JSON", status_code=status)
        if payload.get("status") is False:
            return PointsError("rejected", message or "Points refused the request", status_code=status)
        return None
    errors = payload.get("errors") if isinstance(payload, dict) and isinstance(payload.get("errors"), dict) else None
    if status == 400:
        kind = "auth" if message and "api key" in message.lower() else "rejected"
    else:
        kind = {403: "forbidden", 404: "not_found", 422: "validation", 429: "rate_limited"}.get(
            status, "server" if status >= 500 else "rejected"
        )
    return PointsError(
        kind,
        message or f"Points answered HTTP {status}",
        status_code=status,
        errors=errors,
        retry_after=_retry_after(response.headers.get("Retry-After")),
    )


def _retry_after(value, now: Optional[datetime] = None) -> Optional[float]:
    """``Retry-After`` in seconds: the delta form, or an HTTP date (RFC 9110 §10.2.3) counted from
    now; None when absent, unreadable or over an hour (a bad header must not park an order)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        try:
            when = parsedate_to_datetime(str(value))
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT; a bare one read as such
            when = when.replace(tzinfo=timezone.utc)
        seconds = max((when - (now or datetime.now(timezone.utc))).total_seconds(), 0.0)
    return seconds if 0 <= seconds <= 3600 else None


def order_path(uuid: str, action: Optional[str] = None) -> str:
    """``/v1/orders/{uuid}[/action]``, from quoted segments. A value that is not a uuid is refused
    before any call (kind ``bad_uuid``): nothing can take a call, or the key with it, elsewhere."""
    try:
        segments = [points_uuid(uuid)] + ([action] if action else [])
    except ValueError:
        raise PointsError("bad_uuid", f"{str(uuid)[:64]!r} is not a Points order uuid: no call made") from None
    return "/v1/orders/" + "/".join(quote(segment, safe="") for segment in segments)


def _unwrap(payload: dict):
    """The resource under ``data``; defensively, the top level when ``data`` is missing."""
    if "data" in payload and payload["data"] is not None:
        return payload["data"]
    return {k: v for k, v in payload.items() if k not in ("status", "message", "appended_data")}


ENDPOINTS = (  # a recorded path -> the OpenAPI file's name for it
    (re.compile(r"/v1/orders/checkout/[^/?]+"), "/v1/orders/checkout/{publicKey}"),
    (re.compile(r"/v1/orders/[^/?]+/(status|cancel|refund)"), r"/v1/orders/{uuid}/\1"),
    (re.compile(r"/v1/orders/earning"), "/v1/orders/earning"),  # not a uuid
    (re.compile(r"/v1/orders/[^/?]+"), "/v1/orders/{uuid}"),
    (re.compile(r"/v1/webhooks/[^/?]+"), "/v1/webhooks/{webhookUuid}"),
)


def endpoint_of(method: str, path: str) -> str:
    """``GET /v1/orders/{uuid}`` for ``GET /v1/orders/550e8400-...``: calls grouped by endpoint."""
    path = path.split("?")[0]
    for pattern, name in ENDPOINTS:
        if pattern.fullmatch(path):
            path = pattern.sub(name, path)
            break
    return f"{method} {path}"[:64]


def json_for_log(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


def _http_session() -> requests.Session:
    """One connection pool per app, shared by every client built from it."""
    session = current_app.extensions.get("points_http_session")
    if session is None:
        session = current_app.extensions["points_http_session"] = requests.Session()
    return session


# --- The shop's client -------------------------------------------------------------------------


def points_client(order=None, recorded: Optional[list] = None) -> PointsClient:
    """The app's client, whose every call is recorded on ``order``'s timeline (or the shop's, if None);
    each ``PointsApiCall`` row is also appended to ``recorded``, for a caller that names it as a cause.

    The base URL is ``POINTS_API_URL``, or in demo mode the sandbox mounted in this server.
    """

    def record(call: CallRecord) -> None:
        row = PointsApiCall(
            order_id=order.id if order is not None else None,
            # When it was sent (the answer came just now): a webhook it caused, received while it
            # waited for its answer (an earning's approved), is on the timeline after it.
            created_at=utcnow() - timedelta(milliseconds=call.duration_ms),
            method=call.method,
            path=call.path,
            endpoint=endpoint_of(call.method, call.path),
            request_body=json_for_log(call.request_body) if call.request_body is not None else None,
            response_status=call.response_status,
            response_body=json_for_log(call.response_body) if call.response_body is not None else None,
            error=call.error,
            duration_ms=call.duration_ms,
            request_id=call.request_id,
        )
        db.session.add(row)
        if recorded is not None:
            recorded.append(row)

    cfg = current_app.config
    return PointsClient(
        cfg["POINTS_API_URL"] or demo.sandbox_api_url(),
        cfg["POINTS_PUBLIC_KEY"],
        cfg["POINTS_PRIVATE_KEY"],
        timeout=cfg["POINTS_TIMEOUT_SECONDS"],
        session=_http_session(),
        recorder=record,
        request_id=request_ids.current(),
    )
