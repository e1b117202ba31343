"""Benchmark the web application under load: 20 signed-in clients for 30 s on loopback. Prints a table.

Run: ``python benchmarks/bench_web.py`` (SQLite), ``--postgres URL`` (or ``CLEANHEAT_TEST_POSTGRES_URL``)
adds the same run on PostgreSQL in a fresh schema dropped afterwards. ``--seconds`` and ``--clients``
change the load; ``--workers`` the server's processes.

What is measured
----------------
The full demo programme (27,000 households) is loaded into a fresh database and served by
``cleanheat serve`` in its own process: uvicorn with its default workers (one per core, at most 4)
unless ``--workers``. Each page kind is measured on its own, after one request per path (the steady
state, not a process's first request, which compiles templates and reads parameter files):

* ``dashboard``: ``/`` as a county officer;
* ``ledger (filtered)``: ``/households`` of 惠安堡镇 filtered by status ``paid``, pages 1–20, as that
  township's clerk;
* ``household``: ``/households/<id>`` of 200 households of 惠安堡镇, as its clerk;
* ``healthz``: ``/healthz``, the framework's floor (no database), the baseline of the same run.

Driver ``wrk`` (default when installed): ``--clients`` keep-alive connections of wrk (C, two threads
on the same machine), each requesting without pause for ``--seconds``; latency percentiles are wrk's.
Driver ``httpx``: ``--clients`` asyncio clients in this process, half officers half clerks, all page
kinds in turn (the client then takes a core of its own). Latency is from sending a request to reading
the whole body; requests/s is the count over the measured window. Goal: p95 < 150 ms for the three
pages (the issue's bar is 300 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

import httpx2 as httpx  # the dev dependency (what starlette's TestClient uses too)
from sqlalchemy import create_engine, select, text

from cleanheat.registry import db
from cleanheat.registry.models import Household, Township, Village
from cleanheat.registry.services import users
from cleanheat.registry.services.demo import load_demo

GOAL_P95_S = 0.150
PASSWORD = "bench-password-not-secret"
PAGES = ("dashboard", "ledger (filtered)", "household", "healthz")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(url: str) -> dict[str, list[str]]:
    """Load the demo and the bench users into ``url``; returns household ids per township."""
    engine = db.open_database(url, create=True)
    try:
        t0 = time.perf_counter()
        with db.session_scope(engine) as session:
            load_demo(session=session, seed=0)
        print(f"  demo loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        with db.session_scope(engine) as session:
            ids: dict[str, list[str]] = defaultdict(list)
            rows = session.execute(select(Household.household_id, Township.name)
                                   .join(Village, Village.id == Household.village_id)
                                   .join(Township, Township.id == Village.township_id)).all()
            for code, town in rows:
                ids[town].append(code)
            users.add_user(session=session, name="bench_officer", role="officer", password=PASSWORD, actor="bench")
            users.add_user(session=session, name="bench_clerk", role="clerk", township="惠安堡镇",
                           password=PASSWORD, actor="bench")
    finally:
        engine.dispose()
    return dict(ids)


class Server:
    """``cleanheat serve`` in a subprocess on a free loopback port."""

    def __init__(self, url: str, workers: int | None) -> None:
        self.port = free_port()
        env = {**os.environ, "CLEANHEAT_DATABASE_URL": url}
        self.log = tempfile.TemporaryFile()  # the server's messages (a pipe nobody reads could fill and stop it)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cleanheat", "serve", "--no-demo", "--no-progress", "--port", str(self.port),
             *(["--workers", str(workers)] if workers else [])], env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"server exited: {self.log.read().decode(errors='replace')}")
        raise RuntimeError("server did not answer /healthz within 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


async def sign_in(client: httpx.AsyncClient, name: str) -> None:
    page = await client.get("/login")
    token = CSRF.search(page.text)
    assert token, "no CSRF field on /login"
    r = await client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1),
                                          "next": "/"})
    if r.status_code != 303:
        raise RuntimeError(f"login of {name} failed: {r.status_code}")


async def client_loop(base: str, name: str, ids: list[str], town: str, until: float, start: float,
                      samples: dict[str, list[float]], errors: dict[str, int], rng: random.Random) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False) as client:
        await sign_in(client, name)
        while (now := time.perf_counter()) < until:
            for page in PAGES:
                if page == "dashboard":
                    path = "/"
                elif page == "ledger (filtered)":
                    path = f"/households?township={town}&status=paid&page={rng.randint(1, 20)}"
                elif page == "household":
                    path = f"/households/{rng.choice(ids)}"
                else:
                    path = "/healthz"
                t0 = time.perf_counter()
                r = await client.get(path)
                dt_s = time.perf_counter() - t0
                if t0 >= start:
                    samples[page].append(dt_s)
                    if r.status_code != 200:
                        errors[page] += 1
            if now >= until:
                break


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def load(base: str, ids: dict[str, list[str]], clients: int, seconds: float, warmup_s: float
               ) -> tuple[dict[str, list[float]], dict[str, int], float]:
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    begin = time.perf_counter()
    start = begin + warmup_s
    until = start + seconds
    everyone = [code for codes in ids.values() for code in codes]
    tasks = []
    for k in range(clients):
        if k % 2:  # a clerk of 惠安堡镇: the own township only
            name, town, pool = "bench_clerk", "惠安堡镇", ids["惠安堡镇"]
        else:
            name, town, pool = "bench_officer", "花马池镇", everyone
        tasks.append(client_loop(base, name, pool, town, until, start, samples, errors, random.Random(k)))
    await asyncio.gather(*tasks)
    return samples, errors, seconds


WRK_SCRIPT = """
paths = {%s}
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.duration / 1e6))
end
"""


def session_cookie(base: str, name: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        token = CSRF.search(client.get("/login").text)
        assert token
        r = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token.group(1)})
        assert r.status_code == 303, r.status_code
        return str(client.cookies["cleanheat_session"])


def wrk_page(base: str, cookie: str, paths: list[str], args: argparse.Namespace, tmp: Path) -> list[str]:
    """One page kind under ``--clients`` wrk connections for ``--seconds``: requests, non-2xx, p50/p95/p99 ms, req/s."""
    from urllib.parse import quote

    script = tmp / f"{uuid.uuid4().hex[:6]}.lua"
    script.write_text(WRK_SCRIPT % ", ".join(f'"{quote(p, safe="/?=&")}"' for p in paths))
    out = subprocess.run(["wrk", f"-t{min(2, args.clients)}", f"-c{args.clients}", f"-d{int(args.seconds)}s",
                          "--timeout", "10s", "-s", str(script), "-H", f"Cookie: cleanheat_session={cookie}", base],
                         capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    n, errors, p50, p95, p99, dur = line.split()[1:]
    return [n, f"{int(n) / float(dur):.1f}", f"{float(p50):.1f}", f"{float(p95):.1f}", f"{float(p99):.1f}", errors]


def warm_up(base: str, cookie: str, paths: list[str]) -> None:
    """Each path once, in turn, before it is measured: the steady state is measured, not the first
    request of a process (templates compiled, parameter files read, figures computed)."""
    with httpx.Client(base_url=base, cookies={"cleanheat_session": cookie}, timeout=60) as client:
        for path in paths:
            client.get(path)


def run_wrk(kind: str, url: str, args: argparse.Namespace) -> list[list[str]]:
    """Each page alone under ``--clients`` connections of wrk (C, on the other core): the server's own figure."""
    print(f"{kind}: preparing {url.split('?')[0]}", file=sys.stderr)
    ids = prepare(url)
    server = Server(url, args.workers)
    rng = random.Random(0)
    rows = []
    try:
        officer, clerk = session_cookie(server.base, "bench_officer"), session_cookie(server.base, "bench_clerk")
        pages = {
            "dashboard": (officer, ["/"]),
            "ledger (filtered)": (clerk, [f"/households?township=惠安堡镇&status=paid&page={k}" for k in range(1, 21)]),
            "household": (clerk, [f"/households/{h}" for h in rng.sample(ids["惠安堡镇"], 200)]),
            "healthz": (officer, ["/healthz"]),
        }
        with tempfile.TemporaryDirectory() as tmp:
            for page, (cookie, paths) in pages.items():
                warm_up(server.base, cookie, paths)
                n, rps, p50, p95, p99, errors = wrk_page(server.base, cookie, paths, args, Path(tmp))
                verdict = "" if page == "healthz" else ("ok" if float(p95) < GOAL_P95_S * 1e3 else "MISSED")
                rows.append([kind, page, n, rps, p50, p95, p99, errors, verdict])
    finally:
        server.stop()
    return rows


