"""Programme figures for the web dashboard and the funds pages, in a few aggregate queries (read only).

Every figure here is one the registry's services already define; this module computes them for a
page in one pass each instead of one service call per table, and names the service whose figure it
repeats (tests check they agree):

- :func:`conversions` — households converted vs target per township and year, the 附件1 table of
  :func:`cleanheat.registry.services.reports.plan` (accepted and paid by installation year; merged
  household records not counted);
- :func:`pipeline` and :func:`method_mix` — installed → accepted → paid, as ``cleanheat status``
  counts them (:func:`cleanheat.registry.services.reports.status`: every installation not void);
- :func:`report_lateness` — late and missing monthly reports, month by month as
  :func:`cleanheat.registry.services.reports.laggards` judges them;
- :func:`enterprise_ranking` — the enterprises in the order of their last stored assessment
  (:func:`cleanheat.registry.services.assessments.assess` with ``apply``);
- :func:`funds_by_township`, :func:`paid_by_month` — the fund ledger split by township and by month,
  adding up to :func:`cleanheat.registry.services.payments.envelope_spending`;
- :func:`fund_ledger_page` / :func:`fund_ledger_rows` — the fund ledger itself, filtered and paged in
  the database.

The pages keep these figures in a :class:`~cleanheat.registry.services.chain_cache.ChainCache`
(re-exported here with its keys): every state change of the registry appends an audit entry, so a
cached figure is reused only while no entry was appended since it was computed, and it can never
show stale money.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, extract, func, select
from sqlalchemy.orm import Session

from cleanheat.clock import today as programme_today
from cleanheat.errors import InputError
from cleanheat.registry.models import (
    Acceptance,
    Enterprise,
    EnterpriseAssessment,
    FundEnvelope,
    FundLedgerEntry,
    Household,
    Installation,
    MonthlyReport,
    Payment,
    PaymentReversal,
    Township,
    Village,
)
from cleanheat.registry.services.chain_cache import ACCOUNT_EVENTS, ChainCache, chain_seq, figures_seq
from cleanheat.registry.services.payments import PAID_KINDS, envelope_spending, envelope_warnings
from cleanheat.registry.services.places import programme_years, targets
from cleanheat.registry.services.reports import due_on

__all__ = ["ACCOUNT_EVENTS", "LEDGER_KINDS", "ChainCache", "chain_seq", "conversions", "dashboard",
           "enterprise_ranking", "figures_seq", "fund_ledger_page", "fund_ledger_rows", "funds", "funds_by_township",
           "method_mix", "paid_by_month", "pipeline", "programme_months", "report_lateness", "township_names"]

LEDGER_KINDS = ("commit", "pay", "recover")
"""Kinds of fund-ledger entries: a commitment (on installation), a payment, a recovery (追回, negative)."""

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Installations: conversions, pipeline, method mix
# --------------------------------------------------------------------------------------------


def township_names(*, session: Session) -> list[str]:
    """The townships in the plan's order (as the registry numbers them)."""
    return [n for (n,) in session.execute(select(Township.name).order_by(Township.id))]


def _standing_payments() -> Any:
    """Subquery: each standing (not reversed) payment's installation and amounts."""
    return (select(Payment.installation_id, Payment.central_cny, Payment.local_cny)
            .outerjoin(PaymentReversal, PaymentReversal.payment_id == Payment.id)
            .where(PaymentReversal.id.is_(None)).subquery())


