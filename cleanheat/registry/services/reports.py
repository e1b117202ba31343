"""Reports computed from the ledger: programme status against the envelopes, the monthly township report
(月报表, due by the 25th, 盐政办发〔2022〕8号 八(三)) and the plan table (附件1: township × year,
planned vs done).

Targets are read from the dated parameters (``yanchi.targets.<year>``, :func:`places.targets`), the due
day from ``yanchi.reports.due_day`` read on the month's first day: a month outside the programme has
no due day, so its report is "not due" (不需报送), never "missing". Lateness is judged on the
programme's civil date (:func:`cleanheat.clock.today`); a ticket counts in the month of its opening
in the programme time zone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cleanheat.clock import as_utc, programme_tz
from cleanheat.clock import today as programme_today
from cleanheat.errors import InputError
from cleanheat.parameters import ParameterTree
from cleanheat.policy.programme import value_on
from cleanheat.registry.models import (
    Acceptance,
    Household,
    Installation,
    MonthlyReport,
    Payment,
    Ticket,
    Township,
    Village,
)
from cleanheat.registry.services.payments import envelope_spending, standing
from cleanheat.registry.services.payments import envelope_warnings as payment_envelope_warnings
from cleanheat.registry.services.places import get_township, programme_years, targets

__all__ = ["DUE_DAY_PARAMETER", "due_on", "envelope_warnings", "laggards", "monthly", "monthly_all", "parse_month",
           "plan", "status", "submission_of", "submit_monthly"]

DUE_DAY_PARAMETER = "yanchi.reports.due_day"
"""Monthly reports are due by the 25th (每月25日前), the day itself counting as on time; no report is due
outside the programme (the parameter is not in force there)."""


def due_on(month: str, tree: ParameterTree | None = None) -> dt.date | None:
    """The date by which the report of ``month`` (``YYYY-MM``) is due; ``None``: no report is due that month."""
    y, m = parse_month(month)
    day = value_on(DUE_DAY_PARAMETER, dt.date(y, m, 1), tree)
    return None if day is None else dt.date(y, m, min(int(day), _month_end(y, m).day))


def parse_month(month: str) -> tuple[int, int]:
    try:
        d = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InputError(f"expected YYYY-MM, got {month!r}", field="month") from None
    return d.year, d.month


def _month_end(y: int, m: int) -> dt.date:
    return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)


def _ledger_rows(session: Session, townships: list[str] | None = None) -> list[Any]:
    """The live installations with township, method, dates and standing payment (of ``townships`` only, if given)."""
    where = [Installation.void.is_(False), Household.merged_into_id.is_(None)]
    if townships is not None:
        where.append(Township.name.in_(townships))
    return list(session.execute(
        select(Township.name, Installation.technology, Installation.installed_on, Acceptance.accepted_on,
               Payment.paid_on, Payment.total_cny)
        .select_from(Installation)
        .join(Household, Installation.household_id == Household.id)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
        .outerjoin(Payment, and_(Payment.installation_id == Installation.id, standing()))  # not reversed
        .where(*where)
    ).all())


def monthly_all(*, session: Session, months: Iterable[str], townships: Iterable[str] | None = None
                ) -> dict[tuple[str, str], dict[str, Any]]:
    """Monthly report figures for every (township, month) asked, from one pass over the ledger."""
    months = sorted(set(months))
    parsed = {m: parse_month(m) for m in months}
    towns = sorted(townships) if townships is not None else [
        t for (t,) in session.execute(select(Township.name).order_by(Township.id))]
    year_targets = targets()
    only = towns if townships is not None else None  # the figures of the townships asked: only their rows
    inst = _ledger_rows(session, only)
    tickets = session.execute(
        select(Township.name, Ticket.kind, Ticket.opened_at, Ticket.closed_at)
        .join(Household, Ticket.household_id == Household.id)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .where(*([Township.name.in_(only)] if only is not None else []))
    ).all()
    # index by township and year-month, so each report is a few dictionary reads
    inst_month: dict[tuple[str, int, int], Counter[str]] = defaultdict(Counter)
    acc_month: dict[tuple[str, int, int], Counter[str]] = defaultdict(Counter)
    paid_month: dict[tuple[str, int, int], list[int]] = defaultdict(lambda: [0, 0])
    for town, tech, inst_on, acc_on, paid_on, total in inst:
        inst_month[(town, inst_on.year, inst_on.month)][tech] += 1
        if acc_on is not None:
            acc_month[(town, acc_on.year, acc_on.month)][tech] += 1
        if paid_on is not None:
            pm = paid_month[(town, paid_on.year, paid_on.month)]
            pm[0] += 1
            pm[1] += int(total)
    comp_month: dict[tuple[str, int, int], int] = Counter()
    open_items: dict[str, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    tz = programme_tz()  # once: local_date() reads the settings on every call

    def civil(at: dt.datetime) -> dt.date:  # local_date(at) in the zone read once
        return as_utc(at).astimezone(tz).date()

    for town, kind, opened, closed, in tickets:
        opened_on = civil(opened)
        if kind == "complaint":
            comp_month[(town, opened_on.year, opened_on.month)] += 1
        open_items[town].append((opened_on, civil(closed) if closed else None))
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for town in towns:
        for month in months:
            y, m = parsed[month]
            end = _month_end(y, m)
            inst_ytd: Counter[str] = Counter()
            acc_ytd: Counter[str] = Counter()
            paid_ytd = [0, 0]
            for mm in range(1, m + 1):
                inst_ytd.update(inst_month.get((town, y, mm), {}))
                acc_ytd.update(acc_month.get((town, y, mm), {}))
                p = paid_month.get((town, y, mm))
                if p:
                    paid_ytd[0] += p[0]
                    paid_ytd[1] += p[1]
            this_inst = inst_month.get((town, y, m), Counter())
            this_acc = acc_month.get((town, y, m), Counter())
            this_paid = paid_month.get((town, y, m), [0, 0])
            target = year_targets.get((town, y))
            methods = sorted(set(inst_ytd) | set(acc_ytd))
            out[(town, month)] = {
                "township": town,
                "month": month,
                "year_target_households": target,
                "installed_month": sum(this_inst.values()),
                "installed_ytd": sum(inst_ytd.values()),
                "accepted_month": sum(this_acc.values()),
                "accepted_ytd": sum(acc_ytd.values()),
                "progress": round(sum(acc_ytd.values()) / target, 4) if target else None,
                "paid_month": this_paid[0],
                "paid_month_cny": this_paid[1],
                "paid_ytd": paid_ytd[0],
                "paid_ytd_cny": paid_ytd[1],
                "complaints_month": comp_month.get((town, y, m), 0),
                "tickets_open_at_month_end": sum(1 for o, c in open_items.get(town, ())
                                                 if o <= end and (c is None or c > end)),
                "by_method": {t: {"installed_month": this_inst.get(t, 0), "installed_ytd": inst_ytd.get(t, 0),
                                  "accepted_month": this_acc.get(t, 0), "accepted_ytd": acc_ytd.get(t, 0)}
                              for t in methods},
            }
    return out


def monthly(*, session: Session, township: str, month: str, today: dt.date | None = None) -> dict[str, Any]:
    """The monthly report of a township, with its submission: ``on_time`` (by the 25th), ``late``,
    ``missing`` (due and not filed), ``pending`` (not filed, not yet due) or ``not_due`` (a month
    outside the programme). ``today`` defaults to the programme's civil date."""
    t = get_township(session=session, name=township)
    fig = monthly_all(session=session, months=[month], townships=[township])[(township, month)]
    sub = session.execute(select(MonthlyReport).where(MonthlyReport.township_id == t.id,
                                                      MonthlyReport.month == month)).scalar_one_or_none()
    due = due_on(month)
    today = today or programme_today()
    fig["due_on"] = due.isoformat() if due else None
    fig["submitted_on"] = sub.submitted_on.isoformat() if sub else None
    fig["late"], fig["submission"] = submission_of(filed_late=None if sub is None else bool(sub.late), due=due,
                                                   today=today)
    return fig


