"""The household ledger as the web pages read it: a filtered, paged listing with each household's status
computed in SQL, a household's duplicate flags and tickets, the township check of an upload, and a
township's export.

The status is the one :func:`cleanheat.registry.services.household_view.household_status` gives
(paid, accepted, not payable, …), written as one SQL expression (:func:`status_expression`) so that a
page of 50 out of 27,000 households, and a filter by status, are answered by the database: the rules
engine's decision, which the status reads, is rebuilt from the dated parameters it reads (methods,
minimum area, programme window, self-install date, enterprise registration, acceptance window) as
``CASE`` expressions over the dates, so a new dated value changes the SQL as it changes the engine.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    bindparam,
    case,
    exists,
    false,
    literal,
    not_,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from cleanheat import normalise
from cleanheat.errors import InputError
from cleanheat.registry.models import (
    Acceptance,
    DuplicateReview,
    Enterprise,
    EnterpriseStatus,
    FailedInspection,
    Household,
    Installation,
    Payment,
    PaymentReversal,
    Ticket,
    TicketEvent,
    Township,
    Village,
)
from cleanheat.registry.services.chain_cache import ChainCache
from cleanheat.registry.services.enterprises import StatusBook

__all__ = [
    "LIST_STATUSES",
    "MAX_PER_PAGE",
    "LedgerFilter",
    "LedgerPage",
    "ScopeError",
    "count_households",
    "duplicate_flags",
    "export_township_xlsx",
    "failed_inspections_of",
    "filter_choices",
    "household_page",
    "household_township",
    "ledger_page",
    "out_of_township_rows",
    "status_condition",
    "status_expression",
    "status_of",
    "suspected_duplicates",
    "ticket_events_of",
    "tickets_of",
    "timeline_of",
]

MAX_PER_PAGE = 200
"""The most households one page (or one API answer) lists."""

MAX_PAGE = 10**9
"""Highest page number asked for (a page past the last is empty; a number past this is an input error,
not a 64-bit overflow in the JSON that echoes it)."""

LIST_STATUSES = ("no_installation", "pending", "failed_inspection", "accepted", "not_payable", "paid", "merged",
                 "void")
"""The status codes a household can have (:func:`household_status`; ``reversed`` is never one)."""


# --------------------------------------------------------------------------------------------
# The status in SQL
# --------------------------------------------------------------------------------------------


def _dated(name: str, on: Any, value_sql: Callable[[Any], ColumnElement[bool]]
           ) -> ColumnElement[bool]:
    """The SQL of a dated parameter on the date ``on``: ``CASE WHEN on >= start_n THEN v_n … ELSE neutral``.

    As the engine reads it (:meth:`cleanheat.parameters.Parameter.values_at`): the last value that
    started on or before the date; the neutral value (false, 0, the empty list) before the first one
    and where a value is ``null``.
    """
    from cleanheat.policy.engine import default_tree

    param = default_tree()[name]
    neutral = param.neutral()
    whens = [(on >= _const(dv.start, Date), value_sql(neutral if dv.value is None else dv.value))
             for dv in sorted(param.values, key=lambda v: v.start, reverse=True)]
    if not whens:
        return value_sql(neutral)
    return case(*whens, else_=value_sql(neutral))


def _const(value: Any, type_: Any = None) -> ColumnElement[Any]:
    """A constant of the status expression (a parameter's date or value, an enterprise id, a status code),
    written into the SQL when the statement runs instead of bound: a ledger page's statement then binds
    its 50 keys and two ``LIMIT`` s (52 parameters; 147 before, 0.9 ms instead of 1.1 ms on PostgreSQL), and
    its text is the same from one page to the next, so psycopg prepares it."""
    return literal(value, type_, literal_execute=True)


def _flag(value: Any) -> ColumnElement[bool]:
    return true() if value else false()


_HOUSEHOLD = Household.__table__
_PAYMENT = Payment.__table__
_REVERSAL = PaymentReversal.__table__

History = tuple[tuple[int, dt.date, int, str], ...]
"""The enterprises' status history: (enterprise id, effective on, row id, status), sorted."""


_CACHE = ChainCache(size=128)
"""What the ledger computes once per state of the registry (:mod:`~cleanheat.registry.services.chain_cache`):
the enterprises' status history, the households each filter matches in page order, the filter form's
choices. At most 128 results; the largest, a county-wide list of households, is 27,000 integers."""
_VILLAGES = ChainCache(size=256)
"""The fuzzy duplicate rule's keys per village (:func:`_village_keys`; the county has 77 villages)."""


def _history(session: Session) -> History:
    return _CACHE.get(session, "history", lambda: tuple(sorted(
        (int(e), on, int(r), str(s)) for e, on, r, s in session.execute(
            select(EnterpriseStatus.enterprise_id, EnterpriseStatus.effective_on, EnterpriseStatus.id,
                   EnterpriseStatus.status)))))


def _status_book(session: Session) -> StatusBook:
    """The enterprises' status history as a :class:`~cleanheat.registry.services.enterprises.StatusBook`,
    kept per state of the registry (a household page asks it for its installation's enterprise)."""
    return _CACHE.get(session, "book", lambda: StatusBook(list(_history(session))))


def _registered_sql(inst: Any, history: History) -> ColumnElement[bool]:
    """Whether the enterprise of ``inst`` was registered on its install date, as the status book says
    (:meth:`cleanheat.registry.services.enterprises.StatusBook.registered_on`: the last change on or
    before the date), written out as date spans per enterprise (a few dozen rows) instead of a
    correlated look-up per installation."""
    per: dict[int, dict[dt.date, str]] = defaultdict(dict)
    for eid, on, _rid, state in history:  # sorted: of several changes on one day the last one holds
        per[eid][on] = state
    whens: dict[int, ColumnElement[bool]] = {}
    for eid, last in per.items():
        days = sorted(last)
        spans = []
        for k, day in enumerate(days):
            if last[day] == "registered":
                cond = inst.c.installed_on >= _const(day, Date)
                if k + 1 < len(days):
                    cond = and_(cond, inst.c.installed_on < _const(days[k + 1], Date))
                spans.append(cond)
        if spans:
            whens[eid] = or_(*spans)
    if not whens:
        return false()
    return case(*[(_const(eid), cond) for eid, cond in whens.items()], value=inst.c.enterprise_id, else_=false())


def _eligible_sql(inst: Any, history: History) -> ColumnElement[bool]:
    """The engine's ``eligible`` (acceptance aside) for installation ``inst`` of the household of the
    outer query (:mod:`cleanheat.policy.rules.yanchi`: clean method, minimum area, programme window,
    first subsidy, installer), with the parameters read on the dates the rules read them."""
    from cleanheat.policy.engine import default_tree

    opened, _ = default_tree()["yanchi.programme.open"].true_span()
    on = inst.c.installed_on
    assessed: ColumnElement[Any] = on if opened is None else case(
        (on < _const(opened, Date), _const(opened, Date)), else_=on)
    installer_ok = case(
        (inst.c.self_install.is_(True), _dated("yanchi.self_install.eligible", on, _flag)),
        else_=or_(_registered_sql(inst, history), not_(_dated("yanchi.enterprise.registration_required", on, _flag))))
    return and_(
        _dated("yanchi.eligibility.technologies", assessed,
               lambda v: inst.c.technology.in_([_const(t) for t in sorted(v)]) if v else false()),
        _dated("yanchi.eligibility.min_heated_area_m2", assessed,
               lambda v: _HOUSEHOLD.c.heated_area_m2 >= _const(float(v))),
        _dated("yanchi.programme.open", on, _flag),
        _HOUSEHOLD.c.previously_subsidised.is_not(True),
        installer_ok,
    )


def _paid_sql() -> ColumnElement[bool]:
    """The household holds a standing payment (one not reversed, 追回)."""
    return exists().where(_PAYMENT.c.household_id == _HOUSEHOLD.c.id,
                          _PAYMENT.c.id.not_in(select(_REVERSAL.c.payment_id)))


@functools.lru_cache(maxsize=16)
def _unpaid_status(history: History) -> ColumnElement[str]:
    """The status of a household that is neither merged nor paid (the later cases of ``household_status``).

    Built once per enterprise history (the rest is the package's parameters): building this tree of
    SQL costs more than the database takes to evaluate it for a township.
    """
    inst = Installation.__table__.alias("st_installation")
    acc = Acceptance.__table__.alias("st_acceptance")
    live = and_(inst.c.household_id == _HOUSEHOLD.c.id, inst.c.void.is_(False))
    any_inst = exists().where(inst.c.household_id == _HOUSEHOLD.c.id)
    any_live = exists().where(live)
    accepted_ok = exists(select(inst.c.id).join(acc, acc.c.installation_id == inst.c.id)
                         .where(live, acc.c.heating_effect_reached.is_not(False)))
    fi = FailedInspection.__table__.alias("st_failed_inspection")
    any_accepted = exists(select(inst.c.id).join(acc, acc.c.installation_id == inst.c.id).where(live))
    any_failed = exists(select(inst.c.id).join(fi, fi.c.installation_id == inst.c.id).where(live))
    eligible = _eligible_sql(inst, history)
    # the installation household_view decides on: the first accepted live one (by date, then id), else the latest
    chosen_payable = (select(and_(eligible, _dated("yanchi.acceptance.open", acc.c.accepted_on, _flag)))
                      .select_from(inst).join(acc, acc.c.installation_id == inst.c.id).where(live)
                      .order_by(acc.c.accepted_on, inst.c.id).limit(1).scalar_subquery())
    latest_eligible = (select(eligible).select_from(inst).where(live).order_by(inst.c.id.desc()).limit(1)
                       .scalar_subquery())
    return case(
        (not_(any_inst), _const("no_installation")),
        (not_(any_live), _const("void")),
        (accepted_ok, case((chosen_payable.is_(True), _const("accepted")), else_=_const("not_payable"))),
        (or_(any_accepted, any_failed), _const("failed_inspection")),
        (latest_eligible.is_not(True), _const("not_payable")),
        else_=_const("pending"),
    )


def status_expression(*, session: Session) -> ColumnElement[str]:
    """The status code of the household of the query (the ``household`` table) as one SQL expression.

    The same cases in the same order as :func:`~cleanheat.registry.services.household_view.household_status`
    over :func:`~cleanheat.registry.services.household_view.household_view`'s inputs: merged; paid (a
    standing payment); no installation; none live (void); a live accepted installation whose heating
    effect was not found lacking — accepted if the engine would pay the first accepted one (by date),
    else not payable; accepted but failed, or a failed inspection recorded (验收不合格: failed
    inspection); the latest live installation ineligible
    even once accepted (not payable); else pending. ``session`` reads the enterprises' status history
    (the registration the installer rule asks about).
    """
    return _status_sql(_history(session))


@functools.lru_cache(maxsize=16)
def _status_sql(history: History) -> ColumnElement[str]:
    return case(
        (_HOUSEHOLD.c.merged_into_id.is_not(None), _const("merged")),
        (_paid_sql(), _const("paid")),
        else_=_unpaid_status(history),
    )


def status_condition(status: str, *, session: Session) -> ColumnElement[bool]:
    """``status_expression(...) == status``, written so that the database rejects most households with its
    cheapest test (merged, paid) before it evaluates the rules for the rest.

    Raises
    ------
    InputError
        An unknown status code.
    """
    if status not in LIST_STATUSES:
        raise InputError(f"unknown status {status!r}; one of {', '.join(LIST_STATUSES)}", field="status")
    merged = _HOUSEHOLD.c.merged_into_id
    if status == "merged":
        return merged.is_not(None)
    if status == "paid":
        return and_(merged.is_(None), _paid_sql())
    return and_(merged.is_(None), not_(_paid_sql()), _unpaid_status(_history(session)) == status)


def status_of(*, session: Session, household_pks: Iterable[int]) -> dict[int, str]:
    """The status code of each household (primary keys), from :func:`status_expression`."""
    out: dict[int, str] = {}
    pks = sorted(set(household_pks))
    expr = status_expression(session=session)
    for start in range(0, len(pks), 5000):
        chunk = pks[start:start + 5000]
        out.update({pk: st for pk, st in session.execute(select(Household.id, expr).where(Household.id.in_(chunk)))})
    return out


# --------------------------------------------------------------------------------------------
# The listing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerFilter:
    """What a ledger page asks for. Empty fields do not filter.

    ``query`` finds a household by ledger id (whole, or its beginning), identity number, phone (as the
    import normalises them: full-width digits, ``+86``), the beginning of the name or of the village's
    name. ``township`` and ``village`` are names, ``enterprise`` an enterprise code, ``method`` a method
    code (of a live installation), ``year`` the programme year, ``status`` a code of
    :data:`LIST_STATUSES`.
    """

    query: str = ""
    township: str | None = None
    village: str | None = None
    status: str | None = None
    method: str | None = None
    enterprise: str | None = None
    year: int | None = None

    def __post_init__(self) -> None:
        if self.status and self.status not in LIST_STATUSES:
            raise InputError(f"unknown status {self.status!r}; one of {', '.join(LIST_STATUSES)}", field="status")


@dataclass
class LedgerPage:
    """One page of the listing: ``items`` (households as dicts), the ``total`` matching and the paging."""

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, math.ceil(self.total / self.per_page))

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "page": self.page, "per_page": self.per_page, "pages": self.pages,
                "items": self.items}


