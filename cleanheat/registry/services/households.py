"""Households of the ledger (台账): lookup, search, duplicate detection and audited merge."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from cleanheat import normalise
from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry import audit
from cleanheat.registry.models import DuplicateReview, Household, Installation, Payment, Township, Village

__all__ = [
    "DECISION_FIELDS",
    "FIELDS",
    "PROTECTED_FIELDS",
    "Change",
    "DuplicatePair",
    "FUZZY_THRESHOLD",
    "HouseholdIn",
    "HouseholdState",
    "amend",
    "audit_changes",
    "create_many",
    "diff",
    "find_duplicates",
    "get_household",
    "mark_distinct",
    "merge",
    "normalise_phone",
    "search",
    "states",
    "update_many",
    "upsert_many",
    "values_of",
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


def _house_numbers(address: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\d+", _address_key(address)))


def _indel_bound_allows(la: int, lb: int) -> bool:
    """Whether two different names of lengths ``la`` and ``lb`` can reach :data:`FUZZY_THRESHOLD`.

    rapidfuzz's ``ratio`` is ``100 · (1 − indel / (la + lb))``; two different strings are at least
    ``|la − lb|`` insertions and deletions apart, and two different strings of one length at least 2.
    """
    least = abs(la - lb) if la != lb else 2
    return least * 100 <= (100 - FUZZY_THRESHOLD) * (la + lb) + 1e-9


_DIRECT_PAIRS = 250_000
"""Up to this many (probe, member) name pairs a village is compared at once; a larger one is first split by
house numbers."""


def _similar_names(probe_names: list[str], names: list[str]) -> Iterable[tuple[int, int, float]]:
    """(probe index, member index, ratio) of the name pairs with ``ratio`` ≥ :data:`FUZZY_THRESHOLD`.

    The same pairs as one ``process.cdist`` over the whole block, without comparing names that cannot
    match: equal names are paired by hashing, different ones only between lengths that can reach the
    threshold (for names of two to four characters, none), so a village of thousands stays fast.
    """
    from rapidfuzz import fuzz, process

    if len(probe_names) * len(names) <= _DIRECT_PAIRS:
        scores = process.cdist(probe_names, names, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, workers=1)
        ii, jj = scores.nonzero()
        for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
            yield i, j, float(scores[i, j])
        return
    where: dict[str, list[int]] = defaultdict(list)
    for j, n in enumerate(names):
        where[n].append(j)
    probes_of: dict[str, list[int]] = defaultdict(list)
    for i, n in enumerate(probe_names):
        probes_of[n].append(i)
    for n, ii_ in probes_of.items():
        for i in ii_:
            for j in where.get(n, ()):
                yield i, j, 100.0
    by_len: dict[int, list[str]] = defaultdict(list)
    for n in where:
        by_len[len(n)].append(n)
    probe_by_len: dict[int, list[str]] = defaultdict(list)
    for n in probes_of:
        probe_by_len[len(n)].append(n)
    for la, pnames in probe_by_len.items():
        for lb, mnames in by_len.items():
            if not _indel_bound_allows(la, lb):
                continue
            scores = process.cdist(pnames, mnames, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD, workers=1)
            ii, jj = scores.nonzero()
            for pi, mj in zip(ii.tolist(), jj.tolist(), strict=True):
                if pnames[pi] == mnames[mj]:
                    continue  # paired above
                for i in probes_of[pnames[pi]]:
                    for j in where[mnames[mj]]:
                        yield i, j, float(scores[pi, mj])


def find_duplicates(
    *, session: Session, among: Iterable[int] | None = None, fuzzy: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> list[DuplicatePair]:
    """Suspected duplicates: same identity number, same normalised phone, or a fuzzy match of name +
    address within a village (both ≥ :data:`FUZZY_THRESHOLD`, same house numbers).

    Pairs a clerk already reviewed and merged-away records are left out. With ``among`` (household
    primary keys), only pairs with at least one member in it are returned. The fuzzy search compares
    the names within a village (a large village split first by house numbers, which the rule asks to be
    equal) by :func:`_similar_names`. ``progress(done, total)`` is called as the villages are searched.
    """
    from rapidfuzz import fuzz

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
        total = len(by_village)
        step = max(1, total // 100)
        numbers: dict[int, tuple[str, ...]] = {}

        def numbers_of(m: Any) -> tuple[str, ...]:
            if m.id not in numbers:
                numbers[m.id] = _house_numbers(m.address)
            return numbers[m.id]

        for done, members in enumerate(by_village.values(), start=1):
            if progress is not None and (done % step == 0 or done == total):
                progress(done, total)
            probes = members if focus is None else [m for m in members if m.id in focus]
            if len(members) < 2 or not probes:
                continue
            if len(probes) * len(members) <= _DIRECT_PAIRS:
                blocks = [(probes, members)]
            else:  # a large village: only households with the same house numbers can match
                sub: dict[tuple[str, ...], list[Any]] = defaultdict(list)
                for m in members:
                    sub[numbers_of(m)].append(m)
                blocks = [(b if focus is None else [m for m in b if m.id in focus], b) for b in sub.values()]
            for block_probes, block in blocks:
                if len(block) < 2 or not block_probes:
                    continue
                names = [_squash(m.name) for m in block]
                probe_names = names if block_probes is block else [_squash(m.name) for m in block_probes]
                for i, j, name_score in _similar_names(probe_names, names):
                    x, y = block_probes[i], block[j]
                    if x.id == y.id or numbers_of(x) != numbers_of(y):
                        continue
                    addr = fuzz.ratio(_address_key(x.address), _address_key(y.address))
                    if addr >= FUZZY_THRESHOLD:
                        add(x.id, y.id, "fuzzy_name_address", min(name_score, addr))
    elif progress is not None:
        progress(1, 1)
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


FIELDS = ("name", "id_number", "phone", "township", "village", "address", "heated_area_m2", "dwelling",
          "previously_subsidised", "programme_year")
"""A household's own fields, as a ledger row or an amendment names them (the village by township and name)."""
DECISION_FIELDS = ("township", "heated_area_m2", "dwelling", "previously_subsidised")
"""Household fields the subsidy decision reads (盐政办发〔2022〕8号 六(二)): a change re-decides."""
PROTECTED_FIELDS = ("township", "village", "heated_area_m2")
"""Fields a re-import never changes once the household holds an accepted or paid installation: an
inspected (验收) or paid household moves or shrinks only by an audited :func:`amend`."""