def run(kind: str, url: str, args: argparse.Namespace) -> list[list[str]]:
    if args.driver == "wrk":
        return run_wrk(kind, url, args)
    print(f"{kind}: preparing {url.split('?')[0]}", file=sys.stderr)
    ids = prepare(url)
    server = Server(url, args.workers)
    try:
        samples, errors, window = asyncio.run(load(server.base, ids, args.clients, args.seconds, args.warmup))
    finally:
        server.stop()
    rows = []
    for page in PAGES:
        xs = samples[page]
        p95 = percentile(xs, 95)
        verdict = "" if page == "healthz" else ("ok" if p95 < GOAL_P95_S else "MISSED")
        rows.append([kind, page, f"{len(xs)}", f"{len(xs) / window:.1f}", f"{percentile(xs, 50) * 1e3:.1f}",
                     f"{p95 * 1e3:.1f}", f"{percentile(xs, 99) * 1e3:.1f}", f"{errors[page]}", verdict])
    total = sum(len(samples[p]) for p in PAGES)
    rows.append([kind, "all", f"{total}", f"{total / window:.1f}", "", "", "", f"{sum(errors.values())}", ""])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    ap.add_argument("--workers", type=int, default=None,
                    help="server processes (default: as `cleanheat serve`, one per core, at most 4)")
    ap.add_argument("--postgres", default=os.environ.get("CLEANHEAT_TEST_POSTGRES_URL"))
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--driver", choices=("wrk", "httpx"), default="wrk" if shutil.which("wrk") else "httpx",
                    help="wrk (each page alone, C client; default when installed) or httpx (all pages mixed, "
                         "asyncio clients in this process)")
    args = ap.parse_args()
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            rows += run("sqlite", f"sqlite:///{Path(tmp) / 'web.sqlite3'}", args)
        if args.postgres:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(args.postgres)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.postgres else "?"
            try:
                rows += run("postgresql", f"{args.postgres}{sep}options=-csearch_path%3D{schema}", args)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    head = ["backend", "page", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-200", "p95<150ms"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    from cleanheat.cli.serve import default_workers

    print(f"{args.clients} clients, {args.seconds:.0f} s, {args.workers or default_workers()} worker(s), "
          f"{os.environ.get('CLEANHEAT_WEB_THREADS', 4)} threads each, driver {args.driver}")
    for r in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(c.rjust(w) if i >= 2 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))


if __name__ == "__main__":
    main()
