"""Results kept for one state of the registry, keyed on its audit chain: never stale, never recomputed twice.

Every change of programme data (an import, an installation, an acceptance, a payment, a merge, a
report filed, …) appends an entry to the audit chain in the same transaction, so the newest entry
names the state of the data: a result computed in a transaction that read entry *n* as the newest is
valid for as long as *n* stays the newest. :class:`ChainCache` keeps such results, least recently used
dropped. Its key is, by default, :func:`data_key`: the database, and the sequence number and hash of
the newest entry that is not an account event (:data:`ACCOUNT_EVENTS`: sign-ins, sign-outs, users
added, disabled or given a new password change no figure; without that, every sign-in of a busy
office would throw the results away). The hash makes the key name one registry even where two
databases share a URL (two in-memory test databases, a file restored from a backup).

The dashboard keeps its figures and rendered sections here (:mod:`cleanheat.web.dashboard`), the
ledger the households a filter matches in page order (:mod:`cleanheat.registry.services.ledger_view`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.registry.models import AuditEvent, AuditHead

__all__ = ["ACCOUNT_EVENTS", "ChainCache", "chain_seq", "data_key", "data_key_columns", "figures_seq",
           "seed_data_key"]

T = TypeVar("T")

ACCOUNT_EVENTS = ("session.revoke", "user.add", "user.disable", "user.enable", "user.login", "user.set_password",
                  "user.set_role")
"""Audit actions of :mod:`cleanheat.registry.services.users` (accounts and sessions): they change no
programme figure, so :func:`figures_seq` and :func:`data_key` pass over them."""
_AUDIT_TYPE_PREFIX = "cn.cleanheat."
"""An audit entry's ``type`` is this prefix and its action (:func:`cleanheat.registry.audit.record_many`)."""
_ACCOUNT_TYPES = [_AUDIT_TYPE_PREFIX + a for a in ACCOUNT_EVENTS]


def _database(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def chain_seq(*, session: Session) -> int:
    """The sequence number of the audit chain's head (0 for a registry without entries)."""
    seq = session.execute(select(AuditHead.seq).where(AuditHead.id == 1)).scalar_one_or_none()
    return int(seq or 0)


def _newest(column: Any) -> Any:
    return (select(column).where(AuditEvent.type.not_in(_ACCOUNT_TYPES)).order_by(AuditEvent.seq.desc()).limit(1)
            .scalar_subquery())


def _newest_data_entry(session: Session) -> tuple[int, str] | None:
    row = session.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.type.not_in(_ACCOUNT_TYPES))
                          .order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (int(row[0]), str(row[1])) if row else None


def data_key_columns() -> tuple[Any, Any]:
    """The newest data entry's ``seq`` and ``hash`` (:func:`data_key`) as two scalar subqueries, to be read
    with another statement that runs first anyway — the web's signed-in user look-up — and handed to the
    request's read-only session with :func:`seed_data_key`: a page then spends no round trip on it."""
    return _newest(AuditEvent.seq), _newest(AuditEvent.hash)


def seed_data_key(session: Session, hint: Callable[[], tuple[int | None, str | None] | None]) -> None:
    """Give a read-only session where to find the data key read before its first query
    (:func:`data_key_columns`): ``hint()`` returns (``seq``, ``hash``), or ``None`` when it was not read
    (then :func:`data_key` reads it).

    The key is then no newer than anything the session reads — what :class:`ChainCache` needs: a
    result is stored under a state no newer than its data, so after any change it is computed again.
    A writing session is left alone (it reads the key after its own changes).
    """
    if session.info.get("read_only"):
        session.info["data_key_hint"] = hint


def figures_seq(*, session: Session) -> int:
    """The sequence number of the newest audit entry that is not an account event (0 for none).

    One index read backwards from the head (sign-ins since the last change are the only entries
    passed over).
    """
    newest = _newest_data_entry(session)
    return newest[0] if newest else 0


def data_key(*, session: Session) -> tuple[str, int, str]:
    """The database and the newest audit entry that is not an account event (``seq``, ``hash``; ``0, ""``
    for none): what :class:`ChainCache` keys on unless told otherwise.

    A read-only session (:func:`cleanheat.registry.db.session_scope` with ``read_only``) reads it once
    and keeps it for its transaction (or takes the one read before it, :func:`seed_data_key`); a writing
    one reads it every time, so what it computes after its own changes is stored under its own new entry
    (which a rollback leaves to no one).
    """
    if session.info.get("read_only") and "data_key" in session.info:
        return cast(tuple[str, int, str], session.info["data_key"])
    hint = session.info.get("data_key_hint") if session.info.get("read_only") else None
    seeded = hint() if hint is not None else None
    seq, digest = ((int(seeded[0] or 0), str(seeded[1] or "")) if seeded is not None
                   else _newest_data_entry(session) or (0, ""))
    key = _database(session), seq, digest
    if session.info.get("read_only"):
        session.info["data_key"] = key
    return key


class ChainCache:
    """Results computed once per state of the registry: keyed on the audit chain and a caller's key.

    :meth:`get` reads the state (``seq_of``, by default :func:`data_key`) in the caller's read
    transaction *before* anything is computed, so results are stored under a state no newer than the
    data they were computed from: after any change they are computed again. At most ``size`` results
    are kept (least recently used dropped). Thread-safe: one computation per key at a time, so twenty
    clients arriving together after a payment compute the figures once, while a long computation of
    one key does not hold up the others (a computation may itself ask the cache for what it needs).
    """

    def __init__(self, size: int = 64, seq_of: Callable[..., Hashable] = data_key) -> None:
        self.size = size
        self.seq_of = seq_of
        self._items: OrderedDict[tuple[Hashable, Hashable], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple[Hashable, Hashable], threading.RLock] = {}
        self.hits = 0
        self.misses = 0

    def _cached(self, full: tuple[Hashable, Hashable]) -> tuple[bool, Any]:
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                self.hits += 1
                return True, self._items[full]
            return False, None

    def get(self, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of ``compute()`` for ``key`` in the registry's current state."""
        full = (self.seq_of(session=session), key)
        found, value = self._cached(full)
        if found:
            return cast(T, value)
        with self._lock:
            gate = self._computing.setdefault(full, threading.RLock())
        with gate:  # who comes second waits for the first one's result instead of computing it again
            found, value = self._cached(full)
            if found:
                return cast(T, value)
            try:
                value = compute()
                with self._lock:
                    self.misses += 1
                    self._items[full] = value
                    while len(self._items) > self.size:
                        self._items.popitem(last=False)
            finally:
                with self._lock:
                    self._computing.pop(full, None)
            return cast(T, value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