def _installation_cells(session: Session, township: str | None) -> list[dict[str, Any]]:
    """Non-void installations counted by (township, installation year, method, merged, accepted, paid),
    with the standing payments' amounts: every figure of this section is a sum over these cells."""
    pay = _standing_payments()
    year = extract("year", Installation.installed_on)
    merged = Household.merged_into_id.is_not(None)
    accepted = Acceptance.id.is_not(None)
    paid = pay.c.installation_id.is_not(None)
    keys = [Township.name, year, Installation.technology, merged, accepted, paid]
    stmt = (select(*keys, func.count(), func.coalesce(func.sum(pay.c.central_cny), 0),
                   func.coalesce(func.sum(pay.c.local_cny), 0))
            .select_from(Installation)
            .join(Household, Installation.household_id == Household.id)
            .join(Village, Household.village_id == Village.id)
            .join(Township, Village.township_id == Township.id)
            .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
            .outerjoin(pay, pay.c.installation_id == Installation.id)
            .where(Installation.void.is_(False))
            .group_by(*keys))
    if township is not None:
        stmt = stmt.where(Township.name == township)
    return [{"township": r[0], "year": int(r[1]), "technology": r[2], "merged": bool(r[3]), "accepted": bool(r[4]),
             "paid": bool(r[5]), "n": int(r[6]), "central_cny": int(r[7]), "local_cny": int(r[8])}
            for r in session.execute(stmt)]


