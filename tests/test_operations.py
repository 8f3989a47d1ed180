"""Running the shop like a merchant: the operator's commands, the health page, request ids,
rotation, retention, and reconciliation that two runs at once do not do twice.

Commands that an operator types are run as they would type them, in their own process, where
that is where the trap was (a traceback, a log line on every command, the port assumed)."""

import io
import logging
import os
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from flask import Flask, jsonify
from servers import BACKENDS, REPO, free_port, fresh_database, readme_gunicorn_commands
from werkzeug.serving import make_server

from storefront.config import load_config
from storefront.extensions import db
from storefront.models import (
    Cart,
    LoginAttempt,
    Order,
    OrderTransition,
    PointsApiCall,
    StaffSubmission,
    WebhookReceipt,
    WebhookVerificationFailure,
    utcnow,
)
from storefront.points.reconcile import CLAIM_SECONDS
from storefront.request_ids import RequestIdFilter

API = "http://points.invalid/api"
UUID = "0b6f6c1e-0000-4000-8000-0000000000c1"


def run_flask(*args, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    """``flask --app wsgi <args>`` as an operator runs it, with only ``env`` set."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR")}
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=REPO,
        env={**keep, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- 6. Commands that must not trap anyone ---------------------------------------------------


@pytest.mark.parametrize(
    "password, why",
    [
        ("x", "at least 12 characters"),
        ("demo-password", "well-known"),
        ("Password1234", "well-known"),
        ("aaaaaaaaaaaaaaaa", "well-known"),
        ("sara.ops-2026!", "your email"),
    ],
)
def test_create_admin_refuses_a_short_or_known_bad_password_and_creates_nothing(app_context, runner, password, why):
    result = runner.invoke(args=["create-admin", "sara.ops@shop.example", "--password", password])
    assert result.exit_code == 1 and why in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("admin_user"))) == 0


def test_create_admin_accepts_a_long_unusual_password(app_context, runner):
    result = runner.invoke(args=["create-admin", "sara@shop.example", "--password", "tide-lantern-91-quince"])
    assert result.exit_code == 0 and "sara@shop.example is ready" in result.output


def test_register_webhook_is_refused_in_demo_mode_and_calls_nobody(app_context, runner, requests_mock):
    app_context.config["POINTS_DEMO_MODE"] = True
    for command in (["points", "webhooks", "register"], ["points", "register-webhook"]):
        result = runner.invoke(args=[*command, "https://shop.example/webhooks/points"])
        assert result.exit_code == 1 and "deliver each event twice" in result.output
    assert requests_mock.call_count == 0


def test_webhooks_list_and_delete_call_the_documented_endpoints(app_context, runner, requests_mock):
    hooks = [{"uuid": "wh-1", "name": "Shop", "url": "https://shop.example/webhooks/points"}]
    requests_mock.get(f"{API}/v1/webhooks", json={"status": True, "message": "", "appended_data": {}, "data": hooks})
    requests_mock.delete(f"{API}/v1/webhooks/wh-1", json={"status": True, "message": "", "appended_data": {}})
    listed = runner.invoke(args=["points", "webhooks", "list"])
    assert listed.exit_code == 0 and "wh-1  Shop  https://shop.example/webhooks/points" in listed.output
    deleted = runner.invoke(args=["points", "webhooks", "delete", "wh-1", "--yes"])
    assert deleted.exit_code == 0 and "Deleted webhook wh-1" in deleted.output
    assert requests_mock.last_request.method == "DELETE" and requests_mock.last_request.headers["x-api-key"]


def demo_env(tmp_path, **extra) -> dict:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}", **extra}


@pytest.mark.slow
def test_a_command_in_demo_mode_says_which_address_it_tried_and_which_setting_moves_it(tmp_path):
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = run_flask("points", "webhooks", "list", env=demo_env(tmp_path, SHOP_BASE_URL=nowhere))
    assert result.returncode == 1
    assert f"at {nowhere}/points-sandbox/api" in result.stderr and "SHOP_BASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_cli_command_does_not_log_storefront_ready(tmp_path):
    result = run_flask("routes", env=demo_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Storefront ready" not in result.stdout + result.stderr


@pytest.mark.slow
def test_production_with_demo_values_names_every_missing_setting_without_a_traceback(tmp_path):
    result = run_flask("routes", env=demo_env(tmp_path, PRODUCTION="1"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    for name in ("SECRET_KEY", "POINTS_PUBLIC_KEY", "POINTS_PRIVATE_KEY", "POINTS_WEBHOOK_SECRET", "POINTS_API_URL"):
        assert name in result.stderr
    assert "SHOP_BASE_URL" in result.stderr  # the next problem too, not only the first


@pytest.mark.slow
def test_gunicorn_in_production_with_demo_values_stops_with_the_message_not_a_traceback(tmp_path):
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")}
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{free_port()}", "wsgi:app"],
        cwd=REPO,
        env={
            **keep,
            **demo_env(tmp_path, PRODUCTION="1"),
            "GUNICORN_CMD_ARGS": f"--control-socket {tmp_path / 'g.ctl'}",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0  # the arbiter stops instead of restarting workers for ever
    assert "Traceback" not in result.stderr and "POINTS_PRIVATE_KEY" in result.stderr, result.stderr[-3000:]


def test_the_readme_says_what_the_catalogue_does_with_a_page_past_the_end(client):
    readme = (REPO / "README.md").read_text()
    assert "page numbers are clamped" not in readme
    assert "a catalogue page past the last is a 404" in readme
    assert client.get("/?page=2").status_code == 404
    assert client.get("/admin/login?page=99999999999").status_code == 200


def test_the_readmes_first_command_makes_a_virtual_environment_before_pip_install():
    block = re.search(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), re.S).group(1)
    # On Debian and Ubuntu the system pip refuses to install (PEP 668): a venv first, entered.
    first_pip = block.index("pip install")
    assert block.index("python3 -m venv .venv && . .venv/bin/activate") < first_pip


# --- 5. Rotation without downtime ----------------------------------------------------------------


def test_secret_key_fallbacks_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "old-key-1, old-key-2")
    assert load_config()["SECRET_KEY_FALLBACKS"] == ["old-key-1", "old-key-2"]


def test_a_staff_session_survives_the_secret_key_rolling_while_the_old_key_is_a_fallback(app, staff_client):
    assert staff_client.get("/admin/orders").status_code == 200
    signed_with_the_old_key = staff_client.get_cookie("session").value

    def staff_page():
        browser = app.test_client()
        browser.set_cookie("session", signed_with_the_old_key)
        return browser.get("/admin/orders").status_code

    old = app.config["SECRET_KEY"]
    app.config.update(SECRET_KEY="a-brand-new-secret-key-0123456789", SECRET_KEY_FALLBACKS=[old])
    assert staff_page() == 200
    app.config["SECRET_KEY_FALLBACKS"] = []  # the roll is over: a cookie signed with the old key is not
    assert staff_page() == 302


# --- 2. Request ids ------------------------------------------------------------------------------


def test_a_request_id_is_taken_when_sane_made_otherwise_and_sent_with_each_call_to_points(
    app, staff_client, make_order, requests_mock
):
    assert staff_client.get("/", headers={"X-Request-ID": "edge-7f3a9c2b"}).headers["X-Request-ID"] == "edge-7f3a9c2b"
    made = staff_client.get("/", headers={"X-Request-ID": "bad id <with> spaces"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", made)
    order = make_order("pending_payment", points_uuid_hint=UUID)
    requests_mock.get(f"{API}/v1/orders/{UUID}", status_code=404, json={"status": False, "message": "Not found"})
    response = staff_client.post(
        f"/admin/orders/{order.order_number}/reconcile", headers={"X-Request-ID": "rq-12345678"}
    )
    sent = requests_mock.last_request.headers["X-Request-ID"]
    assert response.headers["X-Request-ID"] == "rq-12345678" and sent.startswith("rq-12345678.")
    with app.app_context():
        assert db.session.scalar(sa.select(PointsApiCall.request_id).where(PointsApiCall.order_id == order.id)) == sent


def test_every_log_line_of_a_request_carries_its_id(app, client):
    # create_app put the filter on every handler there was; here, one more, as an operator's would be.
    assert all(any(isinstance(f, RequestIdFilter) for f in h.filters) for h in logging.getLogger().handlers)
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter("[%(request_id)s] %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        client.post("/webhooks/points", json={}, headers={"X-Request-ID": "trace-0042abcd"})
        logging.getLogger("storefront").warning("outside any request")
    finally:
        logging.getLogger().removeHandler(handler)
    assert re.search(r"^\[trace-0042abcd\] Webhook with a missing X-Webhook-Secret rejected", lines.getvalue(), re.M)
    assert "[-] outside any request" in lines.getvalue()


# --- 2. The health page --------------------------------------------------------------------------


def add_calls(order, statuses):
    for status in statuses:
        error = (
            None if status and status < 300 else ("timeout: no answer" if status is None else f"rejected ({status})")
        )
        db.session.add(
            PointsApiCall(
                order_id=order.id if order else None,
                method="GET",
                path=f"/v1/orders/{UUID}",
                endpoint="GET /v1/orders/{uuid}",
                response_status=status,
                error=error,
            )
        )
    db.session.commit()


def test_the_health_page_counts_the_last_hours_calls_by_endpoint_and_status_and_links_to_the_orders(
    app, staff_client, make_order
):
    limited, timed_out, quiet = make_order(), make_order(), make_order()
    with app.app_context():
        add_calls(limited, [429, 429, 200])
        add_calls(timed_out, [None])
        add_calls(quiet, [200])
        old = PointsApiCall(method="GET", path="/x", endpoint="GET /v1/orders/{uuid}", response_status=503)
        old.created_at = utcnow() - timedelta(hours=2)  # outside the hour
        db.session.add(old)
        db.session.add(
            WebhookVerificationFailure(
                hour=utcnow().replace(minute=0, second=0, microsecond=0), reason="wrong", source="203.0.113.7", count=7
            )
        )
        db.session.commit()
    html = staff_client.get("/admin/health").get_data(as_text=True)
    calls = re.search(r'data-testid="health-calls".*?</section>', html, re.S).group(0)
    assert "GET /v1/orders/{uuid}" in calls
    assert '<a href="/admin/orders?call=429" class="bad">2</a>' in calls
    assert '<a href="/admin/orders?call=timeout" class="bad">1</a>' in calls
    assert "call=5xx" not in calls  # the 503 was two hours ago
    assert ">7</a>" in re.search(r'data-testid="health-webhooks".*?</section>', html, re.S).group(0)
    behind = staff_client.get("/admin/orders?call=429").get_data(as_text=True)
    assert limited.order_number in behind and quiet.order_number not in behind and timed_out.order_number not in behind


def test_the_health_page_links_orders_waiting_for_reconciliation_and_review(staff_client, make_order):
    stale = make_order("pending_payment", created_at=utcnow() - timedelta(minutes=20))
    fresh = make_order("pending_payment")
    review = make_order("needs_review")
    html = staff_client.get("/admin/health").get_data(as_text=True)
    orders = re.search(r'data-testid="health-orders".*?</section>', html, re.S).group(0)
    assert '<a href="/admin/orders?waiting=1">1</a>' in orders
    assert '<a href="/admin/orders?status=needs_review">1</a>' in orders
    waiting = staff_client.get("/admin/orders?waiting=1").get_data(as_text=True)
    assert stale.order_number in waiting and fresh.order_number not in waiting and review.order_number not in waiting


def test_the_health_page_counts_the_earning_backlog_and_links_to_its_orders(app, staff_client, make_order):
    """Cash-on-delivery earnings still to reach Points, refused by it, or waiting for the shopper's
    Points account: each figure opens those orders, and only those."""
    from storefront.models import PointsEarning

    placed = {}
    for state in ("pending", "awaiting_webhook", "refused", "pending_activation", "approved"):
        order = make_order("paid", payment_method="cod")
        with app.app_context():
            db.session.add(PointsEarning(order_id=order.id, state=state, next_attempt_at=utcnow()))
            db.session.commit()
        placed[state] = order.order_number
    html = staff_client.get("/admin/health").get_data(as_text=True)
    figures = re.search(r'data-testid="health-orders".*?</section>', html, re.S).group(0)
    assert re.search(r'href="/admin/orders\?earning=unsent" data-testid="earning-unsent">2<', figures)
    assert re.search(r'href="/admin/orders\?earning=refused" data-testid="earning-refused">1<', figures)
    assert re.search(r'href="/admin/orders\?earning=activation" data-testid="earning-activation">1<', figures)
    behind = {
        key: staff_client.get(f"/admin/orders?earning={key}").get_data(as_text=True)
        for key in ("unsent", "refused", "activation")
    }
    assert placed["pending"] in behind["unsent"] and placed["awaiting_webhook"] in behind["unsent"]
    assert placed["refused"] in behind["refused"] and placed["pending_activation"] in behind["activation"]
    assert all(placed["approved"] not in page for page in behind.values())  # settled: nobody's backlog
    assert placed["refused"] not in behind["unsent"] and placed["pending"] not in behind["refused"]


# --- 7. Search on the indexed numbers ------------------------------------------------------------


@pytest.mark.parametrize("query", ["PTS-2026-90000", "pts-2026-90000", "REF-77"])
def test_search_finds_orders_by_the_start_of_their_number(staff_client, make_order, query):
    a = make_order(points_reference_number="REF-7700")
    b = make_order(points_reference_number="REF-7701")
    html = staff_client.get("/admin/orders", query_string={"q": query}).get_data(as_text=True)
    assert a.order_number in html and b.order_number in html


def test_search_does_not_match_the_middle_of_a_number_and_treats_wildcards_as_text(staff_client, make_order):
    order = make_order(points_reference_number="REF-2026-4242")
    for query in ("2026-4242", "REF%", "REF_", "REF*", "REF?"):
        html = staff_client.get("/admin/orders", query_string={"q": query}).get_data(as_text=True)
        assert order.order_number not in html, query


# --- 8. Retention ----------------------------------------------------------------------------------


def test_prune_removes_old_noise_in_batches_and_keeps_every_orders_timeline(app, runner, make_order):
    order = make_order("paid")
    long_ago = utcnow() - timedelta(days=400)
    with app.app_context():
        cause = WebhookReceipt(
            order_id=order.id, event="approved", response_status=200, outcome="applied", received_at=long_ago
        )
        duplicate = WebhookReceipt(
            order_id=order.id, event="approved", response_status=200, outcome="duplicate", received_at=long_ago
        )
        call = PointsApiCall(order_id=order.id, method="POST", path="/v1/orders/checkout/pk", created_at=long_ago)
        db.session.add_all([cause, duplicate, call])
        for _n in range(7):
            db.session.add(
                WebhookReceipt(event="approved", response_status=200, outcome="not_ours", received_at=long_ago)
            )
            db.session.add(PointsApiCall(method="GET", path="/v1/webhooks", created_at=long_ago))
            db.session.add(LoginAttempt(email="x@y.z", created_at=long_ago))
        latest_news = WebhookReceipt(
            event="low_balance_warning", response_status=200, outcome="merchant_event", received_at=long_ago
        )
        recent_noise = WebhookReceipt(event="approved", response_status=200, outcome="not_ours")
        abandoned, ordered_from, in_use = Cart(updated_at=long_ago), Cart(updated_at=long_ago), Cart()
        db.session.add_all([latest_news, recent_noise, abandoned, ordered_from, in_use])
        db.session.flush()
        db.session.get(Order, order.id).cart_id = ordered_from.id
        db.session.add(WebhookVerificationFailure(hour=long_ago, reason="wrong", source="203.0.113.7", count=50))
        db.session.add(StaffSubmission(key="k-1", order_id=order.id, action="refund", created_at=long_ago))
        db.session.flush()
        kept_ids = (latest_news.id, recent_noise.id, abandoned.id, ordered_from.id, in_use.id)
        db.session.add(
            OrderTransition(
                order_id=order.id,
                from_status="pending_payment",
                to_status="paid",
                source="webhook",
                webhook_receipt_id=cause.id,
            )
        )
        db.session.commit()
        timeline_before = sorted(
            [
                ("r", r.id)
                for r in db.session.scalars(sa.select(WebhookReceipt).where(WebhookReceipt.order_id == order.id))
            ]
            + [
                ("c", c.id)
                for c in db.session.scalars(sa.select(PointsApiCall).where(PointsApiCall.order_id == order.id))
            ]
        )

    result = runner.invoke(args=["prune", "--batch", "3"])

    assert result.exit_code == 0, result.output
    assert "webhook receipts about no order: 7 deleted" in result.output
    assert "calls to Points for no order: 7 deleted" in result.output
    assert "login attempts: 7 deleted" in result.output and "abandoned carts: 1 deleted" in result.output
    with app.app_context():
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        timeline_after = sorted(
            [
                ("r", r.id)
                for r in db.session.scalars(sa.select(WebhookReceipt).where(WebhookReceipt.order_id == order.id))
            ]
            + [
                ("c", c.id)
                for c in db.session.scalars(sa.select(PointsApiCall).where(PointsApiCall.order_id == order.id))
            ]
        )
        assert timeline_after == timeline_before  # the order's own receipts (its duplicate too) and calls stay
        latest_news, recent_noise, abandoned, ordered_from, in_use = kept_ids
        assert db.session.get(WebhookReceipt, latest_news) is not None  # the account's health stays readable
        assert db.session.get(WebhookReceipt, recent_noise) is not None  # not old enough yet
        assert (count(LoginAttempt), count(WebhookVerificationFailure), count(StaffSubmission)) == (0, 0, 0)
        assert db.session.get(Cart, abandoned) is None
        assert db.session.get(Cart, ordered_from) is not None and db.session.get(Cart, in_use) is not None


# --- 3. Reconciliation: two runs at once call Points once per order ----------------------------------


class SlowPoints:
    """A stand-in for GET /v1/orders/{uuid} that answers slowly and counts who asked what."""

    def __init__(self, orders: dict):
        self.asked: list[str] = []
        self.orders = orders
        app = Flask("slow-points")

        @app.get("/api/v1/orders/<uuid>")
        def get_order(uuid):
            self.asked.append(uuid)
            time.sleep(0.5)
            order_number = self.orders[uuid]
            data = {"uuid": uuid, "order_number": order_number, "order_status": "cancelled", "total_price": None}
            return jsonify({"status": True, "message": "", "appended_data": {}, "data": data})

        self.server = make_server("127.0.0.1", free_port(), app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.mark.slow
def test_two_reconcile_runs_at_once_ask_points_about_each_order_once(app, make_order, database_url, reload):
    stale = [
        make_order(
            "pending_payment",
            points_uuid=f"0b6f6c1e-0000-4000-8000-00000000{n:04d}",
            created_at=utcnow() - timedelta(hours=1),
        )
        for n in range(6)
    ]
    points = SlowPoints({o.points_uuid: o.order_number for o in stale})
    env = {
        "DATABASE_URL": database_url,
        "POINTS_API_URL": points.url,
        "SECRET_KEY": "test-secret-key",
    }
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "reconcile", "--older-than", "15m"],
            cwd=REPO,
            env={**keep, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    points.server.shutdown()
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert sorted(points.asked) == sorted(o.points_uuid for o in stale)  # each once, by one run or the other
    assert [reload(o).status for o in stale] == ["cancelled"] * 6
    assert all(reload(o).reconcile_claimed_at is None for o in stale)


def test_a_claim_left_by_a_crashed_run_is_taken_over_after_its_time(app_context, make_order):
    from storefront.points.reconcile import claim_for_reconciliation

    order = make_order("pending_payment")
    assert claim_for_reconciliation(order.id) and not claim_for_reconciliation(order.id)
    db.session.execute(
        sa.update(Order)
        .where(Order.id == order.id)
        .values(reconcile_claimed_at=utcnow() - timedelta(seconds=CLAIM_SECONDS + 1))
    )
    db.session.commit()
    assert claim_for_reconciliation(order.id)


@pytest.mark.slow
def test_the_demo_prints_one_banner_with_the_shop_admin_login_and_sandbox_control(tmp_path):
    port = free_port()
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "TMPDIR")}
    env = {**keep, **demo_env(tmp_path), "POINTS_SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.db'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    try:
        for line in server.stdout:
            output += line
            if "Storefront ready" in line:
                break
    finally:
        server.terminate()
        server.wait(timeout=10)
    base = f"http://127.0.0.1:{port}"
    assert output.count("Points Storefront demo") == 1
    assert f"{base}/admin" in output and "demo@points-storefront.test / demo-password" in output
    assert f"{base}/points-sandbox/_control/" in output and f"Shop:             {base}/" in output
    assert f"{base}/presenter/" in output


def test_demo_housekeeping_reconciles_stale_orders_and_prunes_by_itself(app, make_order, requests_mock, reload):
    from storefront import housekeeping

    stale = make_order("pending_payment", points_uuid=UUID, created_at=utcnow() - timedelta(minutes=20))
    with app.app_context():
        db.session.add(LoginAttempt(email="x@y.z", created_at=utcnow() - timedelta(days=400)))
        db.session.commit()
    data = {"uuid": UUID, "order_number": stale.order_number, "order_status": "cancelled", "total_price": None}
    requests_mock.get(
        f"{API}/v1/orders/{UUID}", json={"status": True, "message": "", "appended_data": {}, "data": data}
    )
    housekeeping.run_once(app)
    assert reload(stale).status == "cancelled"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 0


def test_the_housekeeping_thread_starts_only_for_a_served_demo(app_config, monkeypatch):
    from storefront import create_app, housekeeping

    started = []
    monkeypatch.setattr(housekeeping, "start", started.append)
    create_app({**app_config, "POINTS_DEMO_MODE": True, "TESTING": False, "HOUSEKEEPING_THREAD": True})
    create_app({**app_config, "POINTS_DEMO_MODE": False, "TESTING": False, "HOUSEKEEPING_THREAD": True})
    create_app({**app_config, "POINTS_DEMO_MODE": True, "TESTING": False, "HOUSEKEEPING_THREAD": False})
    assert len(started) == 1


def test_the_second_webhook_address_takes_deliveries_with_either_secret_and_no_csrf(app, client, make_order, reload):
    from points_webhooks import SECRET, for_order

    app.config.update(WTF_CSRF_ENABLED=True, POINTS_WEBHOOK_SECRET_NEXT="whsec_next_one")
    first, second = make_order(), make_order()
    for order, secret in ((first, SECRET), (second, "whsec_next_one")):
        response = client.post(
            "/webhooks/points-next", json=for_order(order, "approved"), headers={"X-Webhook-Secret": secret}
        )
        assert response.status_code == 200, response.get_data(as_text=True)
    assert (reload(first).status, reload(second).status) == ("paid", "paid")


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_under_four_gunicorn_workers_every_refused_delivery_is_counted(backend, tmp_path, start_gunicorn):
    from test_startup import SHOP_HOST, production_env

    (production,) = readme_gunicorn_commands()
    url = fresh_database(backend, tmp_path)
    server = start_gunicorn(production, production_env(url))
    server.wait_until_every_worker_is_ready()
    for _ in range(40):  # a new connection each: gunicorn hands them to its workers in turn
        response = requests.post(
            server.url + "/webhooks/points",
            json={"event": "approved"},
            headers={"Host": SHOP_HOST, "X-Webhook-Secret": "whsec_guess", "Connection": "close"},
            timeout=10,
        )
        assert response.status_code == 401
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counted = conn.scalar(sa.select(sa.func.sum(WebhookVerificationFailure.count)))
    engine.dispose()
    server.stop()
    assert counted == 40