def _conditions(session: Session, f: LedgerFilter, scope: str | None) -> tuple[list[ColumnElement[bool]], bool]:
    """(WHERE conditions, whether they need the village and township joined)."""
    from cleanheat.registry.services.households import normalise_phone

    conds: list[ColumnElement[bool]] = []
    places = False
    for town in (scope, f.township):
        if town:
            conds.append(Township.name == town)
            places = True
    if f.village:
        conds.append(Village.name == f.village)
        places = True
    if f.year is not None:
        conds.append(Household.programme_year == f.year)
    if f.method or f.enterprise:  # households with a live installation of that method / by that enterprise
        live = select(Installation.household_id).where(Installation.void.is_(False))
        if f.method:
            live = live.where(Installation.technology == f.method)
        if f.enterprise:
            live = live.where(Installation.enterprise_id == select(Enterprise.id)
                              .where(Enterprise.code == f.enterprise).scalar_subquery())
        conds.append(Household.id.in_(live))
    q = normalise.text(f.query or "")
    if q:
        ident = normalise.identifier(q)
        phone = normalise_phone(q)
        keys: list[ColumnElement[bool]] = [
            Household.household_id.in_(sorted({q, ident, ident.upper()})),
            Household.household_id.startswith(ident.upper(), autoescape=True),
            Household.id_number == ident.upper(),
            Household.name.startswith(q, autoescape=True),
            Village.name.startswith(q, autoescape=True),
        ]
        if phone:
            keys.append(Household.phone_normalised == phone)
        conds.append(or_(*keys))
        places = True
    if f.status:
        conds.append(status_condition(f.status, session=session))
    return conds, places