Change = dict[str, tuple[Any, Any]]
"""Changed fields: ``{field: (old, new)}``."""


@dataclass(frozen=True)
class HouseholdState:
    """A household as stored, with its village and township by name."""

    pk: int
    household_id: str
    name: str
    id_number: str
    phone: str
    township: str
    village: str
    address: str
    heated_area_m2: float
    dwelling: str
    previously_subsidised: bool
    programme_year: int | None
    merged_into_id: int | None


def states(*, session: Session, household_ids: Sequence[str]) -> dict[str, HouseholdState]:
    """The stored households among ``household_ids`` (ledger ids), by ledger id."""
    out: dict[str, HouseholdState] = {}
    codes = list(dict.fromkeys(household_ids))
    for start in range(0, len(codes), 5000):
        stmt = (
            select(Household.id, Household.household_id, Household.name, Household.id_number, Household.phone,
                   Township.name, Village.name, Household.address, Household.heated_area_m2, Household.dwelling,
                   Household.previously_subsidised, Household.programme_year, Household.merged_into_id)
            .join(Village, Household.village_id == Village.id)
            .join(Township, Village.township_id == Township.id)
            .where(Household.household_id.in_(codes[start:start + 5000]))
        )
        for pk, code, name, idn, phone, town, village, address, area, dwelling, prev, year, merged in session.execute(
                stmt):
            out[code] = HouseholdState(pk, code, name, idn, phone, town, village, address, float(area), dwelling,
                                       bool(prev), year, merged)
    return out