def conversions(*, session: Session, township: str | None = None,
                cells: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Households converted vs target per township and year (附件1), one row per township.

    Each row: ``township``, ``planned`` / ``done`` (accepted) / ``paid`` as ``{year: households}``
    for every programme year, and their ``*_total``; county-wide (``township`` ``None``) a last row
    ``合计`` sums them. The figures of :func:`cleanheat.registry.services.reports.plan`.
    """
    years = programme_years()
    plan_targets = targets()
    cells = _installation_cells(session, township) if cells is None else cells
    done: dict[tuple[str, int], int] = defaultdict(int)
    paid: dict[tuple[str, int], int] = defaultdict(int)
    for c in cells:
        if c["merged"]:
            continue
        if c["accepted"]:
            done[(c["township"], c["year"])] += c["n"]
        if c["paid"]:
            paid[(c["township"], c["year"])] += c["n"]
    towns = [township] if township is not None else township_names(session=session)
    rows = []
    for town in towns:
        row: dict[str, Any] = {"township": town,
                               "planned": {y: plan_targets.get((town, y), 0) for y in years},
                               "done": {y: done.get((town, y), 0) for y in years},
                               "paid": {y: paid.get((town, y), 0) for y in years}}
        for k in ("planned", "done", "paid"):
            row[f"{k}_total"] = sum(row[k].values())
        rows.append(row)
    if township is None and rows:
        total: dict[str, Any] = {"township": "合计"}
        for k in ("planned", "done", "paid"):
            total[k] = {y: sum(r[k][y] for r in rows) for y in years}
            total[f"{k}_total"] = sum(r[f"{k}_total"] for r in rows)
        rows.append(total)
    return rows


def pipeline(*, session: Session, township: str | None = None,
             cells: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """Acceptance → payment: installations (not void), accepted, paid (a standing payment), the steps
    between (``awaiting_acceptance``, ``awaiting_payment``) and the money paid; the counts of ``cleanheat
    status`` (:func:`cleanheat.registry.services.reports.status`), of one township if given."""
    cells = _installation_cells(session, township) if cells is None else cells
    out = {"installations": sum(c["n"] for c in cells),
           "accepted": sum(c["n"] for c in cells if c["accepted"]),
           "paid": sum(c["n"] for c in cells if c["paid"]),
           "central_paid_cny": sum(c["central_cny"] for c in cells),
           "local_paid_cny": sum(c["local_cny"] for c in cells)}
    out["total_paid_cny"] = out["central_paid_cny"] + out["local_paid_cny"]
    out["awaiting_acceptance"] = out["installations"] - out["accepted"]
    out["awaiting_payment"] = out["accepted"] - sum(c["n"] for c in cells if c["paid"] and c["accepted"])
    return out


def method_mix(*, session: Session, township: str | None = None,
               cells: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Installations (not void), accepted and paid per heating method, most installed first."""
    cells = _installation_cells(session, township) if cells is None else cells
    by: dict[str, dict[str, Any]] = {}
    for c in cells:
        m = by.setdefault(c["technology"], {"technology": c["technology"], "installations": 0, "accepted": 0,
                                            "paid": 0})
        m["installations"] += c["n"]
        m["accepted"] += c["n"] if c["accepted"] else 0
        m["paid"] += c["n"] if c["paid"] else 0
    return sorted(by.values(), key=lambda m: (-m["installations"], m["technology"]))


# --------------------------------------------------------------------------------------------
# Monthly reports
# --------------------------------------------------------------------------------------------


def programme_months() -> list[str]:
    """The months (``YYYY-MM``) for which a monthly report is due: those of the programme years with a
    due day (:func:`cleanheat.registry.services.reports.due_on`), oldest first."""
    return [f"{y}-{m:02d}" for y in programme_years() for m in range(1, 13) if due_on(f"{y}-{m:02d}") is not None]


def report_lateness(*, session: Session, today: dt.date | None = None, township: str | None = None
                    ) -> dict[str, Any]:
    """Late and missing monthly reports (八(三)) over the programme, as :func:`reports.laggards` judges
    each month: ``late`` (filed after the due day) or ``missing`` (not filed, past the due day).

    Returns ``{"today", "months_due", "by_township": [{township, late, missing, on_time, filed,
    last_late}], "laggards": [{township, month, submission, due_on, submitted_on}]}`` with the
    laggards newest month first. ``today`` defaults to the programme's civil date.
    """
    today = today or programme_today()
    months = programme_months()
    dues = {m: due_on(m) for m in months}
    stmt = (select(Township.name, MonthlyReport.month, MonthlyReport.submitted_on, MonthlyReport.late)
            .join(Township, MonthlyReport.township_id == Township.id))
    if township is not None:
        stmt = stmt.where(Township.name == township)
    filed = {(t, m): (on, bool(late)) for t, m, on, late in session.execute(stmt)}
    towns = [township] if township is not None else township_names(session=session)
    by_town = []
    laggards: list[dict[str, Any]] = []
    months_due = [m for m in months if (d := dues[m]) is not None and today > d]
    for town in towns:
        row: dict[str, Any] = {"township": town, "late": 0, "missing": 0, "on_time": 0, "filed": 0,
                               "last_late": None}
        for month in months:
            due = dues[month]
            assert due is not None
            sub = filed.get((town, month))
            if sub is not None:
                row["filed"] += 1
                row["on_time"] += not sub[1]
            entry: dict[str, str | None]
            if sub is not None and sub[1]:
                entry = {"submission": "late", "submitted_on": sub[0].isoformat()}
            elif sub is None and today > due:
                entry = {"submission": "missing", "submitted_on": None}
            else:
                continue
            row[str(entry["submission"])] += 1
            row["last_late"] = month
            laggards.append({"township": town, "month": month, "due_on": due.isoformat(), **entry})
        by_town.append(row)
    order = {t: k for k, t in enumerate(towns)}
    laggards.sort(key=lambda r: (r["month"], -order[r["township"]]), reverse=True)
    return {"today": today.isoformat(), "months_due": len(months_due), "by_township": by_town,
            "laggards": laggards}


# --------------------------------------------------------------------------------------------
# Enterprises
# --------------------------------------------------------------------------------------------


def enterprise_ranking(*, session: Session, half: str | None = None) -> dict[str, Any]:
    """The enterprises in the order of their last stored half-yearly assessment (绩效考核, 八(三)).

    Order (the dashboard's, not a rule of the plan): those that passed before those whose registration
    the rule revokes; then by the mean of the four shares the assessment measures (usage rate, product
    quality, heating effect, service within the response limit), highest first; then fewer complaints
    per 100 accepted installations; then the code. ``half`` defaults to the latest assessed
    (``2023-H2``); ``{"half": None, "rows": []}`` when nothing was assessed.
    """
    if half is None:
        half = session.execute(select(func.max(EnterpriseAssessment.half))).scalar_one_or_none()
    if half is None:
        return {"half": None, "rows": []}
    rows: list[dict[str, Any]] = []
    for a, code, name, status in session.execute(
            select(EnterpriseAssessment, Enterprise.code, Enterprise.name, Enterprise.status)
            .join(Enterprise, EnterpriseAssessment.enterprise_id == Enterprise.id)
            .where(EnterpriseAssessment.half == half)):
        details = a.details or {}
        service = float(details.get("service", 1.0))
        per100 = round(100 * a.complaints / a.installations, 2) if a.installations else 0.0
        score = (a.usage_rate + a.product_quality + a.heating_effect + service) / 4
        rows.append({"enterprise": code, "name": name, "status": status, "installations": a.installations,
                     "usage_rate": a.usage_rate, "product_quality": a.product_quality,
                     "heating_effect": a.heating_effect, "service": service, "complaints": a.complaints,
                     "complaints_per_100": per100, "score": round(score, 4), "outcome": a.outcome,
                     "why": list(details.get("why", []))})
    rows.sort(key=lambda r: (r["outcome"] != "pass", -r["score"], r["complaints_per_100"], r["enterprise"]))
    for k, r in enumerate(rows, start=1):
        r["rank"] = k
    return {"half": half, "rows": rows}


# --------------------------------------------------------------------------------------------
# The dashboard in one call
# --------------------------------------------------------------------------------------------


def dashboard(*, session: Session, township: str | None = None, today: dt.date | None = None,
              county_wide_extras: bool = True) -> dict[str, Any]:
    """Everything the dashboard shows, for the county or (``township``) one township.

    The envelopes are county-wide programme facts whatever the scope. The enterprise ranking and
    the Beijing zones are county or city facts, left out (``None``) unless ``county_wide_extras``.
    """
    from cleanheat.registry.services.beijing import zone_progress

    cells = _installation_cells(session, township)
    envelopes = envelope_spending(session=session)
    return {
        "township": township,
        "years": list(programme_years()),
        "conversions": conversions(session=session, township=township, cells=cells),
        "pipeline": pipeline(session=session, township=township, cells=cells),
        "methods": method_mix(session=session, township=township, cells=cells),
        "envelopes": envelopes,
        "warnings": envelope_warnings(envelopes),
        "lateness": report_lateness(session=session, today=today, township=township),
        "ranking": enterprise_ranking(session=session) if county_wide_extras else None,
        "zones": zone_progress(session=session) if county_wide_extras else None,
    }


# --------------------------------------------------------------------------------------------
# Funds
# --------------------------------------------------------------------------------------------


def _envelope_sources(session: Session) -> dict[int, str]:
    return {i: s for i, s in session.execute(select(FundEnvelope.id, FundEnvelope.source))}


def funds_by_township(*, session: Session) -> list[dict[str, Any]]:
    """Per township and envelope: paid (payments less recoveries) and outstanding commitments (CNY).

    A commitment is outstanding while its installation has no standing payment and is not void, as
    :func:`cleanheat.registry.services.payments.envelope_spending` counts it; the rows add up to its
    ``paid_cny`` and ``committed_cny``. Each row: ``township``, ``paid_cny`` and ``committed_cny`` as
    ``{source: CNY}``, and their totals.
    """
    sources = _envelope_sources(session)
    pay = _standing_payments()
    base = (select(Township.name, FundLedgerEntry.envelope_id, func.sum(FundLedgerEntry.amount_cny))
            .select_from(FundLedgerEntry)
            .join(Installation, FundLedgerEntry.installation_id == Installation.id)
            .join(Household, Installation.household_id == Household.id)
            .join(Village, Household.village_id == Village.id)
            .join(Township, Village.township_id == Township.id)
            .group_by(Township.name, FundLedgerEntry.envelope_id))
    paid = session.execute(base.where(FundLedgerEntry.kind.in_(PAID_KINDS))).all()
    committed = session.execute(
        base.outerjoin(pay, pay.c.installation_id == FundLedgerEntry.installation_id)
        .where(FundLedgerEntry.kind == "commit", pay.c.installation_id.is_(None), Installation.void.is_(False))
    ).all()
    rows: dict[str, dict[str, Any]] = {t: {"township": t, "paid_cny": dict.fromkeys(sources.values(), 0),
                "committed_cny": dict.fromkeys(sources.values(), 0)} for t in township_names(session=session)}
    for key, found in (("paid_cny", paid), ("committed_cny", committed)):
        for town, eid, amount in found:
            rows[town][key][sources[eid]] += int(amount or 0)
    for r in rows.values():
        r["paid_total_cny"] = sum(r["paid_cny"].values())
        r["committed_total_cny"] = sum(r["committed_cny"].values())
    return list(rows.values())


def paid_by_month(*, session: Session) -> list[dict[str, Any]]:
    """Money paid out per month of booking and envelope (payments less recoveries), oldest first:
    ``[{"month": "2022-03", "paid_cny": {source: CNY}, "total_cny"}]``."""
    sources = _envelope_sources(session)
    y, m = extract("year", FundLedgerEntry.booked_on), extract("month", FundLedgerEntry.booked_on)
    out: dict[str, dict[str, Any]] = {}
    for year, month, eid, amount in session.execute(
            select(y, m, FundLedgerEntry.envelope_id, func.sum(FundLedgerEntry.amount_cny))
            .where(FundLedgerEntry.kind.in_(PAID_KINDS)).group_by(y, m, FundLedgerEntry.envelope_id)):
        key = f"{int(year)}-{int(month):02d}"
        row = out.setdefault(key, {"month": key, "paid_cny": dict.fromkeys(sources.values(), 0)})
        row["paid_cny"][sources[eid]] += int(amount or 0)
    for row in out.values():
        row["total_cny"] = sum(row["paid_cny"].values())
    return [out[k] for k in sorted(out)]


def funds(*, session: Session) -> dict[str, Any]:
    """The funds page's figures: envelopes (:func:`envelope_spending`) with their warnings, by township,
    by month."""
    envelopes = envelope_spending(session=session)
    return {"envelopes": envelopes, "warnings": envelope_warnings(envelopes),
            "by_township": funds_by_township(session=session), "by_month": paid_by_month(session=session)}


def _ledger_filter(session: Session, *, envelope: str | None, kind: str | None, date_from: dt.date | None,
                   date_to: dt.date | None, township: str | None) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a ledger query."""
    cond: list[ColumnElement[bool]] = []
    if envelope is not None:
        eid = session.execute(select(FundEnvelope.id).where(FundEnvelope.source == envelope)).scalar_one_or_none()
        if eid is None:
            known = ", ".join(sorted(_envelope_sources(session).values()))
            raise InputError(f"unknown envelope {envelope!r}; one of {known}", field="envelope")
        cond.append(FundLedgerEntry.envelope_id == eid)
    if kind is not None:
        if kind not in LEDGER_KINDS:
            raise InputError(f"unknown kind {kind!r}; one of {', '.join(LEDGER_KINDS)}", field="kind")
        cond.append(FundLedgerEntry.kind == kind)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InputError(f"from {date_from} is after to {date_to}", field="date_from")
    if date_from is not None:
        cond.append(FundLedgerEntry.booked_on >= date_from)
    if date_to is not None:
        cond.append(FundLedgerEntry.booked_on <= date_to)
    if township is not None:
        tid = session.execute(select(Township.id).where(Township.name == township)).scalar_one_or_none()
        if tid is None:
            raise InputError(f"unknown township {township!r}", field="township")
        cond.append(FundLedgerEntry.installation_id.in_(
            select(Installation.id).join(Household, Installation.household_id == Household.id)
            .join(Village, Household.village_id == Village.id).where(Village.township_id == tid)))
    return cond


def _ledger_select(cols: list[Any], cond: list[ColumnElement[bool]]) -> Select[Any]:
    return select(*cols).select_from(FundLedgerEntry).where(and_(True, *cond))


_ENTRY_COLS = [FundLedgerEntry.id, FundLedgerEntry.booked_on, FundEnvelope.source, FundLedgerEntry.kind,
               FundLedgerEntry.amount_cny, FundLedgerEntry.voucher_no, FundLedgerEntry.installation_id,
               Household.household_id, Township.name]
_ENTRY_KEYS = ("entry_id", "booked_on", "envelope", "kind", "amount_cny", "voucher_no", "installation_id",
               "household_id", "township")


def _entries(stmt: Select[Any]) -> Any:
    """The ledger rows of ``stmt``'s entries (ids), with envelope, household and township."""
    ids = stmt.subquery()
    return (select(*_ENTRY_COLS).select_from(FundLedgerEntry)
            .join(ids, ids.c.id == FundLedgerEntry.id)
            .join(FundEnvelope, FundLedgerEntry.envelope_id == FundEnvelope.id)
            .outerjoin(Installation, FundLedgerEntry.installation_id == Installation.id)
            .outerjoin(Household, Installation.household_id == Household.id)
            .outerjoin(Village, Household.village_id == Village.id)
            .outerjoin(Township, Village.township_id == Township.id)
            .order_by(FundLedgerEntry.booked_on.desc(), FundLedgerEntry.id.desc()))


def fund_ledger_page(*, session: Session, envelope: str | None = None, kind: str | None = None,
                     date_from: dt.date | None = None, date_to: dt.date | None = None, township: str | None = None,
                     page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """One page of the fund ledger (newest booking first), filtered by envelope (``central``, ``county``,
    ``household``), kind (:data:`LEDGER_KINDS`), booking dates (inclusive) and township.

    Returns ``{"rows", "total" (entries matching), "amount_cny" (their sum), "amount_by_kind_cny"
    (the sum per kind: commitments and payments do not add up to anything), "page", "pages",
    "per_page"}``; a page past the last gives the last.

    Raises
    ------
    InputError
        Unknown envelope, kind or township; ``date_from`` after ``date_to``; page or per_page < 1.
    """
    if page < 1:
        raise InputError(f"must be ≥ 1, got {page}", field="page")
    if not 1 <= per_page <= 500:
        raise InputError(f"must be between 1 and 500, got {per_page}", field="per_page")
    cond = _ledger_filter(session, envelope=envelope, kind=kind, date_from=date_from, date_to=date_to,
                                       township=township)
    by_kind = {k: (int(n), int(a or 0)) for k, n, a in session.execute(
        _ledger_select([FundLedgerEntry.kind, func.count(), func.sum(FundLedgerEntry.amount_cny)], cond)
        .group_by(FundLedgerEntry.kind))}
    total = sum(n for n, _ in by_kind.values())
    amount = sum(a for _, a in by_kind.values())
    pages = max(1, -(-int(total) // per_page))
    page = min(page, pages)
    ids = (_ledger_select([FundLedgerEntry.id], cond)
           .order_by(FundLedgerEntry.booked_on.desc(), FundLedgerEntry.id.desc())
           .limit(per_page).offset((page - 1) * per_page))
    rows = [dict(zip(_ENTRY_KEYS, r, strict=True)) for r in session.execute(_entries(ids))]
    return {"rows": rows, "total": total, "amount_cny": amount,
            "amount_by_kind_cny": {k: by_kind[k][1] for k in LEDGER_KINDS if k in by_kind},
            "page": page, "pages": pages, "per_page": per_page}


def fund_ledger_rows(*, session: Session, envelope: str | None = None, kind: str | None = None,
                     date_from: dt.date | None = None, date_to: dt.date | None = None, township: str | None = None,
                     batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every fund-ledger entry matching the filters of :func:`fund_ledger_page`, newest first, read in
    batches (for a download).

    Raises
    ------
    InputError
        As :func:`fund_ledger_page`.
    """
    cond = _ledger_filter(session, envelope=envelope, kind=kind, date_from=date_from, date_to=date_to,
                                       township=township)
    ids = (_ledger_select([FundLedgerEntry.id], cond)
           .order_by(FundLedgerEntry.booked_on.desc(), FundLedgerEntry.id.desc()))
    for r in session.execute(_entries(ids)).yield_per(batch):
        yield dict(zip(_ENTRY_KEYS, r, strict=True))
