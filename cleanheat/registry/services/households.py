"""Households of the ledger (台账): lookup, search, duplicate detection and audited merge."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from cleanheat import normalise
from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry import audit
from cleanheat.registry.models import DuplicateReview, Household, Installation, Payment, Township, Village

__all__ = [
    "DuplicatePair",
    "FUZZY_THRESHOLD",
    "HouseholdIn",
    "find_duplicates",
    "get_household",
    "mark_distinct",
    "merge",
    "normalise_phone",
    "search",
    "upsert_many",
]

FUZZY_THRESHOLD = 90.0
"""rapidfuzz ``ratio`` (0–100) that both the names and the addresses of two households of one village must
reach (with the same house numbers) for them to be suspected to be one household."""
_ADDRESS_PREFIXES = ("宁夏回族自治区", "吴忠市", "盐池县")


def _squash(text: str) -> str:
    return re.sub(r"[\s·．.]", "", text or "")


def _address_key(address: str) -> str:
    a = _squash(address)
    for prefix in _ADDRESS_PREFIXES:
        a = a.removeprefix(prefix)
    return a


def normalise_phone(phone: str) -> str:
    """ASCII digits only, without a +86/0086 country prefix: ``+86 136-3088-9253`` and
    ``１３６３０８８９２５３`` (full-width) → ``13630889253`` (:func:`cleanheat.normalise.phone_digits`)."""
    return normalise.phone_digits(phone)


def get_household(*, session: Session, household_id: str) -> Household:
    """The household with ledger id ``household_id``."""
    h = session.execute(select(Household).where(Household.household_id == household_id)).scalar_one_or_none()
    if h is None:
        raise NotFound(f"no household {household_id!r}")
    return h


def search(*, session: Session, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Households whose ledger id, identity number or phone is ``query``, or whose name starts with it.

    The query is normalised as the import normalises values (NFKC: full-width ``１３９…`` and
    ``ＹＣ－２０２２－…`` find ``139…`` and ``YC-2022-…``)."""
    q = normalise.text(query)
    if not q:
        raise InputError("empty search", field="query")
    ident = normalise.identifier(q)
    stmt = (
        select(Household, Village.name, Township.name)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .where(
            or_(
                Household.household_id.in_(sorted({q, ident})),
                Household.id_number == ident.upper(),
                Household.phone_normalised == (normalise_phone(q) or "-"),
                Household.name.startswith(q),
            )
        )
        .order_by(Household.household_id)
        .limit(limit)
    )
    return [
        {"household_id": h.household_id, "name": h.name, "id_number": h.id_number, "phone": h.phone,
         "township": town, "village": vil, "address": h.address}
        for h, vil, town in session.execute(stmt)
    ]


@dataclass(frozen=True)
class DuplicatePair:
    """Two household records suspected to be one household."""

    a: str
    b: str
    reason: str  # id_number | phone | fuzzy_name_address
    score: float


def _reviewed_pairs(session: Session) -> set[tuple[int, int]]:
    rows = session.execute(select(DuplicateReview.household_a_id, DuplicateReview.household_b_id))
    return {(min(a, b), max(a, b)) for a, b in rows}


def find_duplicates(
    *, session: Session, among: Iterable[int] | None = None, fuzzy: bool = True
) -> list[DuplicatePair]:
    """Suspected duplicates: same identity number, same normalised phone, or a fuzzy match of name +
    address within a village (both ≥ :data:`FUZZY_THRESHOLD`, same house numbers).

    Pairs a clerk already reviewed and merged-away records are left out. With ``among`` (household
    primary keys), only pairs with at least one member in it are returned.
    """
    from rapidfuzz import fuzz, process

    rows = session.execute(
        select(Household.id, Household.household_id, Household.id_number, Household.phone_normalised,
               Household.village_id, Household.name, Household.address).where(Household.merged_into_id.is_(None))
    ).all()
    focus = set(among) if among is not None else None
    code = {r.id: r.household_id for r in rows}
    reviewed = _reviewed_pairs(session)
    found: dict[tuple[int, int], DuplicatePair] = {}

    def add(i: int, j: int, reason: str, score: float) -> None:
        key = (min(i, j), max(i, j))
        if i == j or key in reviewed or key in found:
            return
        if focus is not None and i not in focus and j not in focus:
            return
        found[key] = DuplicatePair(code[key[0]], code[key[1]], reason, score)

    for attr, reason in (("id_number", "id_number"), ("phone_normalised", "phone")):
        groups: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            value = getattr(r, attr)
            if value:
                groups[value].append(r.id)
        for ids in groups.values():
            if len(ids) > 1:
                for k in range(1, len(ids)):
                    add(ids[0], ids[k], reason, 100.0)
    if fuzzy:
        by_village: dict[int, list[Any]] = defaultdict(list)
        for r in rows:
            by_village[r.village_id].append(r)
        for members in by_village.values():
            if len(members) < 2:
                continue
            probes = members if focus is None else [m for m in members if m.id in focus]
            if not probes:
                continue
            names = [_squash(m.name) for m in members]
            probe_names = [_squash(m.name) for m in probes]
            scores = process.cdist(probe_names, names, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, workers=1)
            ii, jj = scores.nonzero()
            for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
                a, b = probes[i], members[j]
                if a.id == b.id:
                    continue
                addr_a, addr_b = _address_key(a.address), _address_key(b.address)
                if re.findall(r"\d+", addr_a) != re.findall(r"\d+", addr_b):
                    continue
                addr = fuzz.ratio(addr_a, addr_b)
                if addr >= FUZZY_THRESHOLD:
                    add(a.id, b.id, "fuzzy_name_address", min(float(scores[i, j]), addr))
    return sorted(found.values(), key=lambda p: (p.a, p.b))