def submission_of(*, filed_late: bool | None, due: dt.date | None, today: dt.date) -> tuple[bool, str]:
    """``(late, submission)`` of a month's report: filed (``filed_late`` its stored flag) ``late`` or
    ``on_time``; not filed (``None``) ``missing`` past the due day, ``pending`` until it, ``not_due``
    for a month outside the programme (``due`` is ``None``)."""
    if filed_late is not None:
        return filed_late, "late" if filed_late else "on_time"
    if due is None:
        return False, "not_due"
    return today > due, "missing" if today > due else "pending"


def plan(*, session: Session) -> list[dict[str, Any]]:
    """附件1 layout: one row per township, per year planned (target) vs done (accepted) and paid."""
    year_targets: dict[str, dict[int, int]] = defaultdict(dict)
    for (town, year), n in targets().items():
        year_targets[town][year] = n
    done: dict[tuple[str, int], int] = Counter()
    paid: dict[tuple[str, int], int] = Counter()
    for town, _tech, inst_on, acc_on, paid_on, _total in _ledger_rows(session):
        if acc_on is not None:
            done[(town, inst_on.year)] += 1
        if paid_on is not None:
            paid[(town, inst_on.year)] += 1
    rows = []
    years = programme_years()
    for (town,) in session.execute(select(Township.name).order_by(Township.id)):
        row: dict[str, Any] = {"township": town}
        for year in years:
            row[f"planned_{year}"] = year_targets[town].get(year, 0)
            row[f"done_{year}"] = done.get((town, year), 0)
            row[f"paid_{year}"] = paid.get((town, year), 0)
        row["planned_total"] = sum(row[f"planned_{y}"] for y in years)
        row["done_total"] = sum(row[f"done_{y}"] for y in years)
        rows.append(row)
    if rows:
        total: dict[str, Any] = {"township": "合计"}
        for k in rows[0]:
            if k != "township":
                total[k] = sum(r[k] for r in rows)
        rows.append(total)
    return rows