def _base(session: Session, columns: Any, f: LedgerFilter, scope: str | None) -> Any:
    conds, places = _conditions(session, f, scope)
    stmt = select(columns).select_from(Household)
    if places:
        stmt = stmt.join(Village, Household.village_id == Village.id).join(Township, Village.township_id == Township.id)
    return stmt.where(*conds)


def _matching(session: Session, filters: LedgerFilter, township: str | None) -> array[int]:
    """The primary keys of the households matching ``filters`` (within ``township``), in ledger-id order.

    Kept per state of the registry (:data:`_CACHE`): the query reads every household of the filter (the
    township's 5,600, the county's 27,000, and with a status filter the rules for each), while a page
    is 50 of them; paging, the next page and the total are then a slice and a length.
    """
    def compute() -> array[int]:
        stmt = _base(session, Household.id, filters, township).order_by(Household.household_id)
        return array("q", session.execute(stmt).scalars())

    return _CACHE.get(session, ("matching", filters, township), compute)


def count_households(*, session: Session, filters: LedgerFilter, township: str | None = None) -> int:
    """How many households match ``filters`` (within ``township``, a clerk's scope, if given)."""
    return len(_matching(session, filters, township))


def ledger_page(*, session: Session, filters: LedgerFilter, page: int = 1, per_page: int = 50,
                township: str | None = None) -> LedgerPage:
    """One page of the households matching ``filters``, by ledger id, with the total that match.

    ``township`` restricts everything to one township (a clerk's scope). Each item: ``household_id``,
    ``name``, ``id_number``, ``phone``, ``township``, ``village``, ``programme_year``, ``status`` and
    ``installations`` (``installation_id``, ``method``, ``enterprise``, ``installed_on``, ``accepted_on``,
    ``void``). A page past the last is empty. The households a filter matches are found once per state
    of the registry (:func:`_matching`); a page then reads its own 50 rows, their status and their
    installations (one query).

    Raises
    ------
    InputError
        ``page`` outside 1–:data:`MAX_PAGE` or ``per_page`` outside 1–:data:`MAX_PER_PAGE`.
    """
    if not 1 <= page <= MAX_PAGE:
        raise InputError(f"page must be 1–{MAX_PAGE:,}, got {page}", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InputError(f"per_page must be 1–{MAX_PER_PAGE}, got {per_page}", field="per_page")
    keys = _matching(session, filters, township)
    start = (page - 1) * per_page
    pks = keys[start:start + per_page].tolist() if start < len(keys) else []
    return LedgerPage(items=_items(session, pks), total=len(keys), page=page, per_page=per_page)


_PAGE_INSTALLATION = Installation.__table__.alias("page_installation")
_PAGE_ACCEPTANCE = Acceptance.__table__.alias("page_acceptance")
_PAGE_ENTERPRISE = Enterprise.__table__.alias("page_enterprise")


@functools.lru_cache(maxsize=16)
def _rows_statement(history: History) -> Any:
    """The page's households with their status and their installations (a row per installation, one row
    with none for a household without), for the primary keys bound as ``pks``: one statement, one round
    trip (built once per enterprise history: building it is dearer than running it for 50 rows). The
    status expression's constants are written into the SQL (:func:`_const`), so the parameters are the
    page's households (and two ``LIMIT`` s). The installations are aliased, so that the status expression's own look-ups
    are not correlated to them."""
    inst, acc, ent = _PAGE_INSTALLATION, _PAGE_ACCEPTANCE, _PAGE_ENTERPRISE
    return (select(Household.id, Household.household_id, Household.name, Household.id_number, Household.phone,
                   Township.name, Village.name, Household.programme_year, _status_sql(history),
                   inst.c.id, inst.c.technology, ent.c.code, inst.c.installed_on, acc.c.accepted_on, inst.c.void)
            .join(Village, Household.village_id == Village.id).join(Township, Village.township_id == Township.id)
            .outerjoin(inst, inst.c.household_id == Household.id)
            .outerjoin(ent, inst.c.enterprise_id == ent.c.id)
            .outerjoin(acc, acc.c.installation_id == inst.c.id)
            .where(Household.id.in_(bindparam("pks", expanding=True))).order_by(Household.id, inst.c.id))


def _items(session: Session, pks: list[int]) -> list[dict[str, Any]]:
    if not pks:
        return []
    heads: dict[int, tuple[Any, ...]] = {}
    installs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in session.execute(_rows_statement(_history(session)), {"pks": pks}):
        pk = row[0]
        heads.setdefault(pk, tuple(row[1:9]))
        iid, tech, code, inst_on, acc_on, void = row[9:]
        if iid is not None:
            installs[pk].append({"installation_id": iid, "method": tech, "enterprise": code,
                                 "installed_on": inst_on.isoformat(),
                                 "accepted_on": acc_on.isoformat() if acc_on else None, "void": bool(void)})
    out = []
    for pk in pks:
        code, name, idn, phone, town, village, year, status = heads[pk]
        out.append({"household_id": code, "name": name, "id_number": idn, "phone": phone, "township": town,
                    "village": village, "programme_year": year, "status": status, "installations": installs[pk]})
    return out


def filter_choices(*, session: Session, township: str | None = None) -> dict[str, Any]:
    """What the filter form offers: ``townships``, ``villages`` (by township), ``enterprises`` (code, name),
    ``years``, ``methods`` and ``statuses`` (codes). With ``township``, only that township's villages."""
    choices = _CACHE.get(session, ("choices", township), lambda: _filter_choices(session, township))
    return {k: dict(v) if isinstance(v, dict) else list(v) for k, v in choices.items()}


def _filter_choices(session: Session, township: str | None) -> dict[str, Any]:
    from cleanheat.codes import TECHNOLOGIES
    from cleanheat.registry.services.places import programme_years

    stmt = select(Township.name, Village.name).join(Village, Village.township_id == Township.id)
    if township:
        stmt = stmt.where(Township.name == township)
    villages: dict[str, list[str]] = defaultdict(list)
    for town, village in session.execute(stmt.order_by(Township.id, Village.name)):
        villages[town].append(village)
    towns = [t for t in session.execute(select(Township.name).order_by(Township.id)).scalars()
             if not township or t == township]
    return {"townships": towns, "villages": dict(villages),
            "enterprises": [(c, n) for c, n in session.execute(select(Enterprise.code, Enterprise.name)
                                                                .order_by(Enterprise.code))],
            "years": list(programme_years()), "methods": [str(t) for t in TECHNOLOGIES],
            "statuses": list(LIST_STATUSES)}


def household_township(*, session: Session, household_id: str) -> str | None:
    """The township of a household by ledger id (``None``: no such household)."""
    return session.execute(
        select(Township.name).select_from(Household).join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id).where(Household.household_id == household_id)
    ).scalar_one_or_none()


