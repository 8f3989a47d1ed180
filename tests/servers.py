"""Real servers in their own processes: the README's gunicorn commands, on fresh databases.

Plain helpers (the fixtures are in conftest.py); test modules import them as ``from servers import ...``.
"""

import itertools
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("DATABASE_URL", "") if os.environ.get("DATABASE_URL", "").startswith("postgresql") else ""

# The Pay limits, high enough that no test but the limit's own is throttled.
TEST_LIMITS = {"CHECKOUT_LIMIT_PER_ADDRESS": 100_000, "CHECKOUT_LIMIT_PER_CART": 100_000}

_fresh_databases = itertools.count(1)


def fresh_database(backend: str, folder: Path) -> str:
    """The URL of an empty database: a new SQLite file, or a new database on the PostgreSQL server."""
    if backend == "sqlite":
        return f"sqlite:///{folder / f'fresh-{next(_fresh_databases)}.db'}"
    name = f"storefront_fresh_{os.getpid()}_{next(_fresh_databases)}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


# SQLite always; PostgreSQL too when the suite runs under scripts/with-postgres.
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def readme_gunicorn_commands() -> list[str]:
    """The gunicorn command lines of README.md that serve the shop alone: production's.
    (The demo's lines are ``readme_demo_commands``.)"""
    return re.findall(r"^gunicorn --.* wsgi:app$", (REPO / "README.md").read_text(), re.MULTILINE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """A gunicorn command from the README, run as written in its own process group, except that it
    listens on a free local port. ``env`` is the whole environment the operator would export."""

    READY = re.compile(r"Storefront ready in process (\d+)")

    def __init__(self, command: str, env: dict, folder: Path):
        argv = shlex.split(command)
        assert argv[0] == "gunicorn", command
        argv[argv.index("--bind") + 1] = f"127.0.0.1:{free_port()}"
        self.env = env
        self.workers = int(argv[argv.index("--workers") + 1])
        self.url = "http://" + argv[argv.index("--bind") + 1]
        self.log_path = folder / f"gunicorn-{next(_fresh_databases)}.log"
        keep = {
            k: v
            for k, v in os.environ.items()
            if k in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR", "PYTHONDONTWRITEBYTECODE")
        }
        # Its control socket in the test's folder, not the shared default under ~/.gunicorn.
        keep["GUNICORN_CMD_ARGS"] = f"--control-socket {folder / 'gunicorn.ctl'}"
        self.started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", *argv],
                cwd=REPO,
                env={**keep, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_every_worker_is_ready(self, timeout: float = 90.0) -> float:
        """Seconds from the command to every worker having loaded the app; fails on a worker crash."""
        deadline = self.started + timeout
        while len(set(self.READY.findall(self.log()))) < self.workers:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not every worker was ready after {timeout}s:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        return time.monotonic() - self.started

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# --- The demo, every way the README runs it ---------------------------------------------------------

DEMO_PORTS = ("127.0.0.1:8000", "127.0.0.1:8001")  # the gunicorn demo's shop and sandbox, as written


def readme_demo_commands() -> dict[str, list[str]]:
    """Every documented way to run the demo, as command lines: the README's first command (its part
    after ``pip install ... &&``) and the lines of the gunicorn demo's block."""
    readme = (REPO / "README.md").read_text()
    first = re.search(r"^pip install -r requirements\.txt && (.+?)\s+#", readme, re.MULTILINE).group(1)
    block = re.search(r"The demo runs under gunicorn.*?```bash\n(.*?)```", readme, re.DOTALL).group(1)
    return {"flask": [first], "gunicorn": [line for line in block.splitlines() if line.strip()]}


class Demo:
    """The demo's command lines run as written, each in its own process group, except that the
    addresses they name are free local ports (FLASK_RUN_PORT for ``flask run``'s default)."""

    def __init__(self, lines: list[str], env: dict, folder: Path):
        ports = {address: f"127.0.0.1:{free_port()}" for address in DEMO_PORTS}
        flask_port = free_port()
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR")}
        keep["GUNICORN_CMD_ARGS"] = f"--control-socket {folder / 'gunicorn-demo.ctl'}"
        self.env, self.processes, self.logs = env, [], []
        self.url = self.sandbox_url = None
        for n, line in enumerate(lines):
            for written, free in ports.items():
                line = line.replace(written, free)
            words = shlex.split(line.rstrip("& "))
            assignments = dict(word.split("=", 1) for word in itertools.takewhile(lambda w: "=" in w, words))
            argv = words[len(assignments) :]
            shop = "wsgi:app" in argv or argv[:3] == ["flask", "--app", "wsgi"]
            if argv[0] == "flask":
                assignments["FLASK_RUN_PORT"] = str(flask_port)
                address = f"127.0.0.1:{flask_port}"
            else:
                address = argv[argv.index("--bind") + 1]
            if shop:
                self.url = f"http://{address}"
            else:
                self.sandbox_url = f"http://{address}"
            log_path = folder / f"demo-{next(_fresh_databases)}-{n}.log"
            self.logs.append(log_path)
            with open(log_path, "wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", *argv],
                        cwd=REPO,
                        env={**keep, **env, **assignments},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        # Mounted in the shop (no sandbox command of its own): the sandbox is at the shop's path.
        self.sandbox_url = self.sandbox_url or f"{self.url}/points-sandbox"

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs)

    def wait_until_answering(self, timeout: float = 90.0) -> None:
        import requests

        deadline = time.monotonic() + timeout
        for url in (self.sandbox_url + "/_control/", self.url + "/"):
            while True:
                if any(p.poll() is not None for p in self.processes):
                    raise AssertionError(f"a demo process exited:\n{self.log()[-4000:]}")
                try:
                    if requests.get(url, timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{url} did not answer after {timeout}s:\n{self.log()[-4000:]}")
                time.sleep(0.2)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