def values_of(item: HouseholdIn) -> dict[str, Any]:
    """The stored form of ``item``'s fields (:data:`FIELDS`)."""
    return {"name": item.name, "id_number": item.id_number.upper(), "phone": item.phone, "township": item.township,
            "village": item.village, "address": item.address, "heated_area_m2": float(item.heated_area_m2),
            "dwelling": item.dwelling, "previously_subsidised": bool(item.previously_subsidised),
            "programme_year": item.programme_year}


def diff(state: HouseholdState, values: Mapping[str, Any]) -> Change:
    """Fields of ``values`` that differ from ``state``: ``{field: (old, new)}``."""
    return {k: (getattr(state, k), v) for k, v in values.items() if getattr(state, k) != v}


def audit_changes(change: Mapping[str, tuple[Any, Any]]) -> dict[str, dict[str, Any]]:
    """``{field: {"old": …, "new": …}}`` for the audit log (dates as ISO text)."""
    def plain(v: Any) -> Any:
        return v.isoformat() if isinstance(v, dt.date) else v

    return {k: {"old": plain(old), "new": plain(new)} for k, (old, new) in sorted(change.items())}


def create_many(*, session: Session, items: Sequence[HouseholdIn], actor: str, why: str = "",
                audit_each: bool = True) -> dict[str, int]:
    """Insert new households (their villages created on first use); returns ``{household_id: pk}``."""
    from cleanheat.registry.services.installations import insert_returning_ids
    from cleanheat.registry.services.places import township_ids, village_id

    towns = township_ids(session=session)
    vcache: dict[tuple[str, str], int] = {}
    rows = []
    for it in items:
        v = values_of(it)
        vid = village_id(session=session, township=v.pop("township"), village=v.pop("village"), cache=vcache,
                         towns=towns)
        rows.append({"household_id": it.household_id, "village_id": vid, "phone_normalised": normalise_phone(it.phone),
                     **v})
    pks = insert_returning_ids(session, Household, rows)
    if audit_each and items:
        audit.record_many(session, [audit.AuditRecord(actor=actor, action="household.created",
                                                      resource=f"household/{it.household_id}", why=why)
                                    for it in items])
    return {it.household_id: pk for it, pk in zip(items, pks, strict=True)}


def update_many(*, session: Session, updates: Sequence[tuple[HouseholdState, Change]], actor: str, why: str = "",
                action: str = "household.updated", audit_each: bool = True) -> None:
    """Write changed fields of stored households, each audited with old and new values.

    No safety check here: :func:`amend` and the ledger import decide what may change.
    """
    from cleanheat.registry.services.places import township_ids, village_id

    if not updates:
        return
    session.flush()
    towns = township_ids(session=session)
    vcache: dict[tuple[str, str], int] = {}
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for st, change in updates:
        row: dict[str, Any] = {k: new for k, (_old, new) in change.items() if k not in ("township", "village")}
        if "township" in change or "village" in change:
            row["village_id"] = village_id(session=session, township=change.get("township", (None, st.township))[1],
                                           village=change.get("village", (None, st.village))[1], cache=vcache,
                                           towns=towns)
        if "phone" in row:
            row["phone_normalised"] = normalise_phone(row["phone"])
        by_keys[tuple(sorted(row))].append({"pk": st.pk, **row})
    for keys, rows in by_keys.items():
        stmt = update(Household).where(Household.id == bindparam("pk")).values({k: bindparam(k) for k in keys})
        for start in range(0, len(rows), 5000):
            session.connection().execute(stmt, rows[start:start + 5000])
    session.expire_all()  # ORM objects loaded before see the new values
    if audit_each:
        audit.record_many(session, [
            audit.AuditRecord(actor=actor, action=action, resource=f"household/{st.household_id}", why=why,
                              data={"changes": audit_changes(change)})
            for st, change in updates
        ])