# --------------------------------------------------------------------------------------------
# One household: tickets and duplicate flags
# --------------------------------------------------------------------------------------------


def tickets_of(*, session: Session, household_id: str) -> list[dict[str, Any]]:
    """The after-sales tickets and complaints of a household, oldest first (kind, category, stage, times)."""
    return _tickets(session, Ticket.household_id == select(Household.id)
                    .where(Household.household_id == household_id).scalar_subquery())


TIMELINE_STAGES = ("assigned", "responded", "resolved")
"""The stage changes of a ticket a household's timeline shows beside its opening and closing."""


def ticket_events_of(*, session: Session, ticket_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The stage changes of tickets (``ticket_id``, ``stage``, ``at``, ``actor``, ``note``), oldest first; no
    query for no tickets."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return []
    rows = session.execute(select(TicketEvent.ticket_id, TicketEvent.stage, TicketEvent.at, TicketEvent.actor,
                                  TicketEvent.note).where(TicketEvent.ticket_id.in_(ids))
                           .order_by(TicketEvent.at, TicketEvent.id)).all()
    return [{"ticket_id": tid, "stage": stage, "at": at, "actor": actor, "note": note}
            for tid, stage, at, actor, note in rows]


def _tickets(session: Session, which: ColumnElement[bool]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Ticket, Enterprise.code).outerjoin(Enterprise, Ticket.enterprise_id == Enterprise.id)
        .where(which).order_by(Ticket.opened_at, Ticket.id)).all()
    return [{"ticket_id": t.id, "kind": t.kind, "category": t.category, "stage": t.stage,
             "installation_id": t.installation_id, "enterprise": code, "description": t.description,
             "opened_at": t.opened_at, "respond_by": t.respond_by, "responded_at": t.responded_at,
             "closed_at": t.closed_at, "overdue": bool(t.overdue)} for t, code in rows]


