"""Open back-office pages poll (static/js/live.js); under gunicorn's sync workers, where a worker
serves one request at a time, ten of them polling leave room for a webhook and a shopper: a poll
is answered at once (304 or the page) and holds no worker between polls."""

import re
import threading

import pytest
import requests
from points_webhooks import SECRET, merchant_event
from servers import BACKENDS, Gunicorn, fresh_database, readme_demo_commands

STAFF_EMAIL, STAFF_PASSWORD = "staff@shop.test", "a long staff passphrase"

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def sync_gunicorn(tmp_path_factory):
    """The shop's line of the README's gunicorn demo with sync workers (no --threads): two workers,
    one request each. It talks to no Points here (a closed port), and a staff account is made."""
    folder = tmp_path_factory.mktemp("sync-gunicorn")
    shop_line = next(line for line in readme_demo_commands()["gunicorn"] if "wsgi:app" in line)
    command = re.sub(r" --threads \d+", "", shop_line[shop_line.index("gunicorn ") :])
    assert "--workers 2" in command
    database_url = fresh_database(BACKENDS[-1], folder)
    env = {"DATABASE_URL": database_url, "POINTS_API_URL": "http://127.0.0.1:9/api"}
    make_staff_account(database_url, env["POINTS_API_URL"])
    server = Gunicorn(command, env, folder)
    try:
        server.wait_until_every_worker_is_ready()
        yield server
    finally:
        server.stop()


def make_staff_account(database_url: str, points_api_url: str) -> None:
    from werkzeug.security import generate_password_hash

    from storefront import create_app
    from storefront.extensions import db
    from storefront.models import AdminUser

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "POINTS_API_URL": points_api_url})
    with app.app_context():
        db.session.add(AdminUser(email=STAFF_EMAIL, password_hash=generate_password_hash(STAFF_PASSWORD)))
        db.session.commit()
        db.engine.dispose()


def staff_session(base: str) -> requests.Session:
    session = requests.Session()
    token = CSRF_RE.search(session.get(f"{base}/admin/login", timeout=30).text).group(1)
    response = session.post(
        f"{base}/admin/login",
        data={"csrf_token": token, "email": STAFF_EMAIL, "password": STAFF_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:300]
    return session


@pytest.mark.slow
def test_ten_polling_admin_pages_leave_sync_workers_free_for_a_webhook_and_a_shopper(sync_gunicorn):
    base = sync_gunicorn.url
    staff = staff_session(base)
    shown = staff.get(f"{base}/admin/orders", headers={"X-Live-Poll": "1"}, timeout=30)
    etag = shown.headers["ETag"]
    stop, answers, lock = threading.Event(), [], threading.Condition()

    def viewer():
        tab = requests.Session()
        tab.cookies.update(staff.cookies)
        while not stop.is_set():
            response = tab.get(f"{base}/admin/orders", headers={"X-Live-Poll": "1", "If-None-Match": etag}, timeout=30)
            with lock:
                answers.append((response.status_code, "Points account health" in response.text))
                lock.notify_all()

    viewers = [threading.Thread(target=viewer) for _ in range(10)]
    for thread in viewers:
        thread.start()
    try:
        with lock:
            assert lock.wait_for(lambda: len(answers) >= 20, timeout=120)  # every viewer polling
            before = len(answers)
        delivered = requests.post(
            f"{base}/webhooks/points",
            json=merchant_event("low_balance_warning"),
            headers={"X-Webhook-Secret": SECRET, "X-Webhook-Event": "low_balance_warning"},
            timeout=30,
        )
        assert delivered.status_code == 200, delivered.text[:300]
        catalogue = requests.get(f"{base}/", timeout=30)
        assert catalogue.status_code == 200
        with lock:  # the viewers' next polls bring the account health card the webhook made
            assert lock.wait_for(
                lambda: any(status == 200 and health for status, health in answers[before:]), timeout=120
            )
    finally:
        stop.set()
        for thread in viewers:
            thread.join(timeout=60)
    assert {status for status, _ in answers} <= {200, 304}
    assert all(status == 304 for status, _ in answers[:before])  # nothing changed: no page rendered
