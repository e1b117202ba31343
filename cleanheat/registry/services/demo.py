"""A deterministic synthetic programme in the registry: ``cleanheat demo load``.

27,000 Yanchi households from :func:`cleanheat.demo.yanchi.generate_households` (township × year
totals as SPEC §3), thirty registered enterprises plus three that were rejected, revoked or never
registered (they carry the generator's unregistered installations), installations, acceptances that
pass the registry's guards, monthly payment runs through the payment service, after-sales tickets and
complaints (opened during office hours in the programme time zone) with their history of stage changes
(assigned, responded, resolved, closed; audited as the CLI's), monthly township reports, and
about two hundred Beijing projects decided by the rules engine.

One enterprise, :data:`POOR_SERVICE` (ENT-12), answers its tickets slowly; the 2023-H2 assessment is
run through the assessment service (with ``apply``) at the end of the load, and it is that run that
revokes ENT-12's registration, as it would in the county.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cleanheat.clock import at_local
from cleanheat.errors import Conflict
from cleanheat.registry import audit
from cleanheat.registry.db import refresh_statistics
from cleanheat.registry.models import (
    Acceptance,
    Enterprise,
    EnterpriseStatus,
    Household,
    Installation,
    MonthlyReport,
    Township,
    Village,
)
from cleanheat.registry.services import assessments, beijing, installations, payments, places, reports, tickets
from cleanheat.registry.services.households import normalise_phone

__all__ = ["POOR_SERVICE", "ROGUE_ENTERPRISES", "demo_tickets", "load_demo"]

REGISTERED_ON = dt.date(2021, 3, 20)
ROGUE_ENTERPRISES: dict[str, tuple[str, list[tuple[str, dt.date]]]] = {
    "ENT-31": ("盐池县速暖设备经销部", [("submitted", dt.date(2021, 3, 1)), ("rejected", dt.date(2021, 3, 20))]),
    "ENT-32": ("宁夏暖通安装有限公司", [("submitted", dt.date(2021, 3, 1)), ("reviewed", dt.date(2021, 3, 10)),
                                    ("registered", REGISTERED_ON), ("suspended", dt.date(2022, 5, 1)),
                                    ("revoked", dt.date(2022, 7, 1))]),
    "ENT-33": ("吴忠市新能热力科技有限公司", [("submitted", dt.date(2022, 4, 1)), ("reviewed", dt.date(2022, 5, 1))]),
}
"""Enterprises that were not registered when they installed (rejected, revoked, still in review)."""
POOR_SERVICE = "ENT-12"
"""A registered enterprise with slow service and more complaints: the 2023-H2 assessment revokes it."""
ASSESSED_HALF = "2023-H2"
"""The half the demo assesses at the end of its load (with ``apply``)."""
PAY_LAG_DAYS = 25
TICKETS_UNTIL = dt.date(2024, 1, 31)
"""The demo's last day: no ticket is opened, answered or closed after it."""


def _enterprise_name(code: str) -> str:
    k = int(code.split("-")[1])
    stems = ("绿源", "暖阳", "金太阳", "塞上", "宁安", "清风", "光明", "恒温", "北方", "西夏")
    kinds = ("新能源科技有限公司", "热能设备有限公司", "暖通工程有限公司")
    return f"宁夏{stems[k % len(stems)]}{kinds[k % len(kinds)]}"


def _rogue_for(installed_on: dt.date, k: int) -> str:
    if installed_on < dt.date(2022, 3, 1):
        return "ENT-31"
    options = ["ENT-31"]
    if installed_on >= dt.date(2022, 5, 1):
        options.append("ENT-33")
    if installed_on >= dt.date(2022, 7, 1):
        options.append("ENT-32")
    return options[k % len(options)]


