#!/usr/bin/env python3
"""CPU instructions per request for each page, counted by valgrind: a measure that does not wander.

load.py's requests/s move by 10-15% from minute to minute on a shared virtual machine, so a
change that saves 5% takes many rounds to see there. valgrind counts the instructions the CPU
runs, whatever else the machine is doing: the same code gives the same count, within about 1%.
Use it to compare revisions (`--app-dir`); load.py stays the judge of the targets, as
instructions leave out cache misses, system calls, the network and gunicorn. On PostgreSQL only
the shop's own process is counted, not the database server's work.

Each page is requested in-process through the WSGI app (production config, demo data, no
server): warm-up requests, then --requests more; the count is the difference between a run with
them and one without, divided by their number.

    python3 bench/instructions.py [--requests 200] [--backend sqlite] [--app-dir DIR]

Needs valgrind (`apt-get install -y valgrind`) and the project's .venv.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from load import PAGES
from shop_server import BENCH, BIN, BenchError, add_app_dir_argument, demo_shop, run_bench

WARMUP_REQUESTS = 20
# Run by valgrind: request one path from one WSGI app `count` times, after the warm-up.
DRIVER = """
import sys
from werkzeug.test import EnvironBuilder
directory, target, path, base_url, warmup, count = sys.argv[1:]
sys.path.insert(0, directory)
module, _, name = target.partition(":")
app = getattr(__import__(module), name)
app = app() if name == "create_app" else app
environ = EnvironBuilder(path=path, base_url=base_url).get_environ()
statuses = set()
def start_response(status, headers, exc_info=None):
    statuses.add(status)
for _ in range(int(warmup) + int(count)):
    body = app(dict(environ), start_response)
    b"".join(body)
    getattr(body, "close", lambda: None)()  # as a WSGI server does when the response is sent
if statuses != {"200 OK"}:
    sys.exit(f"{path} answered {statuses}")
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page (200)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the database the shop reads (sqlite)")
    add_app_dir_argument(parser)
    return parser.parse_args()


def instructions(directory: Path, target: str, path: str, env: dict, count: int) -> int:
    """Instructions valgrind counts for the whole process: start-up, warm-up and `count` requests."""
    base_url = env.get("SHOP_URL") or "http://127.0.0.1"
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", str(BIN / "python"),
               "-c", DRIVER, str(directory), target, path, base_url, str(WARMUP_REQUESTS), str(count)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=directory,
                          env={**env, "PYTHONHASHSEED": "0"})
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or not collected:
        raise BenchError(f"{target} {path} under valgrind failed:\n{done.stderr[-2000:]}")
    return int(collected.group(1))


def per_request(directory: Path, target: str, path: str, env: dict, requests: int) -> int:
    with ThreadPoolExecutor(2) as pool:  # the two runs at once, one per core
        with_requests, without = pool.map(
            lambda count: instructions(directory, target, path, env, count), (requests, 0))
    return (with_requests - without) // requests


def main() -> int:
    args = parse_args()
    if not shutil.which("valgrind"):
        raise BenchError("valgrind is missing: apt-get install -y valgrind")
    with demo_shop(args.backend, args.app_dir) as env:
        env = {**env, "SHOP_URL": "http://127.0.0.1"}
        hello = per_request(BENCH, "hello:app", "/", dict(os.environ), args.requests)
        reference = per_request(BENCH, "reference:app", "/", env, args.requests)
        rows = [(path, per_request(args.app_dir, "app:create_app", path, env, args.requests)) for path in PAGES]
    print(f"\n{'page':<34} {'instructions/request':>21} {'x hello':>8} {'x reference':>12}   ({args.backend})")
    for name, count in [("hello world", hello), ("bare one-query page (reference)", reference), *rows]:
        print(f"{name:<34} {count:>21,} {count / hello:>8.1f} {count / reference:>12.2f}")
    return 0


if __name__ == "__main__":
    run_bench(main)