@dataclass(frozen=True)
class _Village:
    """A village's households that are not merged away, with the keys the fuzzy duplicate rule compares."""

    pks: list[int]
    names: list[str]
    numbers: list[tuple[str, ...]]
    addresses: list[str]


def _village_keys(session: Session, village_id: int) -> _Village:
    """The duplicate rule's keys of a village's households (names squashed, house numbers, address keys),
    kept per state of the registry: a household page compares one name with its village's hundred or so
    in one call of rapidfuzz instead of normalising each of them in Python every time."""
    from cleanheat.registry.services import households as hh

    def compute() -> _Village:
        rows = session.execute(select(Household.id, Household.name, Household.address)
                               .where(Household.village_id == village_id, Household.merged_into_id.is_(None))
                               .order_by(Household.id)).all()
        return _Village(pks=[r[0] for r in rows], names=[hh._squash(r[1]) for r in rows],
                        numbers=[hh._house_numbers(r[2]) for r in rows],
                        addresses=[hh._address_key(r[2]) for r in rows])

    return _VILLAGES.get(session, village_id, compute)


def duplicate_flags(*, session: Session, household_id: str, township: str | None = None) -> list[dict[str, Any]]:
    """Other households suspected to be this one, not yet reviewed: the rule of
    :func:`~cleanheat.registry.services.households.find_duplicates` (same identity number, same
    normalised phone, or name and address both ≥ ``FUZZY_THRESHOLD`` with the same house numbers in the
    same village), asked for one household with indexed look-ups instead of a search of the county.

    Each flag: ``household_id``, ``name``, ``id_number``, ``address``, ``township``, ``village``,
    ``reason`` (``id_number`` | ``phone`` | ``fuzzy_name_address``), ``score``. With ``township``,
    only households of that township are named (a clerk's scope). A merged-away record has none.
    """
    me = session.execute(select(Household).where(Household.household_id == household_id)).scalar_one_or_none()
    return [] if me is None else _duplicate_flags(session, me, township)