def _pair(session: Session, a: str, b: str) -> tuple[Household, Household]:
    ha = get_household(session=session, household_id=a)
    hb = get_household(session=session, household_id=b)
    if ha.id == hb.id:
        raise InputError(f"{a} and {b} are the same record", field="household_id")
    return ha, hb


def mark_distinct(*, session: Session, a: str, b: str, actor: str, why: str) -> None:
    """Record a clerk's decision that ``a`` and ``b`` are different households (audited)."""
    ha, hb = _pair(session, a, b)
    session.add(DuplicateReview(household_a_id=min(ha.id, hb.id), household_b_id=max(ha.id, hb.id),
                                decision="distinct", actor=actor, why=why))
    audit.record(session, actor=actor, action="household.duplicate.distinct", resource=f"household/{a}",
                 why=why, data={"other": b})


def merge(*, session: Session, keep: str, drop: str, actor: str, why: str) -> Household:
    """Merge the duplicate record ``drop`` into ``keep`` (audited): ``drop``'s installations move to
    ``keep``; ``drop`` stays as a tombstone pointing at ``keep``.

    Raises
    ------
    Conflict
        If ``drop`` has been paid, or both records hold an installation.
    """
    hk, hd = _pair(session, keep, drop)
    if hd.merged_into_id is not None:
        raise Conflict(f"household {drop} was already merged")
    if session.execute(select(Payment.id).where(Payment.household_id == hd.id)).first():
        raise Conflict(f"household {drop} has been paid; keep {drop} and merge {keep} into it instead")
    n_keep = session.execute(select(func.count()).where(Installation.household_id == hk.id,
                                                        Installation.void.is_(False))).scalar_one()
    n_drop = session.execute(select(func.count()).where(Installation.household_id == hd.id,
                                                        Installation.void.is_(False))).scalar_one()
    if n_keep and n_drop:
        raise Conflict(f"both {keep} and {drop} hold an installation; void one of them before merging")
    session.execute(update(Installation).where(Installation.household_id == hd.id).values(household_id=hk.id))
    hd.merged_into_id = hk.id
    session.add(DuplicateReview(household_a_id=min(hk.id, hd.id), household_b_id=max(hk.id, hd.id),
                                decision="merged", actor=actor, why=why))
    audit.record(session, actor=actor, action="household.merged", resource=f"household/{drop}", why=why,
                 data={"into": keep, "installations_moved": int(n_drop)})
    session.flush()
    return hk


@dataclass(frozen=True)
class HouseholdIn:
    """A household of the ledger, as imported or typed by a township clerk."""

    household_id: str
    name: str
    id_number: str
    phone: str
    township: str
    village: str
    address: str
    heated_area_m2: float
    dwelling: str
    previously_subsidised: bool = False
    programme_year: int | None = None


_COMPARED = ("name", "id_number", "phone", "address", "heated_area_m2", "dwelling", "previously_subsidised",
             "programme_year")


def upsert_many(*, session: Session, items: list[HouseholdIn], actor: str, why: str = "",
                audit_each: bool = True) -> dict[str, Any]:
    """Create households, or update those whose ``household_id`` exists (re-import never duplicates).

    Returns ``{"created": n, "updated": n, "unchanged": n, "ids": {household_id: pk}}``.
    """
    from cleanheat.registry.services.places import township_ids, village_id

    towns = township_ids(session=session)
    vcache: dict[tuple[str, str], int] = {}
    codes = [it.household_id for it in items]
    existing: dict[str, Household] = {}
    for start in range(0, len(codes), 5000):
        for h in session.execute(select(Household).where(Household.household_id.in_(codes[start:start + 5000]))
                                 ).scalars():
            existing[h.household_id] = h
    created = updated = unchanged = 0
    events: list[audit.AuditRecord] = []
    new_rows: list[dict[str, Any]] = []
    for it in items:
        vid = village_id(session=session, township=it.township, village=it.village, cache=vcache, towns=towns)
        values = {"name": it.name, "id_number": it.id_number.upper(), "phone": it.phone,
                  "phone_normalised": normalise_phone(it.phone), "village_id": vid, "address": it.address,
                  "heated_area_m2": float(it.heated_area_m2), "dwelling": it.dwelling,
                  "previously_subsidised": bool(it.previously_subsidised), "programme_year": it.programme_year}
        found = existing.get(it.household_id)
        if found is None:
            new_rows.append({"household_id": it.household_id, **values})
            created += 1
            events.append(audit.AuditRecord(actor=actor, action="household.created",
                                            resource=f"household/{it.household_id}", why=why))
            continue
        changed = {k: v for k, v in values.items() if getattr(found, k) != v}
        if not changed:
            unchanged += 1
            continue
        for k, v in changed.items():
            setattr(found, k, v)
        updated += 1
        events.append(audit.AuditRecord(actor=actor, action="household.updated",
                                        resource=f"household/{it.household_id}", why=why,
                                        data={"changed": sorted(changed)}))
    ids = {h.household_id: h.id for h in existing.values()}
    for start in range(0, len(new_rows), 5000):
        res = session.execute(insert(Household).returning(Household.id, Household.household_id,
                                                          sort_by_parameter_order=True), new_rows[start:start + 5000])
        for pk, code in res:
            ids[code] = pk
    session.flush()
    if audit_each and events:
        audit.record_many(session, events)
    return {"created": created, "updated": updated, "unchanged": unchanged, "ids": ids}
