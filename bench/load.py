#!/usr/bin/env python3
"""Load test: the shop's pages under gunicorn, as a ratio of a bare Flask hello world.

bench/hello.py is served by `gunicorn -w 2` and measured. Then, for each backend (SQLite,
PostgreSQL), a fresh database is migrated and seeded with the demo data, the shop is served the
same way with the production config, and wrk measures requests/s and p50/p99 latency on each page.
Hello world is measured again at the end, and the baseline is the mean of the two. A page passes
if its requests/s is at least the backend's target share of the baseline's. With --rounds N all
of it is repeated N times and each page is judged by its median ratio, each ratio taken against
its own round's baseline: on a shared machine whose speed wanders, one round can mislead.

    python3 bench/load.py [--duration 10] [--warmup 2] [--rounds 1] [--backend sqlite ...]

Needs wrk, and PostgreSQL on 127.0.0.1:5432 for the postgresql backend (its database `bench` is
dropped and recreated). Results are also written as JSON to bench/results/.
Exit status: 0 every page met its target, 1 a page missed it, 2 the run itself failed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

from shop_server import (
    BENCH, GUNICORN_WORKERS, RESULTS, BenchError, add_app_dir_argument, demo_shop, get_status,
    gunicorn, run, run_bench,
)

PAGES = ("/", "/products", "/products/magnesium-body-cream", "/learn/how-common-is-back-pain")
# Share of hello world's req/s that a bare one-query Flask + SQLAlchemy + Jinja list page reaches.
TARGETS = {"sqlite": 0.35, "postgresql": 0.22}
WRK_THREADS = 2
WRK_CONNECTIONS = 16
MAX_BASELINE_DRIFT = 0.10  # hello world's req/s before and after the pages may differ this much
BUSY_LOAD = 0.5  # a 1-minute load average above this means something else is running
_MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured wrk per page (2)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure everything this many times and judge each page by its median ratio (1)")
    parser.add_argument(
        "--backend", action="append", choices=sorted(TARGETS), dest="backends",
        help="repeat to choose several; default: all",
    )
    add_app_dir_argument(parser)
    args = parser.parse_args()
    if args.duration < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("--duration and --rounds must be at least 1 and --warmup not negative")
    args.backends = args.backends or sorted(TARGETS, reverse=True)  # sqlite, then postgresql
    return args


def wrk(url: str, seconds: int) -> dict:
    output = run(["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency", url])
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    percentiles = {
        percent: float(value) * _MILLISECONDS[unit]
        for percent, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)$", output, re.M)
    }
    if not rps or set(percentiles) != {"50", "99"}:
        raise BenchError(f"Could not read wrk's output for {url}:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:(.*)$", output, re.M)
    return {
        "rps": float(rps.group(1)),
        "p50_ms": percentiles["50"],
        "p99_ms": percentiles["99"],
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
    }


def measure(base_url: str, path: str, args: argparse.Namespace) -> dict:
    url = base_url + path
    status = get_status(url)
    if status != 200:  # an error page is fast, and would make a broken page look good
        raise BenchError(f"GET {url} answered {status}, not 200")
    if args.warmup:
        wrk(url, args.warmup)  # both workers import, compile templates and open connections
    result = wrk(url, args.duration)
    if result["non_2xx"]:
        raise BenchError(f"GET {url} answered {result['non_2xx']} non-2xx responses under load")
    return result


def measure_hello(args: argparse.Namespace, log_path: Path) -> dict:
    with gunicorn("hello:app", cwd=BENCH, env=dict(os.environ), ready_path="/",
                  log_path=log_path) as base_url:
        result = measure(base_url, "/", args)
    print(f"hello world: {result['rps']:.0f} req/s", flush=True)
    return result


def git_revision(app_dir: Path) -> str:
    """Which code was measured, so results from different days can be compared."""
    try:
        revision = run(["git", "rev-parse", "--short", "HEAD"], cwd=app_dir).strip()
        dirty = run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=app_dir).strip()
    except (BenchError, OSError):
        return "unknown"
    return revision + ("-dirty" if dirty else "")


def print_table(hello: dict, rows: list[dict], calibration: dict) -> None:
    header = (f"{'page':<34} {'backend':<10} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'ratio':>6} {'target':>6}  result")
    print(header)
    print("-" * len(header))
    print(f"{'/ (hello world)':<34} {'-':<10} {hello['rps']:>7.0f} {hello['p50_ms']:>7.2f} "
          f"{hello['p99_ms']:>7.2f} {1:>6.2f} {'':>6}  baseline")
    for backend, reference in calibration.items():
        print(f"{'bare one-query page (reference)':<34} {backend:<10} {reference['rps']:>7.0f} "
              f"{reference['p50_ms']:>7.2f} {reference['p99_ms']:>7.2f} {reference['ratio']:>6.2f} {'':>6}  calibration")
    for row in rows:
        print(f"{row['page']:<34} {row['backend']:<10} {row['rps']:>7.0f} {row['p50_ms']:>7.2f} "
              f"{row['p99_ms']:>7.2f} {row['ratio']:>6.2f} {row['target']:>6.2f}  "
              f"{'PASS' if row['passed'] else 'FAIL'}")


def measure_round(args: argparse.Namespace, log_path: Path) -> dict:
    """Hello world, every page on every backend, each reference page, then hello world again."""
    hello_before = measure_hello(args, log_path)
    results = []
    references = {}  # backend -> the bare one-query page's figures (bench/reference.py)
    for backend in args.backends:
        with demo_shop(backend, args.app_dir) as env, gunicorn(
            "app:create_app()", cwd=args.app_dir, env=env, ready_path="/healthz", log_path=log_path
        ) as base_url:
            for path in PAGES:
                results.append((path, backend, measure(base_url, path, args)))
                print(f"{backend} {path}: {results[-1][2]['rps']:.0f} req/s", flush=True)
            with gunicorn("reference:app", cwd=BENCH, env=env, ready_path="/", log_path=log_path) as reference_url:
                references[backend] = measure(reference_url, "/", args)
                print(f"{backend} reference page: {references[backend]['rps']:.0f} req/s", flush=True)
    hello_after = measure_hello(args, log_path)

    # The baseline brackets the round, so a machine that got busier (or quieter) midway shows.
    hello = {key: (hello_before[key] + hello_after[key]) / 2 for key in ("rps", "p50_ms", "p99_ms")}
    return {
        "hello": hello, "hello_before": hello_before, "hello_after": hello_after,
        "drift": abs(hello_after["rps"] - hello_before["rps"]) / hello["rps"],
        "pages": [{"page": path, "backend": backend, **result, "ratio": result["rps"] / hello["rps"]}
                  for path, backend, result in results],
        "reference": {backend: {**result, "ratio": result["rps"] / hello["rps"]}
                      for backend, result in references.items()},
    }


def median_row(rows: list[dict]) -> dict:
    """The row whose ratio is the median (the lower middle one for an even count)."""
    return sorted(rows, key=lambda row: row["ratio"])[(len(rows) - 1) // 2]


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise BenchError("wrk is missing: apt-get install -y wrk")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    log_path = RESULTS / f"load-{stamp}-gunicorn.log"
    load_at_start = os.getloadavg()[0]
    print(f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{args.duration}s after {args.warmup}s warm-up, "
          f"gunicorn -w {GUNICORN_WORKERS}, {os.cpu_count()} CPUs, {args.rounds} round(s); "
          f"server log: {log_path}", flush=True)
    if load_at_start > BUSY_LOAD:
        print(f"WARNING: load average {load_at_start:.1f} before starting: other processes are "
              "competing for the CPUs, so these figures will be low and noisy.", flush=True)

    rounds = []
    for number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"-- round {number} of {args.rounds}", flush=True)
        rounds.append(measure_round(args, log_path))

    # Each page is judged by its median ratio over the rounds, each ratio against its own round's
    # hello world: a machine whose speed wanders (a shared VM) moves both together.
    hello = sorted((one["hello"] for one in rounds), key=lambda figures: figures["rps"])[(len(rounds) - 1) // 2]
    rows = []
    for index, first in enumerate(rounds[0]["pages"]):
        row = median_row([one["pages"][index] for one in rounds])
        target = TARGETS[first["backend"]]
        rows.append({**row, "ratios": [one["pages"][index]["ratio"] for one in rounds],
                     "target": target, "passed": row["ratio"] >= target})
    calibration = {backend: median_row([one["reference"][backend] for one in rounds])
                   for backend in rounds[0]["reference"]}
    print()
    print_table(hello, rows, calibration)
    if args.rounds > 1:
        print("\nEach round's ratios, page by page:")
        for row in rows:
            print(f"  {row['backend']:<10} {row['page']:<34} " + "  ".join(f"{r:.2f}" for r in row["ratios"]))
    drifted = [one for one in rounds if one["drift"] > MAX_BASELINE_DRIFT]
    if drifted:
        print(f"\nWARNING: in {len(drifted)} round(s) hello world's req/s changed by more than "
              f"{MAX_BASELINE_DRIFT:.0%} between its two measurements: the machine's load changed "
              "during the run, so those ratios are unreliable. Run again on an idle machine.")
    passed = all(row["passed"] for row in rows)
    json_path = RESULTS / f"load-{stamp}.json"
    json_path.write_text(json.dumps({
        "started": stamp, "app_dir": str(args.app_dir), "revision": git_revision(args.app_dir),
        "load_average_at_start": load_at_start, "cpu_count": os.cpu_count(),
        "gunicorn_workers": GUNICORN_WORKERS, "wrk_threads": WRK_THREADS,
        "wrk_connections": WRK_CONNECTIONS, "duration_s": args.duration, "warmup_s": args.warmup,
        "rounds": rounds, "median_pages": rows, "median_reference": calibration, "passed": passed,
    }, indent=2) + "\n")
    print(f"\n{'All pages met their targets.' if passed else 'TARGET MISSED: see the FAIL rows.'} "
          f"Results: {json_path}")
    return 0 if passed else 1


if __name__ == "__main__":
    run_bench(main)
