"""SQL statements and database round trips of one web page, counted, and the in-process time per page.

Run: ``python benchmarks/web_round_trips.py --postgres postgresql+psycopg://postgres@127.0.0.1/test``
(loads the demo into a fresh schema, dropped afterwards) or ``--database-url URL`` (a registry that already
holds the demo; ``--sqlite FILE`` for a SQLite file). Pages, as the web benchmark asks them
(``benchmarks/bench_web.py``): the ledger of 惠安堡镇 filtered by status ``paid`` (pages 1–20) and a household
page of that township (any; paid; not paid; with a ticket), all as its clerk.

What is counted, per request, after :data:`WARM_UP` requests of the same page (the caches keyed on the audit
chain then hold what the page keeps and psycopg has prepared the statements, as on a running server):

* statements: every ``cursor.execute`` SQLAlchemy issues (``before_cursor_execute``), with its parameters;
* round trips (PostgreSQL only): the times the client spoke after the server had answered, counted by a TCP
  relay between the app and PostgreSQL — a statement, a ``BEGIN``, a ``COMMIT`` or ``ROLLBACK`` each cost one,
  whatever the driver does (psycopg's implicit ``BEGIN`` included).

Then ``--requests`` requests per page (default 200) through FastAPI's TestClient straight to the database
(no relay), one at a time: the median and the 95th percentile of the time per request, in process (no
network, no concurrency: it measures the work of a page, not the server's throughput).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import socket
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url

from cleanheat.config import Settings
from cleanheat.registry import db
from cleanheat.registry.models import AppUser, Household, Payment, Ticket, Township, Village

TOWN = "惠安堡镇"
CLERK = "trips_clerk"
WARM_UP = 8
"""Requests of a page before the one counted."""
PASSWORD = "trips-password-not-secret"  # noqa: S105 - a throw-away user of a throw-away schema


# ----------------------------------------------------------------------------------------------- counting


@dataclass
class Counts:
    """What one request cost the database."""

    statements: list[tuple[str, int]] = field(default_factory=list)
    trips: int = 0

    def reset(self) -> None:
        self.statements.clear()
        self.trips = 0


COUNTS = Counts()


@event.listens_for(Engine, "before_cursor_execute")
def _statement(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    n = len(parameters) if isinstance(parameters, dict | list | tuple) else 0
    COUNTS.statements.append((" ".join(statement.split()), n))


class Relay:
    """A TCP relay from a local port to ``host:port`` that counts round trips: each time a client speaks after
    the server has (or first), one trip."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            turn = {"last": "server"}
            threading.Thread(target=self._pump, args=(client, server, turn, "client"), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, turn, "server"), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, turn: dict[str, str], side: str) -> None:
        try:
            while data := src.recv(65536):
                with self.lock:
                    if side == "client" and turn["last"] == "server":
                        COUNTS.trips += 1
                    turn["last"] = side
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.sock.close()


# ----------------------------------------------------------------------------------------------- the registry


