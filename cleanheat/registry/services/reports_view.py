"""The monthly township reports (月报表) as a book: every programme month of every township with its due day
and submission, without computing the figures (read only).

The figures of one report are :func:`cleanheat.registry.services.reports.monthly`; the submission
states are those of :func:`cleanheat.registry.services.reports.submission_of` (``on_time``, ``late``,
``missing``, ``pending``; months outside the programme have no report and are not listed).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.clock import today as programme_today
from cleanheat.errors import InputError
from cleanheat.parameters import ParameterTree
from cleanheat.registry.models import MonthlyReport, Township
from cleanheat.registry.services.places import get_township, programme_years
from cleanheat.registry.services.reports import due_on, parse_month, submission_of

__all__ = ["SUBMISSIONS", "programme_months", "report_book"]

SUBMISSIONS = ("on_time", "late", "missing", "pending")
"""The submission states a listed report can have."""


def programme_months(tree: ParameterTree | None = None) -> list[str]:
    """The months (``YYYY-MM``, oldest first) for which a monthly report is due, from the dated parameters."""
    out = []
    for year in programme_years(tree):
        for m in range(1, 13):
            month = f"{year}-{m:02d}"
            if due_on(month, tree) is not None:
                out.append(month)
    return out


def report_book(*, session: Session, township: str | None = None, month: str | None = None,
                submission: str | None = None, today: dt.date | None = None) -> list[dict[str, Any]]:
    """One row per township and programme month (townships in registry order, months newest first):
    ``township``, ``month``, ``due_on``, ``submitted_on``, ``late``, ``submission``.

    A ``month`` asked outside the programme gives no rows. ``today`` (default: the programme's civil
    date) decides ``missing`` against ``pending``.

    Raises
    ------
    NotFound
        An unknown township.
    InputError
        ``month`` is not ``YYYY-MM``; ``submission`` is not one of :data:`SUBMISSIONS`.
    """
    if submission is not None and submission not in SUBMISSIONS:
        raise InputError(f"unknown submission {submission!r}; one of {', '.join(SUBMISSIONS)}", field="submission")
    today = today or programme_today()
    if month is not None:
        parse_month(month)
        months = [month] if due_on(month) is not None else []
    else:
        months = programme_months()[::-1]
    towns: list[tuple[int, str]]
    if township is not None:
        t = get_township(session=session, name=township)
        towns = [(t.id, t.name)]
    else:
        towns = [(tid, name) for tid, name in session.execute(select(Township.id, Township.name)
                                                             .order_by(Township.id))]
    stmt = select(MonthlyReport.township_id, MonthlyReport.month, MonthlyReport.submitted_on, MonthlyReport.late)
    if township is not None:
        stmt = stmt.where(MonthlyReport.township_id == towns[0][0])
    if month is not None:
        stmt = stmt.where(MonthlyReport.month == month)
    filed = {(tid, m): (on, bool(late)) for tid, m, on, late in session.execute(stmt)}
    dues = {m: due_on(m) for m in months}
    out = []
    for tid, name in towns:
        for m in months:
            f = filed.get((tid, m))
            late, state = submission_of(filed_late=None if f is None else f[1], due=dues[m], today=today)
            if submission is not None and state != submission:
                continue
            due = dues[m]
            out.append({"township": name, "month": m, "due_on": due.isoformat() if due else None,
                        "submitted_on": f[0].isoformat() if f else None, "late": late, "submission": state})
    return out
