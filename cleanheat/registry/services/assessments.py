"""Half-yearly enterprise assessment (绩效考核), 盐政办发〔2022〕8号 八(三).

The plan assesses equipment usage rate, product quality and heating effect every half-year and
revokes the registration of enterprises with poor quality, poor service or many complaints. It
gives no numbers; ours (dated parameters ``yanchi.assessment.*``, read on the half's last day,
documented in docs/architecture.md) are:

- usage rate = share of the enterprise's accepted installations without a ``not_in_use`` ticket;
- product quality = share without a ``quality`` ticket; heating effect = share without a
  ``heating_effect`` ticket; service = share of tickets answered within the response limit;
- revocation when complaints per 100 accepted installations in the half ≥ ``complaints_per_100``
  (3), or quality < ``min_product_quality`` (0.97), or heating effect < ``min_heating_effect``
  (0.97), or service < ``min_service`` (0.80).

A half runs over civil dates of the programme time zone: a ticket opened at 20:00 UTC on 30 June
is opened on 1 July in Yanchi and counts in the second half.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from cleanheat.clock import at_local
from cleanheat.errors import InputError, ParameterError
from cleanheat.parameters import ParameterTree
from cleanheat.policy.programme import value_on
from cleanheat.registry import audit
from cleanheat.registry.models import Acceptance, Enterprise, EnterpriseAssessment, Installation, Ticket
from cleanheat.registry.services import enterprises

__all__ = ["CLAUSE", "CRITERIA", "THRESHOLDS", "assess", "breaches", "parse_half", "thresholds"]

THRESHOLDS = ("complaints_per_100", "min_product_quality", "min_heating_effect", "min_service")
"""The four numbers of the rule, parameters ``yanchi.assessment.<name>``."""
CLAUSE = "盐政办发〔2022〕8号 八(三)"
"""The clause of the half-yearly assessment and of the revocation it leads to."""
CRITERIA = {"complaints_per_100": ("complaints_per_100", ">="), "product_quality": ("min_product_quality", "<"),
            "heating_effect": ("min_heating_effect", "<"), "service": ("min_service", "<")}
"""The revocation rule, figure by figure: the threshold it is held against and the comparison that revokes."""


def breaches(figures: dict[str, float], limits: dict[str, float]) -> dict[str, bool]:
    """Which criterion of the revocation rule each figure breaks (``True``: this figure alone revokes).

    ``figures`` holds ``complaints_per_100``, ``product_quality``, ``heating_effect`` and ``service``;
    ``limits`` the thresholds of :func:`thresholds`. See :data:`CRITERIA`.
    """
    out = {}
    for figure, (limit, op) in CRITERIA.items():
        value, bound = figures[figure], limits[limit]
        out[figure] = value >= bound if op == ">=" else value < bound
    return out


def thresholds(on: dt.date, tree: ParameterTree | None = None) -> dict[str, float]:
    """The assessment thresholds in force on ``on`` (the last day of the half assessed).

    Raises
    ------
    ParameterError
        A threshold is not in force on that date.
    """
    out = {}
    for name in THRESHOLDS:
        value = value_on(f"yanchi.assessment.{name}", on, tree)
        if value is None:
            raise ParameterError(f"parameter yanchi.assessment.{name} has no value in force on {on.isoformat()}")
        out[name] = float(value)
    return out


def parse_half(half: str) -> tuple[dt.date, dt.date]:
    """``2023-H1`` → (2023-01-01, 2023-06-30); ``2023-H2`` → (2023-07-01, 2023-12-31)."""
    try:
        year_s, h = half.split("-")
        year = int(year_s)
        if h.upper() not in ("H1", "H2"):
            raise ValueError
    except ValueError:
        raise InputError(f"expected YYYY-H1 or YYYY-H2, got {half!r}", field="half") from None
    if h.upper() == "H1":
        return dt.date(year, 1, 1), dt.date(year, 6, 30)
    return dt.date(year, 7, 1), dt.date(year, 12, 31)


def assess(*, session: Session, half: str, actor: str, apply: bool = False,
           tree: ParameterTree | None = None) -> list[dict[str, Any]]:
    """Assess every enterprise registered during the half; with ``apply``, store the assessment and revoke
    the registration of those the rule names (audited)."""
    start, end = parse_half(half)
    limits = thresholds(end, tree)
    complaints_per_100, min_quality = limits["complaints_per_100"], limits["min_product_quality"]
    min_heating, min_service = limits["min_heating_effect"], limits["min_service"]
    half = f"{start.year}-H{1 if start.month == 1 else 2}"
    accepted: Counter[int | None] = Counter()
    for eid, in session.execute(
        select(Installation.enterprise_id).join(Acceptance, Acceptance.installation_id == Installation.id)
        .where(Installation.enterprise_id.is_not(None), Acceptance.accepted_on <= end)
    ):
        accepted[eid] += 1
    cats: dict[int, Counter[str]] = defaultdict(Counter)
    complaints: Counter[int] = Counter()
    answered: Counter[int] = Counter()
    on_time: Counter[int] = Counter()
    s_at, after = at_local(start), at_local(end + dt.timedelta(days=1))  # the half: [s_at, after)
    for eid, kind, cat, opened, due, responded, overdue in session.execute(
        select(Ticket.enterprise_id, Ticket.kind, Ticket.category, Ticket.opened_at, Ticket.respond_by,
               Ticket.responded_at, Ticket.overdue).where(Ticket.enterprise_id.is_not(None))
    ):
        if opened >= after or eid is None:
            continue
        cats[eid][cat] += 1  # state of the equipment: everything reported up to the end of the half
        if opened >= s_at:
            if kind == "complaint":
                complaints[eid] += 1
            if due < after:  # tickets whose response was due within the half
                answered[eid] += 1
                on_time[eid] += responded is not None and not overdue
    out: list[dict[str, Any]] = []
    book = enterprises.status_book(session=session)
    for e in session.execute(select(Enterprise).order_by(Enterprise.code)).scalars():
        if book.status_on(e.id, end) not in ("registered", "suspended") and book.status_on(e.id, start) not in (
                "registered", "suspended"):
            continue
        n = accepted.get(e.id, 0)
        c = cats.get(e.id, Counter())
        usage = 1 - c["not_in_use"] / n if n else 1.0
        quality = 1 - c["quality"] / n if n else 1.0
        heating = 1 - c["heating_effect"] / n if n else 1.0
        service = on_time[e.id] / answered[e.id] if answered.get(e.id) else 1.0
        per100 = 100 * complaints.get(e.id, 0) / n if n else 0.0
        broken = breaches({"complaints_per_100": per100, "product_quality": quality, "heating_effect": heating,
                           "service": service}, limits)
        why: list[str] = []
        if broken["complaints_per_100"]:
            why.append(f"{per100:.1f} complaints per 100 installations ≥ {complaints_per_100:g}")
        if broken["product_quality"]:
            why.append(f"product quality {quality:.3f} < {min_quality:g}")
        if broken["heating_effect"]:
            why.append(f"heating effect {heating:.3f} < {min_heating:g}")
        if broken["service"]:
            why.append(f"service {service:.3f} < {min_service:g} (answered within the response limit)")
        out.append({
            "enterprise": e.code, "name": e.name, "half": half, "status": book.status_on(e.id, end),
            "installations": n, "usage_rate": round(usage, 4), "product_quality": round(quality, 4),
            "heating_effect": round(heating, 4), "service": round(service, 4), "complaints": complaints.get(e.id, 0),
            "complaints_per_100": round(per100, 2), "outcome": "revoke" if why else "pass", "why": why,
        })
    if apply:
        session.execute(delete(EnterpriseAssessment).where(EnterpriseAssessment.half == half))
        codes = {e.code: e.id for e in session.execute(select(Enterprise)).scalars()}
        if out:
            session.execute(insert(EnterpriseAssessment), [{
                "enterprise_id": codes[r["enterprise"]], "half": half, "installations": r["installations"],
                "usage_rate": r["usage_rate"], "product_quality": r["product_quality"],
                "heating_effect": r["heating_effect"], "complaints": r["complaints"], "outcome": r["outcome"],
                "details": {"service": r["service"], "why": r["why"]}} for r in out])
        for r in out:
            if r["outcome"] == "revoke":
                e = enterprises.get_enterprise(session=session, code=r["enterprise"])
                if e.status in enterprises.TRANSITIONS and "revoked" in enterprises.TRANSITIONS[e.status]:
                    enterprises.transition(session=session, code=r["enterprise"], to="revoked",
                                           effective_on=end + dt.timedelta(days=1), actor=actor,
                                           why=f"{half} assessment: " + "; ".join(r["why"]))
        audit.record(session, actor=actor, action="enterprise.assessed", resource=f"assessment/{half}",
                     data={"enterprises": len(out), "revoked": [r["enterprise"] for r in out
                                                               if r["outcome"] == "revoke"]})
    return out