def status(*, session: Session) -> dict[str, Any]:
    """Programme status: counts, money paid by source against each envelope, per township and year."""
    households = session.execute(select(func.count()).select_from(Household)
                                 .where(Household.merged_into_id.is_(None))).scalar_one()
    per: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: {
        "installations": 0, "accepted": 0, "paid": 0, "central_paid_cny": 0, "local_paid_cny": 0})
    pay_rows = session.execute(
        select(Payment.installation_id, Payment.central_cny, Payment.local_cny).where(standing())).all()
    pay = {i: (c, lo) for i, c, lo in pay_rows}
    rows = session.execute(
        select(Installation.id, Township.name, Installation.installed_on, Acceptance.id)
        .join(Household, Installation.household_id == Household.id)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
        .where(Installation.void.is_(False))
    ).all()
    for iid, town, inst_on, acc in rows:
        cell = per[(town, inst_on.year)]
        cell["installations"] += 1
        cell["accepted"] += acc is not None
        if iid in pay:
            cell["paid"] += 1
            cell["central_paid_cny"] += int(pay[iid][0])
            cell["local_paid_cny"] += int(pay[iid][1])
    year_targets = targets()
    order = {name: k for k, (name,) in enumerate(session.execute(select(Township.name).order_by(Township.id)))}
    keys = sorted(set(per) | set(year_targets), key=lambda k: (order.get(k[0], len(order)), k[0], k[1]))
    envelopes = envelope_spending(session=session)
    total_target = sum(year_targets.values()) or 1
    by_ty = []
    for t, y in keys:
        row: dict[str, Any] = {"township": t, "year": y, "target": year_targets.get((t, y)), **per.get((t, y), {
            "installations": 0, "accepted": 0, "paid": 0, "central_paid_cny": 0, "local_paid_cny": 0})}
        # the township-year's share of each envelope, in proportion to its target households
        for source, key in (("central", "central_envelope_share_cny"), ("county", "county_envelope_share_cny")):
            if source in envelopes and year_targets.get((t, y)):
                row[key] = envelopes[source]["cap_cny"] * year_targets[(t, y)] // total_target
        by_ty.append(row)
    warnings = envelope_warnings(envelopes)
    return {
        "households": int(households),
        "installations": len(rows),
        "accepted": sum(1 for r in rows if r[3] is not None),
        "paid": len(pay),
        "central_paid_cny": sum(int(c) for c, _ in pay.values()),
        "local_paid_cny": sum(int(lo) for _, lo in pay.values()),
        "total_paid_cny": sum(int(c) + int(lo) for c, lo in pay.values()),
        "envelopes": envelopes,
        "warnings": warnings,
        "by_township_year": by_ty,
    }


