"""A PostgreSQL restart under a running shop costs no request a 500.

Every gunicorn worker keeps pooled connections; a restart kills them all on the server's side.
Each connection is tested as it is taken from the pool (``pool_pre_ping``), so the first request
after the restart gets a fresh one instead of an error. Run under scripts/with-postgres, which
says how to restart its throwaway cluster (``WITH_POSTGRES_PG_CTL``); skipped on SQLite.
"""

import json
import os
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from points_webhooks import merchant_event
from servers import POSTGRES_URL, fresh_database, readme_gunicorn_commands
from test_startup import SHOP_HOST, production_env

PG_CTL = os.environ.get("WITH_POSTGRES_PG_CTL", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (POSTGRES_URL and PG_CTL), reason="needs the cluster of scripts/with-postgres"),
]

PAGES = ["/", "/products/sukkari-dates", "/cart", "/?page=1", "/products/ajwa-dates"]


def one_request(base: str, secret: str, i: int) -> tuple[str, int]:
    """A page, or (every fifth request) a merchant webhook, which writes its delivery down."""
    headers = {"Host": SHOP_HOST}
    if i % 5 == 4:
        body = merchant_event("low_balance_warning", timestamp=f"2026-04-18T16:{i // 60 % 60:02d}:{i % 60:02d}.000000Z")
        response = requests.post(
            base + "/webhooks/points",
            data=json.dumps(body),
            headers={
                **headers,
                "Content-Type": "application/json",
                "X-Webhook-Secret": secret,
                "X-Webhook-Event": "low_balance_warning",
            },
            timeout=30,
        )
        return "webhook", response.status_code
    path = PAGES[i % len(PAGES)]
    return path, requests.get(base + path, headers=headers, timeout=30).status_code


def many(server, count: int, start: int = 0, threads: int = 6) -> list[tuple[str, int]]:
    secret = server.env["POINTS_WEBHOOK_SECRET"]
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda i: one_request(server.url, secret, i), range(start, start + count)))


def test_after_postgresql_restarts_no_worker_answers_500(tmp_path, start_gunicorn):
    (production,) = readme_gunicorn_commands()
    server = start_gunicorn(production, production_env(fresh_database("postgresql", tmp_path)))
    server.wait_until_every_worker_is_ready()

    # Every worker's pool holds connections: more requests at once than one worker has threads.
    warm = many(server, 120, threads=server.workers * 4)
    assert {status for _, status in warm} == {200}, warm

    restarted = subprocess.run([*shlex.split(PG_CTL), "restart", "-m", "fast"], capture_output=True, text=True)
    assert restarted.returncode == 0, restarted.stderr

    after = many(server, 60, start=1000)
    failed = [(what, status) for what, status in after if status != 200]
    assert failed == [], f"{len(failed)} of 60 requests failed after the restart: {failed}"
    assert "Traceback" not in server.log(), server.log()[-4000:]