def upsert_many(*, session: Session, items: list[HouseholdIn], actor: str, why: str = "",
                audit_each: bool = True) -> dict[str, Any]:
    """Create households, or update those whose ``household_id`` exists (re-import never duplicates).

    Every field is written as given (no safety check: see :func:`amend` and the ledger import); an
    update's audit entry holds the old and new value of each changed field.

    Returns ``{"created": n, "updated": n, "unchanged": n, "ids": {household_id: pk}}``.
    """
    existing = states(session=session, household_ids=[it.household_id for it in items])
    new = [it for it in items if it.household_id not in existing]
    updates = [(existing[it.household_id], diff(existing[it.household_id], values_of(it)))
               for it in items if it.household_id in existing]
    updates = [(st, ch) for st, ch in updates if ch]
    ids = {code: st.pk for code, st in existing.items()}
    ids.update(create_many(session=session, items=new, actor=actor, why=why, audit_each=audit_each))
    update_many(session=session, updates=updates, actor=actor, why=why, audit_each=audit_each)
    return {"created": len(new), "updated": len(updates), "unchanged": len(items) - len(new) - len(updates),
            "ids": ids}


def _amend_value(field: str, raw: Any) -> Any:
    """``raw`` (typed, or text from the command line) as the stored value of ``field``."""
    from cleanheat.codes import Dwelling, Technology

    text = str(raw).strip() if raw is not None else ""
    if field in ("heated_area_m2",):
        try:
            v = float(raw)
        except (TypeError, ValueError):
            raise InputError(f"not a number: {raw!r}", field=field) from None
        if not math.isfinite(v) or v <= 0:
            raise InputError(f"must be a finite number > 0, got {raw!r}", field=field)
        return v
    if field == "programme_year":
        if text == "":
            return None
        try:
            return int(text)
        except ValueError:
            raise InputError(f"not a year: {raw!r}", field=field) from None
    if field == "previously_subsidised":
        if isinstance(raw, bool):
            return raw
        low = text.lower()
        if low in ("true", "1", "yes", "y", "是"):
            return True
        if low in ("false", "0", "no", "n", "否"):
            return False
        raise InputError(f"expected 是/否 (true/false), got {raw!r}", field=field)
    if field == "dwelling":
        if text not in {d.value for d in Dwelling}:
            raise InputError(f"expected one of {', '.join(d.value for d in Dwelling)}, got {raw!r}", field=field)
        return text
    if field == "technology":
        if text not in {t.value for t in Technology}:
            raise InputError(f"unknown method {raw!r}; one of {', '.join(t.value for t in Technology)}",
                             field=field)
        return text
    if text == "" and field not in ("address",):
        raise InputError("must not be empty", field=field)
    return text.upper() if field == "id_number" else text