def _duplicate_flags(session: Session, me: Household, township: str | None) -> list[dict[str, Any]]:
    from rapidfuzz import fuzz, process

    from cleanheat.registry.services import households as hh

    if me.merged_into_id is not None:
        return []
    # the pairs already reviewed and the exact matches (identity number, phone), in one statement
    parts = [select(DuplicateReview.household_b_id.label("pk"), literal("reviewed").label("why"))
             .where(DuplicateReview.household_a_id == me.id),
             select(DuplicateReview.household_a_id, literal("reviewed")).where(DuplicateReview.household_b_id == me.id)]
    for column, value, reason in ((Household.id_number, me.id_number, "id_number"),
                                  (Household.phone_normalised, me.phone_normalised, "phone")):
        if value:
            parts.append(select(Household.id, literal(reason)).where(column == value, Household.id != me.id,
                                                                     Household.merged_into_id.is_(None)))
    matched: dict[str, set[int]] = {"reviewed": set(), "id_number": set(), "phone": set()}
    for pk, why in session.execute(union_all(*parts)):
        matched[str(why)].add(int(pk))
    reviewed = matched["reviewed"]
    found: dict[int, tuple[str, float]] = {}
    for reason in ("id_number", "phone"):  # a household of the same identity number is named for it first
        for pk in sorted(matched[reason]):
            found.setdefault(pk, (reason, 100.0))
    village = _village_keys(session, me.village_id)
    numbers, address = hh._house_numbers(me.address), hh._address_key(me.address)
    for _, name_score, k in process.extract(hh._squash(me.name), village.names, scorer=fuzz.ratio,
                                            score_cutoff=hh.FUZZY_THRESHOLD, limit=None):
        pk = village.pks[k]
        if pk == me.id or pk in found or village.numbers[k] != numbers:
            continue
        addr_score = fuzz.ratio(address, village.addresses[k])
        if addr_score >= hh.FUZZY_THRESHOLD:
            found[pk] = ("fuzzy_name_address", float(min(name_score, addr_score)))
    wanted = sorted(set(found) - reviewed)
    if not wanted:
        return []
    stmt = (select(Household.id, Household.household_id, Household.name, Household.id_number, Household.address,
                   Township.name, Village.name)
            .join(Village, Household.village_id == Village.id).join(Township, Village.township_id == Township.id)
            .where(Household.id.in_(wanted)))
    if township:
        stmt = stmt.where(Township.name == township)
    out = [{"household_id": code, "name": n, "id_number": idn, "address": addr, "township": town, "village": vil,
            "reason": found[pk][0], "score": found[pk][1]}
           for pk, code, n, idn, addr, town, vil in session.execute(stmt)]
    return sorted(out, key=lambda r: r["household_id"])


