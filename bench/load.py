#!/usr/bin/env python3
"""Load test: the shop's pages under gunicorn, as ratios of a bare Flask hello world and of a
bare one-query reference page; and their weight.

bench/hello.py is served by `gunicorn -w 2` and measured. Then, for each backend (SQLite,
PostgreSQL), a fresh database is migrated and seeded with the demo data, and the shop is served
the same way with the production config, first with the page cache off (uncached), then on
(cached); wrk measures requests/s and p50/p99 latency on each page, with one app server and with
two (a second gunicorn on another port, on the same cores; two wrk at once, one per server, each
with half the connections, their req/s added). bench/reference.py is measured on the same
database. Hello world is measured again at the end, and the baseline is the mean of the two.

Targets: a cached page >= 0.8 x hello world; an uncached page >= 0.6 x the reference page; two
servers >= one. With --rounds N all of it is repeated N times and each row is judged by its median
ratio, each taken against its own round's baselines: on a shared machine whose speed wanders, one
round can mislead. Page weight (HTML, CSS, JS; raw, gzip, brotli) is printed once.

    python3 bench/load.py [--duration 10] [--warmup 2] [--rounds 1] [--backend sqlite ...]
                          [--redis-url redis://127.0.0.1:6379/N]

Needs wrk, and PostgreSQL on 127.0.0.1:5432 for the postgresql backend (its database `bench` is
dropped and recreated). With --redis-url (or BENCH_REDIS_URL) the cached runs share their page
cache in that Redis database, under a prefix of their own; without, each process keeps its own.
Results are also written as JSON to bench/results/.
Exit status: 0 every page met its target, 1 a page missed it, 2 the run itself failed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from shop_server import (
    BENCH, BIN, GUNICORN_WORKERS, RESULTS, BenchError, add_app_dir_argument, demo_shop, get_status,
    gunicorn, run, run_bench,
)

PAGES = ("/", "/products", "/products/magnesium-body-cream", "/learn/how-common-is-back-pain")
TWO_SERVER_PAGES = ("/products/magnesium-body-cream",)  # measured with one and with two servers
BACKENDS = ("sqlite", "postgresql")
# Issue 16's targets: a cached page against hello world, an uncached one against the reference
# page (bench/reference.py), two servers against one.
CACHED_TARGET, UNCACHED_TARGET, TWO_SERVER_TARGET = 0.8, 0.6, 1.0
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
        "--backend", action="append", choices=BACKENDS, dest="backends",
        help="repeat to choose several; default: all",
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"),
                        help="the cached runs' shared page cache (default: BENCH_REDIS_URL, else in-process)")
    add_app_dir_argument(parser)
    args = parser.parse_args()
    if args.duration < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("--duration and --rounds must be at least 1 and --warmup not negative")
    args.backends = args.backends or list(BACKENDS)
    return args


def wrk_command(url: str, seconds: int, threads: int = WRK_THREADS, connections: int = WRK_CONNECTIONS) -> list[str]:
    return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]


def wrk(url: str, seconds: int) -> dict:
    return read_wrk(url, run(wrk_command(url, seconds)))


def wrk_both(urls: list[str], seconds: int) -> dict:
    """One wrk per server, all at once, the connections shared out: their req/s added, the
    slower one's latencies."""
    share = WRK_CONNECTIONS // len(urls)
    processes = [subprocess.Popen(wrk_command(url, seconds, threads=1, connections=share),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for url in urls]
    results = []
    for url, process in zip(urls, processes):
        output, _ = process.communicate()
        if process.returncode != 0:
            raise BenchError(f"wrk on {url} failed:\n{output}")
        results.append(read_wrk(url, output))
    return {"rps": sum(result["rps"] for result in results),
            "p50_ms": max(result["p50_ms"] for result in results),
            "p99_ms": max(result["p99_ms"] for result in results),
            "non_2xx": sum(result["non_2xx"] for result in results),
            "socket_errors": "; ".join(result["socket_errors"] for result in results if result["socket_errors"])}


def read_wrk(url: str, output: str) -> dict:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    percentiles = {
        percent: float(value) * _MILLISECONDS[unit]
        for percent, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
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


def measure(base_url: str, path: str, args: argparse.Namespace, *, also: str | None = None) -> dict:
    """wrk on one page of one server, or, with `also`, of that server and a second one at once."""
    urls = [base_url + path] + ([also + path] if also else [])
    for url in urls:
        status = get_status(url)
        if status != 200:  # an error page is fast, and would make a broken page look good
            raise BenchError(f"GET {url} answered {status}, not 200")
    load = (lambda seconds: wrk_both(urls, seconds)) if also else (lambda seconds: wrk(urls[0], seconds))
    if args.warmup:
        load(args.warmup)  # every worker imports, compiles templates, opens connections, fills its cache
    result = load(args.duration)
    if result["non_2xx"]:
        raise BenchError(f"GET {urls} answered {result['non_2xx']} non-2xx responses under load")
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
    header = (f"{'page':<34} {'backend':<10} {'mode':<16} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'ratio':>6} {'of':<10} {'target':>6}  result")
    print(header)
    print("-" * len(header))
    print(f"{'/ (hello world)':<34} {'-':<10} {'-':<16} {hello['rps']:>7.0f} {hello['p50_ms']:>7.2f} "
          f"{hello['p99_ms']:>7.2f} {1:>6.2f} {'':<10} {'':>6}  baseline")
    for backend, reference in calibration.items():
        print(f"{'bare one-query page (reference)':<34} {backend:<10} {'-':<16} {reference['rps']:>7.0f} "
              f"{reference['p50_ms']:>7.2f} {reference['p99_ms']:>7.2f} {reference['ratio']:>6.2f} {'hello':<10} "
              f"{'':>6}  calibration")
    for row in rows:
        print(f"{row['page']:<34} {row['backend']:<10} {row['mode']:<16} {row['rps']:>7.0f} {row['p50_ms']:>7.2f} "
              f"{row['p99_ms']:>7.2f} {row['ratio']:>6.2f} {row['of']:<10} {row['target']:>6.2f}  "
              f"{'PASS' if row['passed'] else 'FAIL'}")


def shop_env(env: dict, *, cached: bool, args: argparse.Namespace, prefix: str) -> dict:
    env = {**env, "PAGE_CACHE_ENABLED": "1" if cached else "0"}
    if cached and args.redis_url:
        env.update(REDIS_URL=args.redis_url, PAGE_CACHE_PREFIX=prefix, PAGE_CACHE_SECONDS="900")
    return env


def measure_round(args: argparse.Namespace, log_path: Path, number: int) -> dict:
    """Hello world; on every backend each page uncached and cached, with one server and two; each
    reference page; then hello world again."""
    hello_before = measure_hello(args, log_path)
    results = []  # (path, backend, mode, figures)
    references = {}  # backend -> the bare one-query page's figures (bench/reference.py)
    for backend in args.backends:
        with demo_shop(backend, args.app_dir) as env:
            for cached in (False, True):
                kind = "cached" if cached else "uncached"
                server_env = shop_env(env, cached=cached, args=args, prefix=f"bench-{os.getpid()}-{number}-{backend}")
                with gunicorn("app:create_app()", cwd=args.app_dir, env=server_env, ready_path="/healthz",
                              log_path=log_path) as base_url:
                    for path in PAGES:
                        results.append((path, backend, kind, measure(base_url, path, args)))
                        print(f"{backend} {kind} {path}: {results[-1][3]['rps']:.0f} req/s", flush=True)
                    with gunicorn("app:create_app()", cwd=args.app_dir, env=server_env, ready_path="/healthz",
                                  log_path=log_path) as second_url:
                        for path in TWO_SERVER_PAGES:
                            results.append((path, backend, f"{kind}, 2 servers",
                                            measure(base_url, path, args, also=second_url)))
                            print(f"{backend} {kind} {path}, two servers: {results[-1][3]['rps']:.0f} req/s", flush=True)
            with gunicorn("reference:app", cwd=BENCH, env=env, ready_path="/", log_path=log_path) as reference_url:
                references[backend] = measure(reference_url, "/", args)
                print(f"{backend} reference page: {references[backend]['rps']:.0f} req/s", flush=True)
    hello_after = measure_hello(args, log_path)

    # The baseline brackets the round, so a machine that got busier (or quieter) midway shows.
    hello = {key: (hello_before[key] + hello_after[key]) / 2 for key in ("rps", "p50_ms", "p99_ms")}
    one_server = {(path, backend, kind): result for path, backend, kind, result in results}
    pages = []
    for path, backend, kind, result in results:
        if kind.endswith("2 servers"):
            base, of, target = one_server[(path, backend, kind.split(",")[0])]["rps"], "1 server", TWO_SERVER_TARGET
        elif kind == "cached":
            base, of, target = hello["rps"], "hello", CACHED_TARGET
        else:
            base, of, target = references[backend]["rps"], "reference", UNCACHED_TARGET
        pages.append({"page": path, "backend": backend, "mode": kind, **result, "ratio": result["rps"] / base,
                      "of": of, "target": target})
    return {
        "hello": hello, "hello_before": hello_before, "hello_after": hello_after,
        "drift": abs(hello_after["rps"] - hello_before["rps"]) / hello["rps"],
        "pages": pages,
        "reference": {backend: {**result, "ratio": result["rps"] / hello["rps"]}
                      for backend, result in references.items()},
    }


def median_row(rows: list[dict]) -> dict:
    """The row whose ratio is the median (the lower middle one for an even count)."""
    return sorted(rows, key=lambda row: row["ratio"])[(len(rows) - 1) // 2]


_STATIC_LINK = re.compile(r'(?:href|src)="(/static/[^"]+\.(css|js)(?:\?[^"]*)?)"')


def body_size(url: str, encoding: str) -> int:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    with urllib.request.urlopen(request, timeout=10) as response:
        served = response.headers.get("Content-Encoding", "identity")
        if served != encoding:
            raise BenchError(f"{url} came back as {served!r} when asked for {encoding!r}")
        return len(response.read())


def page_weight(args: argparse.Namespace, log_path: Path) -> list[dict]:
    """Each page's HTML, CSS and JS in bytes as served (cached, production), raw and compressed:
    HTML by the page cache or Flask-Compress, static files by WhiteNoise's precompressed copies."""
    run([BIN / "python", "-m", "whitenoise.compress", "--quiet", args.app_dir / "static"])  # `make static`
    rows = []
    with demo_shop("sqlite", args.app_dir) as env, gunicorn(
        "app:create_app()", cwd=args.app_dir, env=shop_env(env, cached=True, args=args, prefix=f"bench-{os.getpid()}-weight"),
        ready_path="/healthz", log_path=log_path,
    ) as base_url:
        for path in PAGES:
            with urllib.request.urlopen(base_url + path, timeout=10) as response:
                html = response.read().decode()
            files = {"html": [base_url + path], "css": [], "js": []}
            for link, kind in _STATIC_LINK.findall(html):
                files[kind].append(base_url + link)
            row = {"page": path}
            for kind, urls in files.items():
                for encoding in ("identity", "gzip", "br"):
                    row[f"{kind}_{encoding}"] = sum(body_size(url, encoding) for url in urls)
            rows.append(row)
    return rows


def print_weight(rows: list[dict]) -> None:
    print(f"\n{'page weight, bytes (raw / gzip / br)':<34} {'HTML':>22} {'CSS':>22} {'JS':>22}")
    for row in rows:
        cells = ["/".join(f"{row[f'{kind}_{encoding}']:,}" for encoding in ("identity", "gzip", "br"))
                 for kind in ("html", "css", "js")]
        print(f"{row['page']:<34} " + " ".join(f"{cell:>22}" for cell in cells))


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise BenchError("wrk is missing: apt-get install -y wrk")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    log_path = RESULTS / f"load-{stamp}-gunicorn.log"
    load_at_start = os.getloadavg()[0]
    print(f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{args.duration}s after {args.warmup}s warm-up, "
          f"gunicorn -w {GUNICORN_WORKERS}, {os.cpu_count()} CPUs, {args.rounds} round(s), page cache in "
          f"{args.redis_url or 'each process'}; server log: {log_path}", flush=True)
    if load_at_start > BUSY_LOAD:
        print(f"WARNING: load average {load_at_start:.1f} before starting: other processes are "
              "competing for the CPUs, so these figures will be low and noisy.", flush=True)

    weight = page_weight(args, log_path)
    rounds = []
    for number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"-- round {number} of {args.rounds}", flush=True)
        rounds.append(measure_round(args, log_path, number))

    # Each row is judged by its median ratio over the rounds, each ratio against its own round's
    # baseline: a machine whose speed wanders (a shared VM) moves both together.
    hello = sorted((one["hello"] for one in rounds), key=lambda figures: figures["rps"])[(len(rounds) - 1) // 2]
    rows = []
    for index in range(len(rounds[0]["pages"])):
        row = median_row([one["pages"][index] for one in rounds])
        rows.append({**row, "ratios": [one["pages"][index]["ratio"] for one in rounds],
                     "passed": row["ratio"] >= row["target"]})
    calibration = {backend: median_row([one["reference"][backend] for one in rounds])
                   for backend in rounds[0]["reference"]}
    print()
    print_table(hello, rows, calibration)
    if args.rounds > 1:
        print("\nEach round's ratios, row by row:")
        for row in rows:
            print(f"  {row['backend']:<10} {row['mode']:<16} {row['page']:<34} " + "  ".join(f"{r:.2f}" for r in row["ratios"]))
    print_weight(weight)
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
        "page_cache": args.redis_url or "in-process",
        "rounds": rounds, "median_pages": rows, "median_reference": calibration, "page_weight": weight,
        "passed": passed,
    }, indent=2) + "\n")
    print(f"\n{'Every row met its target.' if passed else 'TARGET MISSED: see the FAIL rows.'} "
          f"Results: {json_path}")
    return 0 if passed else 1


if __name__ == "__main__":
    run_bench(main)
