"""What bench/load.py and bench/lighthouse.py share: fresh demo databases and gunicorn servers.

Standard library only, so the scripts run under any python3; the app itself runs from .venv.
Every server binds to 127.0.0.1 and is stopped when its `with` block ends, error or not.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
GUNICORN_WORKERS = 2
POSTGRES_DB = "bench"  # the only database these scripts create or drop
POSTGRES_URL = f"postgresql+psycopg://{HOST}:5432/{POSTGRES_DB}"


class BenchError(Exception):
    """The run could not measure what it set out to (as opposed to a page missing its target)."""


def run_bench(main: Callable[[], int]) -> NoReturn:
    """A bench script's entry point: exit with main()'s status, or 2 if it could not measure.

    A SIGTERM (a CI timeout, say) unwinds like Ctrl-C, so every server is still stopped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"bench/{Path(sys.argv[0]).name}: {error}", file=sys.stderr)
        sys.exit(2)


def run(command: list, **kwargs) -> str:
    """Run a setup command; on failure raise with its output, which says why."""
    command = [str(part) for part in command]
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise BenchError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def get_status(url: str, timeout: float = 10.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def add_app_dir_argument(parser) -> None:
    parser.add_argument(
        "--app-dir", type=Path, default=ROOT,
        help="the shop to serve (default: this checkout); e.g. `git archive REV | tar -x -C DIR` "
             "to measure another revision, or a stable one while this tree is being edited",
    )


@contextmanager
def demo_shop(backend: str, app_dir: Path = ROOT) -> Iterator[dict]:
    """Yield the environment of app_dir's shop on a fresh, migrated, demo-filled database."""
    if not (app_dir / "app" / "__init__.py").exists():
        raise BenchError(f"{app_dir} holds no shop (no app/__init__.py)")
    with _fresh_database(backend) as database_url:
        env = dict(os.environ)
        env.update(
            FLASK_CONFIG="production",
            SECRET_KEY=secrets.token_hex(32),  # 64 characters; production refuses fewer than 32
            DATABASE_URL=database_url,
            # Production refuses to start without Stripe keys; page loads never call Stripe.
            STRIPE_SECRET_KEY="sk_test_bench",
            SHOP_URL=f"http://{HOST}",  # gunicorn() sets the port it serves on
            STRIPE_WEBHOOK_SECRET="whsec_bench",
            # Production refuses to start without mail settings; page loads send none.
            MAIL_SERVER="127.0.0.1", MAIL_DEFAULT_SENDER="orders@bench.test", SHOP_SAFETY_EMAIL="safety@bench.test",
        )
        run([BIN / "flask", "--app", "app", "db", "upgrade"], cwd=app_dir, env=env)
        run([BIN / "flask", "--app", "app", "seed-demo"], cwd=app_dir, env=env)
        yield env


@contextmanager
def _fresh_database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="shop-bench-") as directory:
            yield f"sqlite:///{directory}/shop.db"
    elif backend == "postgresql":
        run(["dropdb", "--if-exists", "--force", "-h", HOST, POSTGRES_DB])
        run(["createdb", "-h", HOST, POSTGRES_DB])
        yield POSTGRES_URL
    else:
        raise BenchError(f"Unknown backend {backend!r}")


@contextmanager
def gunicorn(app_spec: str, *, cwd: Path, env: dict, ready_path: str, log_path: Path) -> Iterator[str]:
    """Serve app_spec with `gunicorn -w 2` on a free port; yield its base URL; always stop it."""
    address = f"{HOST}:{_free_port()}"
    env = {**env, "SHOP_URL": f"http://{address}"}  # the shop's public address: its links use it
    command = [BIN / "gunicorn", "-w", str(GUNICORN_WORKERS), "-b", address, app_spec]
    with log_path.open("ab") as log:
        # Its own process group, so stopping the group stops the workers too.
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_ready(f"http://{address}{ready_path}", process, log_path)
        yield f"http://{address}"
    finally:
        _stop(process)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _wait_until_ready(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited; the end of {log_path}:\n{log_path.read_text()[-2000:]}")
        try:
            if get_status(url, timeout=2) == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)
    raise BenchError(f"{url} did not answer 200 within {timeout:.0f}s; see {log_path}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
