"""Who gets into /admin: staff with a password, never a shopper; slow-down on repeated failures."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from storefront.admin.auth import ADDRESS_FAILURES
from storefront.extensions import db
from storefront.models import AdminUser, LoginAttempt, RateLimit

EMAIL, PASSWORD = "staff@example.test", "correct horse battery"


@pytest.fixture
def staff(app):
    with app.app_context():
        user = AdminUser(email=EMAIL, password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
        db.session.add(user)
        db.session.commit()
        db.session.refresh(user)  # loaded before its session closes
        return user


def login(client, email=EMAIL, password=PASSWORD, **kwargs):
    return client.post("/admin/login", data={"email": email, "password": password}, **kwargs)


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/admin/"),
        ("get", "/admin/orders"),
        ("get", "/admin/orders/PTS-2026-900001"),
        ("get", "/admin/webhooks"),
        ("post", "/admin/orders/PTS-2026-900001/shipping"),
        ("post", "/admin/orders/PTS-2026-900001/cancel"),
        ("post", "/admin/orders/PTS-2026-900001/refund"),
        ("post", "/admin/orders/PTS-2026-900001/reconcile"),
    ],
)
def test_every_admin_page_needs_a_login(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response.headers["Location"] == ("/admin/login?next=" + path if method == "get" else "/admin/login")


def test_a_shoppers_session_never_reaches_the_admin(client, staff):
    with client.session_transaction() as session:
        session["cart_token"] = "a-shoppers-cart"
    response = client.get("/admin/orders")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_staff_log_in_reach_the_orders_and_log_out(app, client, staff):
    response = login(client, follow_redirects=True)
    assert response.status_code == 200
    assert b"Orders" in response.data and EMAIL.encode() in response.data
    with app.app_context():
        assert db.session.get(AdminUser, staff.id).last_login_at is not None

    response = client.post("/admin/logout", follow_redirects=True)
    assert b"logged out" in response.data
    assert client.get("/admin/orders").status_code == 302


def test_login_sends_staff_back_to_the_page_they_asked_for(client, staff):
    response = login(client, query_string={"next": "/admin/webhooks"})
    assert response.headers["Location"] == "/admin/webhooks"


@pytest.mark.parametrize("target", ["https://evil.example/admin", "//evil.example/admin", "/cart"])
def test_login_never_redirects_outside_the_back_office(client, staff, target):
    response = login(client, query_string={"next": target})
    assert response.headers["Location"] == "/admin/orders"


def test_a_wrong_password_gets_the_same_answer_as_an_unknown_email(client, staff):
    wrong_password = login(client, password="nope")
    unknown_email = login(client, email="nobody@example.test", password="nope")
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert b"Email or password is incorrect." in wrong_password.data
    assert wrong_password.data.replace(EMAIL.encode(), b"X") == unknown_email.data.replace(b"nobody@example.test", b"X")
    assert client.get("/admin/orders").status_code == 302


def test_emails_are_matched_whatever_their_case(client, staff):
    assert login(client, email="  Staff@Example.TEST ").status_code == 302


def _a_minute_passes(app):
    with app.app_context():
        db.session.execute(sa.update(RateLimit).values(last_hit_at=RateLimit.last_hit_at - timedelta(seconds=61)))
        db.session.commit()


def test_five_failures_slow_down_the_next_attempt_even_with_the_right_password(app, client, staff):
    for _ in range(5):
        assert login(client, password="wrong").status_code == 200
    response = login(client)
    assert response.status_code == 429
    assert b"Email or password is incorrect." in response.data and b"Too many attempts, wait a minute" in response.data
    assert client.get("/admin/orders").status_code == 302

    # A minute later, one more attempt is allowed.
    _a_minute_passes(app)
    assert login(client).status_code == 302


def test_after_the_slow_down_one_attempt_a_minute_is_evaluated(app, client, staff):
    for _ in range(5):
        login(client, password="wrong")
    _a_minute_passes(app)
    assert login(client, password="wrong").status_code == 200  # evaluated (and wrong)
    assert login(client).status_code == 429  # the next one waits again


def test_failures_for_many_emails_from_one_address_are_slowed_down_too(client, staff):
    for n in range(ADDRESS_FAILURES):
        assert login(client, email=f"guess{n}@example.test", password="wrong").status_code == 200
    assert login(client).status_code == 429


def test_an_unknown_email_is_slowed_down_like_a_known_one(client):
    for _ in range(5):
        login(client, email="ghost@example.test", password="wrong")
    assert login(client, email="ghost@example.test", password="wrong").status_code == 429


def test_hammering_from_one_address_never_locks_the_staff_member_out_elsewhere(client, app, staff):
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "198.51.100.66"
    for _ in range(30):
        login(attacker, password="guess")
    assert login(attacker).status_code == 429
    # The staff member, from their own address, logs in at once.
    assert login(client, environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 302


def test_hopping_between_ipv6_addresses_of_one_64_does_not_escape_the_slow_down(client, staff):
    for n in range(5):
        login(client, password="wrong", environ_base={"REMOTE_ADDR": f"2001:db8:5:6::{n + 1:x}"})
    assert login(client, environ_base={"REMOTE_ADDR": "2001:db8:5:6::99"}).status_code == 429
    assert login(client, environ_base={"REMOTE_ADDR": "2001:db8:5:7::1"}).status_code == 302


def test_concurrent_attempts_after_the_lockout_minute_evaluate_exactly_one(app, staff):
    for _ in range(5):
        login(app.test_client(), password="wrong")
    _a_minute_passes(app)
    clients = [app.test_client() for _ in range(40)]
    barrier = threading.Barrier(len(clients))

    def attempt(one):
        barrier.wait()
        return login(one, password="wrong").status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = sorted(pool.map(attempt, clients))
    assert statuses == [200] + [429] * 39
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(LoginAttempt.id))) == 6


def test_concurrent_first_attempts_evaluate_at_most_five(app, staff):
    clients = [app.test_client() for _ in range(30)]
    barrier = threading.Barrier(len(clients))

    def attempt(one):
        barrier.wait()
        return login(one, password="wrong").status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = sorted(pool.map(attempt, clients))
    assert statuses == [200] * 5 + [429] * 25


def test_failures_older_than_fifteen_minutes_do_not_count(app, client, staff):
    for _ in range(5):
        login(client, password="wrong")
    with app.app_context():
        db.session.execute(
            sa.update(RateLimit).values(
                window_started_at=RateLimit.window_started_at - timedelta(minutes=16),
                last_hit_at=RateLimit.last_hit_at - timedelta(minutes=16),
            )
        )
        db.session.commit()
    assert login(client).status_code == 302


def test_a_success_clears_the_failures_of_that_address(client, staff):
    for _ in range(4):
        login(client, password="wrong")
    assert login(client).status_code == 302
    client.post("/admin/logout")
    for _ in range(4):
        assert login(client, password="wrong").status_code == 200
    assert login(client).status_code == 302


def test_attempts_are_recorded_without_the_password(app, client, staff):
    login(client, password="wrong-secret")
    login(client)
    with app.app_context():
        attempts = db.session.scalars(sa.select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [(a.email, a.succeeded) for a in attempts] == [(EMAIL, False), (EMAIL, True)]
    assert attempts[0].remote_addr == "127.0.0.1"


def test_demo_credentials_are_shown_only_in_demo_mode(app, client):
    assert b"demo-password" not in client.get("/admin/login").data
    app.config["POINTS_DEMO_MODE"] = True
    page = client.get("/admin/login").data
    assert b"demo@points-storefront.test" in page and b"demo-password" in page


@pytest.fixture
def csrf_on(app_config):
    app_config["WTF_CSRF_ENABLED"] = True


def test_the_login_form_needs_its_csrf_token(csrf_on, client, staff):
    assert login(client).status_code == 400
    page = client.get("/admin/login").data.decode()
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def _csrf_token(client, path="/admin/login"):
    page = client.get(path).data.decode()
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_logout_needs_its_csrf_token(csrf_on, client, staff):
    client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": _csrf_token(client)})
    assert client.post("/admin/logout").status_code == 400
    assert client.get("/admin/orders").status_code == 200


# --- Staff sessions end: logout everywhere, a new password, idleness, a maximum age ----------


def _cookie(client):
    return client.get_cookie("session").value


def _client_with(app, cookie):
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def test_a_cookie_captured_before_logout_no_longer_opens_the_admin(app, client, staff):
    login(client)
    captured = _cookie(client)
    assert _client_with(app, captured).get("/admin/orders").status_code == 200
    client.post("/admin/logout")
    assert _client_with(app, captured).get("/admin/orders").status_code == 302


def test_logout_ends_every_session_of_that_account(app, staff):
    office, phone = app.test_client(), app.test_client()
    login(office), login(phone)
    assert phone.get("/admin/orders").status_code == 200
    office.post("/admin/logout")
    response = phone.get("/admin/orders")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")
    # Logging in again works, and only the new session is open.
    assert login(phone).status_code == 302 and phone.get("/admin/orders").status_code == 200
    assert office.get("/admin/orders").status_code == 302


def test_logout_of_one_account_leaves_another_accounts_sessions_open(app, client, staff):
    with app.app_context():
        db.session.add(
            AdminUser(
                email="other@example.test",
                password_hash=generate_password_hash("other-pass", method="pbkdf2:sha256:1000"),
            )
        )
        db.session.commit()
    other = app.test_client()
    login(other, email="other@example.test", password="other-pass")
    login(client)
    client.post("/admin/logout")
    assert other.get("/admin/orders").status_code == 200


def test_a_new_password_ends_every_earlier_session(app, client, runner, staff):
    login(client)
    captured = _cookie(client)
    result = runner.invoke(args=["create-admin", EMAIL], input="another-pass-long\nanother-pass-long\n")
    assert result.exit_code == 0, result.output
    assert client.get("/admin/orders").status_code == 302
    assert _client_with(app, captured).get("/admin/orders").status_code == 302


def test_a_session_signed_for_a_deleted_and_recreated_account_does_not_open(app, client, staff):
    login(client)
    with app.app_context():
        db.session.delete(db.session.get(AdminUser, staff.id))
        db.session.commit()
    assert client.get("/admin/orders").status_code == 302


@pytest.fixture
def clock(monkeypatch):
    """Staff-session time, moved forward by the test."""
    from storefront.admin import auth
    from storefront.models import utcnow

    offset = [timedelta(0)]
    monkeypatch.setattr(auth, "utcnow", lambda: utcnow() + offset[0])

    def advance(**kwargs):
        offset[0] += timedelta(**kwargs)

    return advance


def test_a_staff_session_ends_after_30_idle_minutes(client, staff, clock):
    login(client)
    clock(minutes=29)
    assert client.get("/admin/orders").status_code == 200  # activity keeps it open ...
    clock(minutes=29)
    assert client.get("/admin/orders").status_code == 200
    clock(minutes=31)  # ... idleness ends it
    response = client.get("/admin/orders")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")
    assert b"Your session ended" in client.get(response.headers["Location"]).data


def test_a_staff_session_ends_after_12_hours_however_active(client, staff, clock):
    login(client)
    for _ in range(28):  # 11 h 40 min of steady work
        clock(minutes=25)
        assert client.get("/admin/orders").status_code == 200
    clock(minutes=25)  # 12 h 05 min after login
    assert client.get("/admin/orders").status_code == 302


@pytest.fixture
def short_sessions(app_config):
    app_config.update(ADMIN_IDLE_MINUTES=5, ADMIN_SESSION_HOURS=1)


def test_the_idle_and_maximum_ages_are_settings(short_sessions, client, staff, clock):
    login(client)
    clock(minutes=6)
    assert client.get("/admin/orders").status_code == 302
    login(client)
    for _ in range(14):  # 56 minutes of steady work
        clock(minutes=4)
        assert client.get("/admin/orders").status_code == 200
    clock(minutes=8)  # 64 minutes after login
    assert client.get("/admin/orders").status_code == 302


# --- The operator command ----------------------------------------------------------------------


def test_create_admin_stores_a_hash_and_the_account_can_log_in(app, runner, client):
    result = runner.invoke(
        args=["create-admin", "New.Staff@Example.test"], input="s3cret-pass-long\ns3cret-pass-long\n"
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(sa.select(AdminUser).where(AdminUser.email == "new.staff@example.test"))
        assert user is not None and "s3cret-pass-long" not in user.password_hash
    assert login(client, email="new.staff@example.test", password="s3cret-pass-long").status_code == 302


def test_create_admin_again_resets_the_password(runner, client, staff):
    runner.invoke(args=["create-admin", EMAIL], input="another-pass-long\nanother-pass-long\n")
    assert login(client).status_code == 200
    assert login(client, password="another-pass-long").status_code == 302


def test_the_demo_account_is_seeded_in_demo_mode(app_config):
    from storefront import create_app

    app_config["POINTS_DEMO_MODE"] = True
    demo = create_app(app_config)
    response = demo.test_client().post(
        "/admin/login", data={"email": "demo@points-storefront.test", "password": "demo-password"}
    )
    assert response.status_code == 302