def submit_monthly(*, session: Session, township: str, month: str, submitted_on: dt.date, actor: str
                   ) -> dict[str, Any]:
    """File a township's monthly report (computed from the ledger) on ``submitted_on``; late after the 25th.

    Raises
    ------
    Conflict
        The report of that township and month was already filed.
    InputError
        Filed before the month began.
    """
    from cleanheat.errors import Conflict
    from cleanheat.registry import audit

    y, m = parse_month(month)
    t = get_township(session=session, name=township)
    if submitted_on < dt.date(y, m, 1):
        raise InputError(f"the {month} report cannot be filed on {submitted_on}, before the month began",
                         field="submitted_on")
    if session.execute(select(MonthlyReport.id).where(MonthlyReport.township_id == t.id,
                                                      MonthlyReport.month == month)).first():
        raise Conflict(f"{township} already filed its {month} report")
    due = due_on(month)
    if due is None:
        raise InputError(f"{month} is outside the programme: no monthly report is due (不需报送)", field="month")
    fig = monthly_all(session=session, months=[month], townships=[township])[(township, month)]
    late = submitted_on > due
    session.add(MonthlyReport(township_id=t.id, month=month, submitted_on=submitted_on, late=late, figures=fig))
    audit.record(session, actor=actor, action="report.monthly.filed", resource=f"township/{township}",
                 outcome="late" if late else "success", data={"month": month, "submitted_on": submitted_on.isoformat()})
    return {**fig, "submitted_on": submitted_on.isoformat(), "due_on": due.isoformat(),
            "late": late, "submission": "late" if late else "on_time"}


def laggards(*, session: Session, month: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Townships whose report of ``month`` was late or is missing past the 25th (named, 八(三)).

    A month outside the programme has no due report: nobody lags (an empty list). ``today`` defaults
    to the programme's civil date.
    """
    parse_month(month)
    due = due_on(month)
    if due is None:
        return []
    today = today or programme_today()
    filed = {r.township_id: r for r in session.execute(
        select(MonthlyReport).where(MonthlyReport.month == month)).scalars()}
    out = []
    for tid, name in session.execute(select(Township.id, Township.name).order_by(Township.id)):
        r = filed.get(tid)
        if r is None and today > due:
            out.append({"township": name, "month": month, "submission": "missing", "due_on": due.isoformat()})
        elif r is not None and r.late:
            out.append({"township": name, "month": month, "submission": "late", "due_on": due.isoformat(),
                        "submitted_on": r.submitted_on.isoformat()})
    return out


def envelope_warnings(envelopes: dict[str, dict[str, int]]) -> list[str]:
    """Warnings when payments plus outstanding commitments would pass the central or county cap (SPEC §3);
    the one wording, :func:`cleanheat.registry.services.payments.envelope_warnings`."""
    return payment_envelope_warnings(envelopes)