def prepare(url: str) -> None:
    """Load the demo into an empty registry at ``url``."""
    from cleanheat.registry.services.demo import load_demo

    engine = db.open_database(url, create=True)
    try:
        t0 = time.perf_counter()
        with db.session_scope(engine) as session:
            load_demo(session=session, seed=0)
        print(f"demo loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    finally:
        engine.dispose()


def household_ids(url: str) -> dict[str, list[str]]:
    """The township's households: all, paid, not paid, with a ticket; and its clerk (added once)."""
    from cleanheat.registry.services import users

    engine = db.open_database(url)
    try:
        with db.session_scope(engine) as session:
            if session.execute(select(AppUser.id).where(AppUser.name == CLERK)).first() is None:
                users.add_user(session=session, name=CLERK, role="clerk", township=TOWN, password=PASSWORD,
                               actor="bench")
            town = (select(Household.household_id).join(Village, Village.id == Household.village_id)
                    .join(Township, Township.id == Village.township_id).where(Township.name == TOWN)
                    .order_by(Household.household_id))
            paid = select(Payment.household_id)
            return {"all": list(session.execute(town).scalars()),
                    "paid": list(session.execute(town.where(Household.id.in_(paid))).scalars()),
                    "unpaid": list(session.execute(town.where(Household.id.not_in(paid))).scalars()),
                    "ticket": list(session.execute(town.where(Household.id.in_(select(Ticket.household_id))))
                                   .scalars())}
    finally:
        engine.dispose()


@contextlib.contextmanager
def signed_in(url: str) -> Iterator[Any]:
    """A TestClient on the app over ``url``, signed in as the township's clerk."""
    from fastapi.testclient import TestClient

    from cleanheat.web import create_app

    app = create_app(Settings(database_url=url))  # type: ignore[arg-type]
    with TestClient(app, base_url="http://testserver") as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        r = client.post("/login", data={"username": CLERK, "password": PASSWORD, "csrf_token": token, "next": "/"},
                        follow_redirects=False)
        assert r.status_code == 303, r.status_code
        yield client


def pages(ids: dict[str, list[str]], rng: random.Random) -> dict[str, Any]:
    return {"ledger (filtered)": lambda: f"/households?township={TOWN}&status=paid&page={rng.randint(1, 20)}",
            "household": lambda: f"/households/{rng.choice(ids['all'])}",
            "household (paid)": lambda: f"/households/{rng.choice(ids['paid'])}",
            "household (unpaid)": lambda: f"/households/{rng.choice(ids['unpaid'])}",
            "household (ticket)": lambda: f"/households/{rng.choice(ids['ticket'])}"}


def count(url: str, ids: dict[str, list[str]], *, relay: Relay | None,
          verbose: bool) -> list[tuple[str, int, int | None]]:
    """(page, statements, round trips) of one request of each page, after a warm-up request."""
    rng = random.Random(1)
    out = []
    with signed_in(url) as client:
        for name, path_of in pages(ids, rng).items():
            path = path_of()
            for _ in range(WARM_UP):  # the caches keyed on the audit chain hold what the page keeps, psycopg
                client.get(path)      # has prepared its statements (the 5th run of one costs a trip more)
            COUNTS.reset()
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code)
            time.sleep(0.05)  # the relay's threads have counted the last answer
            out.append((name, len(COUNTS.statements), COUNTS.trips if relay else None))
            if verbose:
                print(f"\n{name} {path}: {len(COUNTS.statements)} statements, {COUNTS.trips} round trips")
                for sql, n in COUNTS.statements:
                    print(f"  [{n:3d} params] {sql[:160]}")
    return out


def timing(url: str, ids: dict[str, list[str]], requests: int) -> dict[str, tuple[float, float]]:
    """Median and 95th percentile time per request [ms] of each page, ``requests`` requests one at a time."""
    rng = random.Random(2)
    out = {}
    with signed_in(url) as client:
        for name, path_of in pages(ids, rng).items():
            client.get(path_of())
            times = []
            for _ in range(requests):
                path = path_of()
                t0 = time.perf_counter()
                r = client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (path, r.status_code)
            times.sort()
            out[name] = (statistics.median(times), times[int(0.95 * (len(times) - 1))])
    return out


def relayed(url: str, relay: Relay) -> str:
    return make_url(url).set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--postgres", help="PostgreSQL server URL: the demo is loaded into a new schema, dropped after")
    ap.add_argument("--database-url", help="a registry that already holds the demo")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--verbose", "-v", action="store_true", help="print every statement")
    args = ap.parse_args()
    schema = None
    if args.postgres:
        schema = f"trips_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in args.postgres else "?"
        url = f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
        prepare(url)
    elif args.database_url:
        url = args.database_url
    else:
        ap.error("give --postgres or --database-url")
    try:
        ids = household_ids(url)
        parsed = make_url(url)
        relay = Relay(parsed.host or "127.0.0.1", parsed.port or 5432) if parsed.get_backend_name() == "postgresql" \
            else None
        counted = count(relayed(url, relay) if relay else url, ids, relay=relay, verbose=args.verbose)
        times = timing(url, ids, args.requests)
        print(f"\n{'page':<20} {'statements':>10} {'round trips':>11} {'median ms':>9} {'p95 ms':>7}")
        for name, n, trips in counted:
            med, p95 = times[name]
            print(f"{name:<20} {n:>10} {trips if trips is not None else '—':>11} {med:>9.1f} {p95:>7.1f}")
        if relay:
            relay.close()
    finally:
        if schema:
            admin = create_engine(args.postgres)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