def amend(*, session: Session, household_id: str, changes: Mapping[str, Any], actor: str, why: str) -> Change:
    """An explicit, audited amendment of a household (and the method of its installation): the path for
    what a ledger re-import refuses once a household is accepted (验收) or paid.

    ``changes`` maps fields of :data:`FIELDS` (and ``technology``) to new values. A new township keeps the
    village name only if that village is in the new township (give ``village`` otherwise). Each changed
    field is audited (``household.amended``) with its old and new value and ``why``; the commitments of
    an unpaid installation follow the new decision.

    Raises
    ------
    InputError
        No ``why`` or ``actor``, an unknown field, a bad value, a village not in the township.
    NotFound
        No such household.
    Conflict
        A merged-away record; a change of a paid household that the paid subsidy no longer stands on
        (its method, or a value under which the rules would not pay the amount paid, e.g. a heated area
        below the minimum, 盐政办发〔2022〕8号 六(二)): that needs the payment reversed (追回) first.
    """
    from cleanheat.registry.services import installations as inst_service

    record = f"household {household_id}"
    if not why or not why.strip():
        raise InputError("say why the household is amended", record=record, field="why")
    if not actor or not actor.strip():
        raise InputError("say who amends the household", record=record, field="actor")
    allowed = (*FIELDS, "technology")
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise InputError(f"unknown field {unknown[0]!r}; one of {', '.join(allowed)}", record=record,
                         field=unknown[0])
    if not changes:
        raise InputError("nothing to amend", record=record, field="changes")
    new = {}
    for k, raw in changes.items():
        try:
            new[k] = _amend_value(k, raw)
        except InputError as exc:
            raise InputError(str(exc.args[0]) if exc.args else str(exc), record=record, field=k) from None
    found = states(session=session, household_ids=[household_id])
    if household_id not in found:
        raise NotFound(f"no household {household_id!r}")
    st = found[household_id]
    if st.merged_into_id is not None:
        raise Conflict(f"{record} was merged into another record; amend that one")
    technology = new.pop("technology", None)
    change = diff(st, new)
    if "township" in change and "village" not in change:
        vid = session.execute(select(Village.id).join(Township, Village.township_id == Township.id)
                              .where(Township.name == change["township"][1], Village.name == st.village)).scalar()
        if vid is None:
            raise InputError(f"村 {st.village} is not in 乡镇 {change['township'][1]}; give the village as well "
                             f"(village {st.village} is not in township {change['township'][1]})",
                             record=record, field="village")
    lives = inst_service.live_installations(session=session, household_pks=[st.pk]).get(st.pk, [])
    inst_change: list[tuple[inst_service.LiveInstallation, Change]] = []
    if technology is not None:
        if len(lives) != 1:
            raise Conflict(f"{record} holds {len(lives)} live installations; the method is amended on exactly one")
        if lives[0].technology != technology:
            inst_change.append((lives[0], {"technology": (lives[0].technology, technology)}))
    if not change and not inst_change:
        return {}
    paid = [li for li in lives if li.payment_id is not None]
    for li in paid:
        if inst_change and inst_change[0][0].id == li.id:
            raise Conflict(f"{record}: installation {li.id} has been paid; its method cannot change "
                           "(a paid subsidy is reversed only by an audited recovery 追回)")
        if set(change) & set(DECISION_FIELDS):
            _check_paid_decision(session, st, change, li)
    update_many(session=session, updates=[(st, change)] if change else [], actor=actor, why=why,
                action="household.amended")
    if inst_change:
        inst_service.update_many(session=session, updates=[(li, ch, household_id) for li, ch in inst_change],
                                 actor=actor, why=why, action="installation.amended")
    unpaid = [li.id for li in lives if li.payment_id is None]
    if unpaid and set(change) & set(DECISION_FIELDS):
        inst_service.recommit(session=session, installation_ids=unpaid, actor=actor, why=why)
    session.flush()
    return {**change, **{k: v for _, ch in inst_change for k, v in ch.items()}}


def _check_paid_decision(session: Session, st: HouseholdState, change: Change, paid: Any) -> None:
    """Refuse a change of a paid household under which the rules would not pay what was paid."""
    from cleanheat.policy.decide import decide_yanchi
    from cleanheat.registry.services.installations import decision_records

    ((_, _, rec),) = decision_records(session=session, installation_ids=[paid.id])
    for k, (_old, v) in change.items():
        if k in rec:
            rec[k] = float(v) if k == "heated_area_m2" else v
    (d,) = decide_yanchi([rec])
    if d["status"] != "payable" or int(d["total_cny"]) != int(paid.paid_cny):
        rules = {"heated_area_m2": "minimum_heated_area", "dwelling": "minimum_heated_area",
                 "previously_subsidised": "once_per_household"}
        touched = {rules[k] for k in change if k in rules}
        failed = "; ".join(f"{r['detail']} {r['clause']}" for r in d.get("reasons", [])
                           if r.get("rule") in touched) or d["status"]
        raise Conflict(
            f"household {st.household_id} has been paid {paid.paid_cny:,} CNY (voucher {paid.voucher_no}); with "
            f"{', '.join(f'{k}={v[1]}' for k, v in sorted(change.items()))} the rules would decide {d['status']} "
            f"{int(d['total_cny']):,} CNY ({failed}); reverse the payment (追回) before such an amendment")