def failed_inspections_of(*, session: Session, installation_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The failed inspections (验收不合格) of installations: ``installation_id``, ``inspected_on``, ``note``,
    ``inspectors``, ``actor``, oldest first."""
    ids = sorted(set(installation_ids))
    if not ids:
        return []
    rows = session.execute(select(FailedInspection).where(FailedInspection.installation_id.in_(ids))
                           .order_by(FailedInspection.inspected_on, FailedInspection.id)).scalars()
    return [{"installation_id": r.installation_id, "inspected_on": r.inspected_on.isoformat(), "note": r.note,
             "inspectors": list(r.inspectors or []), "actor": r.actor} for r in rows]


def timeline_of(view: dict[str, Any], *, registered_at: dt.datetime | None = None,
                tickets: Iterable[dict[str, Any]] = (), failed: Iterable[dict[str, Any]] = (),
                ticket_events: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """What happened to a household, in order: recorded in the registry, each installation installed,
    inspected (failed) and accepted, the payment, each ticket opened, assigned, answered, resolved and closed.

    ``view`` is :func:`~cleanheat.registry.services.household_view.household_view`'s document;
    ``ticket_events`` the tickets' stage changes (:func:`ticket_events_of`: ``ticket_id``, ``stage``, ``at``,
    ``actor``, ``note``), of which the stages between the opening and the closing are shown (those two come
    from the ticket itself). Each event: ``on`` (a date, or an instant as the programme's local time, ISO
    text), ``kind`` (``registered``, ``installed``, ``inspection_failed``, ``accepted``, ``paid``,
    ``ticket_opened``, ``ticket_assigned``, ``ticket_responded``, ``ticket_resolved``, ``ticket_closed``),
    ``installation_id``, ``ticket_id`` and ``detail`` (the method, the voucher, the ticket's category, a stage
    change's actor and note …). A pure function of its inputs.
    """
    from cleanheat.clock import as_utc, programme_tz

    tz = programme_tz()  # once: it reads the settings

    def instant(at: dt.datetime) -> str:
        return as_utc(at).astimezone(tz).isoformat(timespec="minutes")

    events: list[dict[str, Any]] = []

    def add(on: str, kind: str, detail: Any = None, installation_id: int | None = None,
            ticket_id: int | None = None) -> None:
        events.append({"on": on, "kind": kind, "detail": detail, "installation_id": installation_id,
                       "ticket_id": ticket_id})

    if registered_at is not None:
        add(instant(registered_at), "registered")
    for i in view["installations"]:
        add(i["installed_on"], "installed", {"method": i["method"], "enterprise": i["enterprise"],
                                             "self_install": i["self_install"], "void": i["void"]},
            installation_id=i["installation_id"])
        if i["accepted_on"]:
            add(i["accepted_on"], "accepted", {"inspectors": i["inspectors"]}, installation_id=i["installation_id"])
    for x in failed:
        add(x["inspected_on"], "inspection_failed", {"note": x["note"]}, installation_id=x["installation_id"])
    pay = view.get("payment")
    if pay:
        add(pay["paid_on"], "paid", {"voucher_no": pay["voucher_no"], "total_cny": pay["total_cny"]},
            installation_id=pay["installation_id"])
    by_id: dict[int, dict[str, Any]] = {}
    for t in tickets:
        by_id[t["ticket_id"]] = t
        add(instant(t["opened_at"]), "ticket_opened", {"kind": t["kind"], "category": t["category"]},
            installation_id=t["installation_id"], ticket_id=t["ticket_id"])
        if t["closed_at"] is not None:
            add(instant(t["closed_at"]), "ticket_closed", {"kind": t["kind"], "category": t["category"]},
                installation_id=t["installation_id"], ticket_id=t["ticket_id"])
    for ev in ticket_events:
        of = by_id.get(ev["ticket_id"])
        if of is None or ev["stage"] not in TIMELINE_STAGES:
            continue
        add(instant(ev["at"]), f"ticket_{ev['stage']}", {"kind": of["kind"], "category": of["category"],
                                                         "actor": ev["actor"], "note": ev["note"]},
            installation_id=of["installation_id"], ticket_id=of["ticket_id"])
    order = {"registered": 0, "installed": 1, "inspection_failed": 2, "accepted": 3, "paid": 4, "ticket_opened": 5,
             "ticket_assigned": 6, "ticket_responded": 7, "ticket_resolved": 8, "ticket_closed": 9}
    return sorted(events, key=lambda e: (e["on"][:10], order[e["kind"]], e["on"]))


def household_page(*, session: Session, household_id: str, township: str | None = None) -> dict[str, Any]:
    """Everything the household page shows: ``view`` (:func:`household_view`, with its audit entries),
    ``tickets``, ``failed_inspections``, ``timeline`` (:func:`timeline_of`) and ``duplicates``
    (:func:`duplicate_flags`, within ``township`` if given).

    Raises
    ------
    NotFound
        No household with that ledger id.
    """
    from cleanheat.registry.services.household_view import household_row, view_of

    me, village, town = household_row(session=session, household_id=household_id)
    tickets = _tickets(session, Ticket.household_id == me.id)
    view = view_of(session=session, household=me, village=village, township=town, book=_status_book(session),
                   ticket_ids=[t["ticket_id"] for t in tickets])
    failed = failed_inspections_of(session=session, installation_ids=[i["installation_id"] for i in
                                                                       view["installations"]])
    events = ticket_events_of(session=session, ticket_ids=[t["ticket_id"] for t in tickets])
    return {"view": view, "tickets": tickets, "failed_inspections": failed,
            "timeline": timeline_of(view, registered_at=me.created_at, tickets=tickets, failed=failed,
                                    ticket_events=events),
            "duplicates": _duplicate_flags(session, me, township)}


def suspected_duplicates(*, session: Session) -> list[dict[str, Any]]:
    """The county's suspected duplicate pairs not yet reviewed
    (:func:`~cleanheat.registry.services.households.find_duplicates`, about a second on 27,000 households),
    each with both households' name, identity number and address
    (:func:`~cleanheat.registry.services.household_view.describe_pairs`) and their townships
    (``township_a``, ``township_b``).

    The answer is kept per state of the registry (:data:`_CACHE`: every change — an import, a merge, a
    pair marked distinct — appends to the audit chain), so it is never stale.
    """
    return [dict(r) for r in _CACHE.get(session, "duplicates", lambda: _suspected_duplicates(session))]


def _suspected_duplicates(session: Session) -> list[dict[str, Any]]:
    from cleanheat.registry.services.household_view import describe_pairs
    from cleanheat.registry.services.households import find_duplicates

    pairs = [{"a": p.a, "b": p.b, "reason": p.reason, "score": p.score} for p in find_duplicates(session=session)]
    shown = describe_pairs(session=session, pairs=pairs)
    codes = sorted({r[k] for r in shown for k in ("a", "b")})
    towns: dict[str, str] = {}
    for start in range(0, len(codes), 5000):
        towns.update({code: town for code, town in session.execute(
            select(Household.household_id, Township.name).join(Village, Household.village_id == Village.id)
            .join(Township, Village.township_id == Township.id)
            .where(Household.household_id.in_(codes[start:start + 5000])))})
    for r in shown:
        r["township_a"], r["township_b"] = towns.get(r["a"], ""), towns.get(r["b"], "")
    return shown


# --------------------------------------------------------------------------------------------
# A township's ledger file
# --------------------------------------------------------------------------------------------


class ScopeError(InputError):
    """A ledger file with rows outside the uploader's township; ``errors`` names each row (as
    :class:`~cleanheat.registry.services.ledger.RowError`)."""

    def __init__(self, township: str, errors: list[Any]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(f"{len(errors)} row(s) outside {township}, nothing imported; first: row {first.row}: "
                         f"{first.reason}", field=first.column)


def out_of_township_rows(*, session: Session, path: Path, township: str) -> list[Any]:
    """The rows of a ledger file that are not ``township``'s: a township (乡镇) cell naming another
    township (or none that can be read), or a ledger id (农户编号) of a stored household of another
    township. Each as a :class:`~cleanheat.registry.services.ledger.RowError` (row, column, reason).

    A file whose header cannot be read is left to the import to refuse (nothing is returned for it).
    """
    from cleanheat.codes import township_name
    from cleanheat.policy.rules.yanchi import TOWNSHIPS
    from cleanheat.registry.services import ledger
    from cleanheat.spreadsheets import header_key

    header, rows = ledger.read_table(path)
    pos: dict[str, int] = {}
    for k, h in enumerate(header):
        key = header_key(h)
        col = ledger.BY_HEADER.get(key) or ledger.BY_FIELD.get(key)
        if col is not None and col.field in ("township", "household_id"):
            pos.setdefault(col.field, k)
    errors: list[Any] = []
    if "township" not in pos:
        return errors
    t_col, h_col = pos["township"], pos.get("household_id")
    ids: dict[str, int] = {}
    for r, cells in rows:
        if all(v in (None, "") for v in cells):
            continue
        raw = cells[t_col] if t_col < len(cells) else None
        text = normalise.text(raw)
        try:
            town = township_name(text, TOWNSHIPS) if text else ""
        except ValueError:
            town = text
        if town != township:
            errors.append(ledger.RowError(r, header[t_col], f"不属于本乡镇 not your township: {town or '(empty)'} "
                                          f"(you may import {township} only)"))
        elif h_col is not None and h_col < len(cells) and cells[h_col] not in (None, ""):
            ids[normalise.identifier(cells[h_col])] = r
    for start in range(0, len(codes := sorted(ids)), 5000):
        for code, town in session.execute(
                select(Household.household_id, Township.name).join(Village, Household.village_id == Village.id)
                .join(Township, Village.township_id == Township.id)
                .where(Household.household_id.in_(codes[start:start + 5000]), Township.name != township)):
            errors.append(ledger.RowError(ids[code], header[h_col] if h_col is not None else "",
                                          f"农户 {code} 属于 {town} household {code} is registered in {town}, "
                                          f"not {township}"))
    return sorted(errors, key=lambda e: (e.row, e.column))


def export_township_xlsx(*, session: Session, path: Path, township: str | None = None) -> int:
    """The ledger export of :func:`~cleanheat.registry.services.ledger.export_xlsx` (same columns, same
    rows), of one township only when ``township`` is given; returns the rows written.

    Raises
    ------
    InputError
        ``path`` is a folder, does not end in ``.xlsx``, or cannot be written.
    """
    from cleanheat import spreadsheets
    from cleanheat.registry.services import ledger
    from cleanheat.spreadsheets import Column as SheetColumn
    from cleanheat.spreadsheets import Sheet

    if township is None:
        return ledger.export_xlsx(session=session, path=path)
    spreadsheets.check_target(path)
    cols = ledger._sheet_columns(template=False) + [
        SheetColumn(ledger.EXPORT_HEADERS[0], "money"), SheetColumn(ledger.EXPORT_HEADERS[1], "text"),
        SheetColumn(ledger.EXPORT_HEADERS[2], "date"), SheetColumn(ledger.EXPORT_HEADERS[3]),
    ]
    rows = [row for row in ledger.export_rows(session=session) if row[1] == township]
    return spreadsheets.write_workbook(path, [Sheet(ledger.LEDGER_SHEET, cols, rows)])