def _insert_enterprises(session: Session, codes: list[str], actor: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    history: list[dict[str, Any]] = []
    for code in codes:
        if code in ROGUE_ENTERPRISES:
            name, steps = ROGUE_ENTERPRISES[code]
        else:
            name = _enterprise_name(code)
            steps = [("submitted", dt.date(2021, 3, 1)), ("reviewed", dt.date(2021, 3, 10)),
                     ("registered", REGISTERED_ON)]
        e = Enterprise(code=code, name=name, status=steps[-1][0])
        session.add(e)
        session.flush()
        ids[code] = e.id
        for status, on in steps:
            history.append({"enterprise_id": e.id, "status": status, "effective_on": on, "actor": actor,
                            "why": "demo programme"})
    session.execute(insert(EnterpriseStatus), history)
    return ids


RESPONSE_NOTES = {"quality": "已上门检查设备", "service": "已电话联系农户并预约上门",
                  "heating_effect": "已上门调试温控", "not_in_use": "已回访并指导农户使用",
                  "other": "已联系农户了解情况"}
"""What the enterprise writes when it answers a ticket, by category (synthetic)."""
RESOLVED_NOTES = {"quality": "已更换部件，设备恢复正常", "service": "已按约上门服务", "heating_effect": "室温已达标",
                  "not_in_use": "农户已恢复使用", "other": "问题已处理"}
"""What the enterprise writes when it resolves a ticket, by category (synthetic)."""
CLOSED_NOTE = "回访农户，问题已解决，工单关闭"
ASSIGNED_NOTE = "派给安装企业"


def _ticket_steps(hist: np.random.Generator, *, opened: dt.datetime, responded: dt.datetime | None,
                  closed: dt.datetime | None, end: dt.datetime, clerk: str, fixer: str,
                  category: str) -> list[tickets.Step]:
    """A ticket's stage changes after its opening: most are assigned to the enterprise by the township's clerk
    first; the enterprise responds (``responded``) and resolves; the clerk closes it after a return visit
    (``closed``). A responded ticket not closed is resolved, awaiting the visit, about half the time. The
    draws come from ``hist`` (a fixed number per ticket), the instants never pass ``end``."""
    u_assign, u_when, u_resolve, u_days = hist.random(4)
    steps: list[tickets.Step] = []
    if u_assign < 0.75:
        if responded is not None:
            at = opened + (responded - opened) * (0.1 + 0.4 * u_when)
        else:
            at = min(opened + dt.timedelta(hours=0.5 + 7.5 * u_when), end)
        steps.append(tickets.Step("assigned", at, clerk, ASSIGNED_NOTE))
    if responded is None:
        return steps
    steps.append(tickets.Step("responded", responded, fixer, RESPONSE_NOTES[category]))
    if closed is not None:
        resolved = responded + (closed - responded) * (0.3 + 0.6 * u_days)
    elif u_resolve < 0.5:
        resolved = responded + dt.timedelta(days=1 + 9 * u_days)
        if resolved > end:
            return steps
    else:
        return steps
    steps.append(tickets.Step("resolved", resolved, fixer, RESOLVED_NOTES[category]))
    if closed is not None:
        steps.append(tickets.Step("closed", closed, clerk, CLOSED_NOTE))
    return steps


def demo_tickets(*, session: Session, rng: np.random.Generator, share: float = 0.05,
                 poor_service: str = POOR_SERVICE, history: np.random.Generator | None = None) -> int:
    """Synthetic tickets and complaints on accepted installations, opened between 09:00 and 18:00 in the
    programme time zone, with their history: the township's clerk (``<乡镇>专员``) opens and assigns them, the
    installing enterprise (its code; the clerk for a self-installation) responds and resolves, the clerk closes
    them after a return visit (:func:`_ticket_steps`). The enterprise ``poor_service`` answers slowly and draws
    more complaints. Recorded through :func:`cleanheat.registry.services.tickets.record_histories`: the
    workflow's rules and an audit entry per stage change, as the CLI and the web record them. ``rng`` draws
    the tickets (their openings, response and closing times), ``history`` (default: seeded from nothing
    else) the steps in between, so the tickets stay the same whatever the history adds."""
    rows = session.execute(
        select(Installation.id, Acceptance.accepted_on, Enterprise.code, Township.name)
        .join(Acceptance, Acceptance.installation_id == Installation.id)
        .join(Household, Household.id == Installation.household_id)
        .join(Village, Village.id == Household.village_id).join(Township, Township.id == Village.township_id)
        .outerjoin(Enterprise, Enterprise.id == Installation.enterprise_id).order_by(Installation.id)
    ).all()
    if not rows:
        return 0
    hist = history if history is not None else np.random.default_rng(0)
    n = int(len(rows) * share)
    picks = np.sort(rng.choice(len(rows), size=n, replace=False))
    end = at_local(TICKETS_UNTIL, dt.time(18))
    out: list[tickets.History] = []
    for k in picks.tolist():
        iid, acc, code, town = rows[k]
        opened = at_local(acc, dt.time(9)) + dt.timedelta(days=int(rng.integers(5, 200)),
                                                          hours=int(rng.integers(0, 9)))
        if opened > end:
            opened = end - dt.timedelta(days=int(rng.integers(1, 25)))
        bad = code == poor_service
        kind = "complaint" if rng.random() < (0.7 if bad else 0.35) else "service"
        cat = str(rng.choice(tickets.CATEGORIES, p=[.35, .2, .25, .1, .1] if bad else [.25, .15, .2, .15, .25]))
        lag_h = float(rng.exponential(60 if bad else 8))
        responded = opened + dt.timedelta(hours=lag_h) if rng.random() < (0.9 if bad else 0.99) else None
        closed = responded + dt.timedelta(days=int(rng.integers(1, 10))) if responded and rng.random() < 0.8 else None
        if responded and responded > end:
            responded, closed = None, None
        if closed and closed > end:
            closed = None
        clerk = f"{town}专员"
        steps = _ticket_steps(hist, opened=opened, responded=responded, closed=closed, end=end, clerk=clerk,
                              fixer=code or clerk, category=cat)
        out.append(tickets.History(installation_id=iid, kind=kind, category=cat, description=f"demo {cat}",
                                   opened_at=opened, opened_by=clerk, steps=steps))
    return len(tickets.record_histories(session=session, items=out))


def _beijing_records(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    zones = ("city_sub_center", "daxing_airport", "expo_2019", "huairou_science_city", "future_science_city",
             "zhongguancun_etdz", "plain_new_towns", "ecological_conservation")
    zone_p = np.array([4.5, 3.0, 0.2, 2.0, 2.0, 2.8, 4.0, 1.5])
    sources = ("shallow_ground", "reclaimed_water", "sewage", "waste_heat", "deep_geothermal")
    source_p = np.array([0.45, 0.15, 0.12, 0.18, 0.10])
    kinds = ("new_build", "expansion", "coal_boiler_retrofit", "oil_boiler_retrofit", "rural_whole_village_coal",
             "urban_community_coal")
    kind_p = np.array([0.45, 0.12, 0.18, 0.05, 0.12, 0.08])
    out = []
    for k in range(n):
        source = sources[rng.choice(len(sources), p=source_p)]
        kind = kinds[rng.choice(len(kinds), p=kind_p)]
        area = float(round(rng.uniform(8_000, 300_000), -2))
        per_m2 = rng.uniform(180, 420)
        total = area * per_m2
        inv: dict[str, int] = {}
        share = {"heat_pump_units": 0.28, "machine_room": 0.08, "primary_network": 0.12, "controls_monitoring": 0.03,
                 "secondary_network": 0.10, "indoor_terminals": 0.12, "other": 0.05}
        intake = {"shallow_ground": "ground_loop", "reclaimed_water": "water_intake", "sewage": "water_intake",
                  "waste_heat": "waste_heat_intake", "deep_geothermal": "wells"}[source]
        share[intake] = 0.22
        if rng.random() < 0.2:
            share["thermal_storage"] = 0.04
        for item, s in share.items():
            inv[item] = int(round(total * s, -3))
        applied = dt.date(2019, 9, 1) + dt.timedelta(days=int(rng.integers(0, 1300)))
        rec: dict[str, Any] = {
            "project_id": f"BJ-{k + 1:04d}",
            "zone": zones[rng.choice(len(zones), p=zone_p / zone_p.sum())],
            "source": source,
            "kind": kind,
            "government_invested": bool(rng.random() < 0.08),
            "self_funded": bool(rng.random() < 0.06),
            "main_project_specifies_heat_pump": bool(rng.random() < 0.15),
            "heated_area_m2": area,
            "investment_cny": inv,
            "permits": {"mining": bool(rng.random() < 0.85), "water_extraction": bool(rng.random() < 0.85)},
            "ground_heat_balance_ok": bool(rng.random() < 0.92) if source == "shallow_ground" else None,
            "enterprise_dishonest": bool(rng.random() < 0.03),
            "applied_on": applied.isoformat(),
        }
        out.append(rec)
    return out


def load_demo(*, session: Session, seed: int = 0, actor: str = "demo", pay: bool = True,
              n_households: int = 27000, n_beijing: int = 200,
              progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Fill an empty registry with the synthetic programme (one transaction); returns what was loaded.

    ``progress(done, total)`` is called after each of seven steps (households, installations,
    acceptances, payments, tickets, reports, Beijing projects).

    Raises
    ------
    Conflict
        If the registry already holds households, enterprises or projects.
    """
    from cleanheat.demo.yanchi import ENTERPRISE_CODES, generate_households

    def step(k: int) -> None:
        if progress is not None:
            progress(k, 7)

    for model in (Household, Enterprise):
        if session.execute(select(model.id).limit(1)).first() is not None:
            raise Conflict("the registry is not empty; `cleanheat demo load` fills an empty database only")
    rng = np.random.default_rng(seed + 1_000_003)
    places.ensure_reference_data(session=session)
    records = generate_households(seed=seed, n=n_households)

    codes = list(ENTERPRISE_CODES) + list(ROGUE_ENTERPRISES)
    ent_ids = _insert_enterprises(session, codes, actor)

    towns = places.township_ids(session=session)
    villages: dict[tuple[str, str], int] = {}
    for rec in records:
        key = (rec["township"], rec["village"])
        if key not in villages:
            v = Village(township_id=towns[rec["township"]], name=rec["village"])
            session.add(v)
            villages[key] = -1
    session.flush()
    for vid, tid, name in session.execute(select(Village.id, Village.township_id, Village.name)):
        for tname, t_id in towns.items():
            if t_id == tid:
                villages[(tname, name)] = vid

    hh_rows = [
        {"household_id": r["household_id"], "name": r["name"], "id_number": r["id_number"], "phone": r["phone"],
         "phone_normalised": normalise_phone(r["phone"]), "village_id": villages[(r["township"], r["village"])],
         "address": r["address"], "heated_area_m2": float(r["heated_area_m2"]), "dwelling": r["dwelling"],
         "previously_subsidised": bool(r["previously_subsidised"]), "programme_year": int(r["year"])}
        for r in records
    ]
    hh_ids = installations.insert_returning_ids(session, Household, hh_rows)
    step(1)

    items = []
    for k, (r, hpk) in enumerate(zip(records, hh_ids, strict=True)):
        inst_on = dt.date.fromisoformat(r["installed_on"])
        if r["self_install"]:
            eid = None
        elif r["enterprise_registered"] is False:
            eid = ent_ids[_rogue_for(inst_on, k)]
        else:
            eid = ent_ids[r["enterprise_code"]]
        items.append(installations.InstallationIn(
            household_pk=hpk, technology=r["technology"], installed_on=inst_on, invoice_cny=int(r["invoice_cny"]),
            self_install=bool(r["self_install"]), enterprise_id=eid, with_rooftop_pv=bool(r["with_rooftop_pv"]),
            equipment={"method": r["technology"]},
        ))
    inst_ids = installations.register_installations(session=session, items=items, actor=actor, audit_each=False)
    step(2)

    book_rows = session.execute(select(EnterpriseStatus.enterprise_id, EnterpriseStatus.effective_on,
                                       EnterpriseStatus.id, EnterpriseStatus.status)).all()
    from cleanheat.registry.services.enterprises import StatusBook

    book = StatusBook([(a, b, c, d) for a, b, c, d in book_rows])
    acceptances = []
    refused = 0
    for r, it, iid in zip(records, items, inst_ids, strict=True):
        if not r["accepted_on"]:
            continue
        if (not it.self_install and installations.registration_required(it.installed_on)
                and it.enterprise_id is not None and not book.registered_on(it.enterprise_id, it.installed_on)):
            refused += 1  # the guard would refuse it: left unaccepted
            continue
        acceptances.append(installations.AcceptanceIn(iid, dt.date.fromisoformat(r["accepted_on"])))
    installations.accept_many(session=session, items=acceptances, actor=actor, audit_each=False)
    step(3)

    paid = payments.PayResult()
    if pay:
        by_month: dict[dt.date, list[int]] = defaultdict(list)
        last_run = dt.date(2023, 12, 20)
        for acc in acceptances:
            due = acc.accepted_on + dt.timedelta(days=PAY_LAG_DAYS)
            run = dt.date(due.year, due.month, 20)
            if run <= last_run:
                by_month[run].append(acc.installation_id)
        for run in sorted(by_month):
            run_result = payments.pay_accepted(session=session, actor="县住建局财务", paid_on=run,
                                        installation_ids=by_month[run], why="monthly payment run (demo)")
            paid.paid += run_result.paid
            paid.total_cny += run_result.total_cny
            paid.central_cny += run_result.central_cny
            paid.local_cny += run_result.local_cny

    step(4)
    n_tickets = demo_tickets(session=session, rng=rng, history=np.random.default_rng([seed, 2]))
    step(5)

    # monthly reports, submitted around the 25th (some late)
    n_reports = 0
    report_rows = []
    months = [f"{y}-{m:02d}" for y in places.programme_years() for m in range(1, 13)
              if reports.due_on(f"{y}-{m:02d}") is not None]
    figures = reports.monthly_all(session=session, months=months)
    tid_by_name = places.township_ids(session=session)
    for (town, month), fig in sorted(figures.items()):
        y, m = (int(x) for x in month.split("-"))
        day = int(rng.choice([15, 18, 20, 22, 23, 24, 25, 25, 26, 28], p=[.1, .1, .15, .15, .1, .1, .1, .1, .05, .05]))
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        submitted = dt.date(y, m, day) if day <= 28 else nxt - dt.timedelta(days=1)
        report_due = reports.due_on(month)
        late = report_due is not None and submitted > report_due
        report_rows.append({"township_id": tid_by_name[town], "month": month, "submitted_on": submitted,
                            "late": late, "figures": fig})
        n_reports += 1
    if report_rows:
        session.execute(insert(MonthlyReport), report_rows)

    step(6)
    bj = beijing.record_projects(session=session, records=_beijing_records(rng, n_beijing), actor=actor,
                                 audit_each=False)
    beijing.ensure_zone_targets(session=session)
    step(7)

    # the half-yearly assessment, run as the county runs it: it revokes the registration it names
    assessed = assessments.assess(session=session, half=ASSESSED_HALF, actor="县清洁取暖领导小组", apply=True)
    refresh_statistics(session)

    summary = {
        "seed": seed,
        "households": len(hh_ids),
        "enterprises": len(codes),
        "installations": len(inst_ids),
        "accepted": len(acceptances),
        "acceptance_refused_unregistered": refused,
        "paid": paid.paid,
        "paid_cny": paid.total_cny,
        "tickets": n_tickets,
        "monthly_reports": n_reports,
        "beijing_projects": bj,
        "revoked_by_assessment": [r["enterprise"] for r in assessed if r["outcome"] == "revoke"],
        "townships": len(session.execute(select(Township.id)).all()),
    }
    audit.record(session, actor=actor, action="demo.loaded", resource="programme/yanchi",
                 why="synthetic demonstration programme", data=summary)
    return summary
