"""The data service under load: 三库 lookups (one body by code, as of a date) from 50 concurrent clients.

    uv run python benchmarks/run_service_benchmark.py [--home DIR] [--clients 50] [--requests 40] [--no-docs]

Over a built home (`--home`: its published copy; without it a small province, 20 units × 30 days, is
built once into /tmp/zfjd-service-benchmark). The published copy is copied into a scratch home with its
own tokens, and `zfjd serve` runs it on loopback in a subprocess (uvicorn, as deployed). Each client is
a thread with its own keep-alive httpx connection asking `GET /v1/entities/{code}?as_of=…` for random
bodies: half with the province's token, half with a city's (the scope subquery is part of the cost).

Baselines in the same run: the same lookup as a plain function call on one cursor in this process (no
HTTP, no concurrency: the query's own cost), and one HTTP client alone (the service's floor without
contention). Figures go to the `<!-- service-benchmark -->` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import httpx  # noqa: E402

from zfjd import cycle, publish, warehouse  # noqa: E402
from zfjd.home import Home  # noqa: E402
from zfjd.service import queries, tokens  # noqa: E402
from zfjd.service.published import PublishedCopy  # noqa: E402

WORK = Path("/tmp/zfjd-service-benchmark")
SPEC = cycle.ProvinceSpec(units=20, days=30, seed=11, start="2025-01-01")
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- service-benchmark -->", "<!-- /service-benchmark -->"


def built_home() -> Home:
    home = Home.at(WORK / "home")
    if not home.published.exists():
        cycle.prepare_province(home, SPEC)
        cycle.land_reference(home, as_of=SPEC.last_day)
        cycle.intake_and_validate(home, cycle.discover_units(home), as_of=SPEC.last_day)
        result = warehouse.build(home, as_of=SPEC.last_day)
        if not result.success:
            raise SystemExit("\n".join(result.failures))
        publish.publish(home, as_of=SPEC.last_day)
    return home


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def load(url: str, lookups: list[tuple[str, str]], clients: int, per_client: int, as_of: str) -> dict:
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def client(seed: int) -> None:
        pick = random.Random(seed)
        mine, bad = [], []
        with httpx.Client(base_url=url, timeout=30) as session:
            start.wait()
            for _ in range(per_client):
                code, token = pick.choice(lookups)
                began = time.perf_counter()
                answer = session.get(
                    f"/v1/entities/{code}", params={"as_of": as_of}, headers={"Authorization": f"Bearer {token}"}
                )
                mine.append(time.perf_counter() - began)
                if answer.status_code != 200:
                    bad.append(answer.status_code)
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return {
        "clients": clients,
        "requests": len(latencies),
        "p50": percentile(latencies, 0.50) * 1000,
        "p95": percentile(latencies, 0.95) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "rps": len(latencies) / wall,
        "failed": len(failures),
    }


def direct(home: Home, scopes: list[tuple[str, tokens.Scope]], as_of: dt.date, repeat: int) -> dict:
    copy = PublishedCopy(home.published)
    times = []
    pick = random.Random(3)
    for _ in range(repeat):
        code, scope = pick.choice(scopes)
        cursor, _ = copy.cursor()
        began = time.perf_counter()
        found = queries.reference_lookup(cursor, scope, "entities", code, as_of=as_of)
        times.append(time.perf_counter() - began)
        cursor.close()
        assert found, code
    return {"p50": percentile(times, 0.5) * 1000, "p95": percentile(times, 0.95) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, help="a built home (its published copy is read); default: build one")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="requests per client")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    source = Home.at(args.home) if args.home else built_home()
    with tempfile.TemporaryDirectory(prefix="zfjd-service-bench-") as scratch:
        home = Home.at(scratch)
        home.published.parent.mkdir(parents=True)
        shutil.copyfile(source.published, home.published)
        with duckdb.connect(str(home.published), read_only=True) as con:
            bodies = con.execute(
                "select entity_id, city_code, reporting_unit_id from marts.dim_enforcement_entity where is_current"
            ).fetchall()
            as_of = con.execute("select as_of from main.zfjd_publication").fetchone()[0] or dt.date.today()
        province = tokens.issue(home, "11440000MB0000004Q", province=True)[1]
        city_tokens: dict[str, tuple[str, tokens.Scope]] = {}
        for _, city, unit in bodies:
            if city and city not in city_tokens:
                record, token = tokens.issue(home, unit, city=city)
                city_tokens[city] = (token, record.scope)
        lookups = [(body, province) for body, _, _ in bodies]
        lookups += [(body, city_tokens[city][0]) for body, city, _ in bodies if city]
        scopes = [(body, tokens.Scope("", province=True)) for body, _, _ in bodies]
        scopes += [(body, city_tokens[city][1]) for body, city, _ in bodies if city]
        baseline = direct(home, scopes, as_of, 2000)

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "zfjd.cli", "serve", "--home", str(home.root), "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/openapi.json", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise SystemExit("zfjd serve did not start: " + (server.stderr.read() if server.stderr else ""))
            load(url, lookups, 4, 50, as_of.isoformat())  # warm-up
            single = load(url, lookups, 1, 400, as_of.isoformat())
            loaded = load(url, lookups, args.clients, args.requests, as_of.isoformat())
        finally:
            server.terminate()  # SIGTERM: uvicorn shuts down as on Ctrl-C
            server.wait(timeout=30)
    report(source, len(bodies), as_of, baseline, single, loaded, args)


def report(source: Home, bodies: int, as_of, baseline: dict, single: dict, loaded: dict, args) -> None:
    table = "\n".join(
        [
            "| run | requests | p50 (ms) | p95 (ms) | p99 (ms) | requests/s | failed |",
            "|---|---:|---:|---:|---:|---:|---:|",
            f"| baseline: the lookup as a function call (no HTTP) | 2,000 | {baseline['p50']:.2f} | "
            f"{baseline['p95']:.2f} | – | – | 0 |",
            *(
                f"| HTTP, {run['clients']} client{'s' if run['clients'] > 1 else ''} | {run['requests']:,} | "
                f"{run['p50']:.1f} | {run['p95']:.1f} | {run['p99']:.1f} | {run['rps']:,.0f} | {run['failed']} |"
                for run in (single, loaded)
            ),
        ]
    )
    print(table)
    verdict = "meets" if loaded["p95"] < 50 and not loaded["failed"] else "misses"
    summary = f"**p95 at {loaded['clients']} concurrent clients: {loaded['p95']:.1f} ms ({verdict} the 50 ms target).**"
    print(summary)
    if args.no_docs:
        return
    load_average = os.getloadavg()[0]
    section = (
        f"{BEGIN}\n## Data service: 三库 lookups under concurrent load\n\n"
        f"Measured {dt.date.today().isoformat()} with `uv run python benchmarks/run_service_benchmark.py"
        f"{' --home ' + str(source.root) if args.home else ''} --clients {args.clients} --requests {args.requests}`."
        f"\n\n- machine: {os.cpu_count()} CPUs, Linux {platform.release()}, Python {platform.python_version()}; "
        f"load average when it ended: {load_average:.2f} (other work on the machine shares the 2 cores)\n"
        f"- data: the published copy of a simulated province ({bodies} 执法主体); lookups "
        f"`GET /v1/entities/{{code}}?as_of={as_of}` for random bodies, half with the province's token, half with "
        "a city's\n- server: `zfjd serve` (uvicorn, one process) on loopback; clients: threads with keep-alive httpx "
        "connections in a second process, so client and server share the 2 cores\n\n"
        f"{table}\n\n{summary}\n{END}"
    )
    text = DOCS.read_text(encoding="utf-8")
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
