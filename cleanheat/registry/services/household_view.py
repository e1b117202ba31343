"""One household as a clerk needs to see it: fields, status, installations, payment, timeline, and why.

Read only. The decision is the rules engine's, on the same input the payment run builds
(:func:`cleanheat.registry.services.installations.decision_records`, as
:func:`cleanheat.registry.services.payments.pay_accepted` does): for a paid household, the reasons it
was paid on; otherwise the engine's decision today. Only the rules that failed are picked out
(a reason whose ``passed`` is ``False``); an engine that does not mark reasons gives all of them,
labelled so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, joinedload

from cleanheat.errors import NotFound
from cleanheat.registry.models import (
    Acceptance,
    Enterprise,
    FailedInspection,
    Household,
    Installation,
    Payment,
    Ticket,
    Township,
    Village,
)
from cleanheat.registry.services.enterprises import StatusBook
from cleanheat.registry.services.payments import standing

__all__ = ["INSTALLATION_STATE_NAMES", "STATUS_NAMES", "describe_pairs", "household_row", "household_status",
           "household_view", "view_of", "with_installations"]

STATUS_NAMES = {
    "no_installation": "未安装 no installation",
    "pending": "待验收 awaiting acceptance",
    "failed_inspection": "验收不合格 failed inspection",
    "accepted": "已验收待补贴 accepted, to be paid",
    "not_payable": "不予补贴 not payable",
    "paid": "已补贴 paid",
    "reversed": "已追回 subsidy recovered",
    "merged": "已并入其他农户 merged into another record",
    "void": "安装已作废 installation void",
}
"""A household's status in Chinese first, by code."""


def household_status(*, merged: bool, installations: list[dict[str, Any]], paid: bool,
                     decision: dict[str, Any] | None) -> str:
    """The status code of a household (see :data:`STATUS_NAMES`)."""
    if merged:
        return "merged"
    if paid:
        return "paid"
    live = [i for i in installations if not i["void"]]
    if not installations:
        return "no_installation"
    if not live:
        return "void"
    if any(i.get("accepted_on") and i.get("heating_effect_reached") is not False for i in live):
        if decision is not None and decision["status"] != "payable":
            return "not_payable"
        return "accepted"
    if any(i.get("accepted_on") or i.get("failed_inspection") for i in live):
        return "failed_inspection"  # inspected and not passed (验收不合格): not waiting, to be put right
    if decision is not None and decision["status"] == "ineligible":
        return "not_payable"  # acceptance would not make it payable (e.g. an unregistered installer)
    return "pending"


def _failed(reasons: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """(reasons that failed, whether the engine marks them); unmarked: all reasons."""
    marked = any("passed" in r for r in reasons)
    if not marked:
        return list(reasons), False
    return [r for r in reasons if r.get("passed") is False], True


def household_row(*, session: Session, household_id: str) -> tuple[Household, str, str]:
    """The household with ledger id ``household_id``, its village's and its township's names (one query).

    Raises
    ------
    NotFound
        No household with that ledger id.
    """
    row = session.execute(
        select(Household, Village.name, Township.name).join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id).where(Household.household_id == household_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no household {household_id!r}")
    hh, village, township = row
    return hh, village, township


def household_view(*, session: Session, household_id: str, timeline: bool = True) -> dict[str, Any]:
    """A household with status, installations, payment, rules decision (failed rules picked out) and timeline.

    Raises
    ------
    NotFound
        No household with that ledger id.
    """
    hh, village, township = household_row(session=session, household_id=household_id)
    return view_of(session=session, household=hh, village=village, township=township, timeline=timeline)


def view_of(*, session: Session, household: Household, village: str, township: str,
            timeline: bool = True, book: StatusBook | None = None,
            ticket_ids: list[int] | None = None) -> dict[str, Any]:
    """:func:`household_view` of a household already read (:func:`household_row`); ``book`` (the
    enterprises' status history) and ``ticket_ids`` (the household's tickets), when the caller has them
    already, are not read again."""
    from cleanheat.clock import local_time
    from cleanheat.policy.decide import decide_yanchi
    from cleanheat.registry.services.audit_log import entries
    from cleanheat.registry.services.installations import decision_record, decision_records

    hh = household
    merged_into = None
    if hh.merged_into_id is not None:
        merged_into = session.execute(select(Household.household_id)
                                      .where(Household.id == hh.merged_into_id)).scalar_one()
    failed_inspection = exists().where(FailedInspection.installation_id == Installation.id).label("failed")
    rows = session.execute(
        select(Installation, Enterprise.code, Enterprise.name, Acceptance, failed_inspection)
        .outerjoin(Enterprise, Installation.enterprise_id == Enterprise.id)
        .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
        .where(Installation.household_id == hh.id).order_by(Installation.id)
    ).all()
    installs: list[dict[str, Any]] = []
    by_id = {inst.id: (inst, acc) for inst, _, _, acc, _ in rows}
    for inst, code, ename, acc, inspection_failed in rows:
        installs.append({
            "installation_id": inst.id, "method": inst.technology, "installed_on": inst.installed_on.isoformat(),
            "enterprise": code, "enterprise_name": ename, "self_install": inst.self_install,
            "invoice_cny": int(inst.invoice_cny), "with_rooftop_pv": inst.with_rooftop_pv, "void": inst.void,
            "accepted_on": acc.accepted_on.isoformat() if acc else None,
            "heating_effect_reached": acc.heating_effect_reached if acc else None,
            "inspectors": list(acc.inspectors) if acc else [],
            "failed_inspection": bool(inspection_failed),
        })
    pay = session.execute(select(Payment).options(joinedload(Payment.reasons_doc))
                          .where(Payment.household_id == hh.id, standing())).scalar_one_or_none()
    payment = None
    decision: dict[str, Any] | None = None
    if pay is not None:
        payment = {"installation_id": pay.installation_id, "voucher_no": pay.voucher_no,
                   "paid_on": pay.paid_on.isoformat(), "central_cny": int(pay.central_cny),
                   "local_cny": int(pay.local_cny), "total_cny": int(pay.total_cny),
                   "household_share_cny": int(pay.household_share_cny), "actor": pay.actor}
        reasons = list(pay.reasons_doc.body or [])
        decision = {"installation_id": pay.installation_id, "status": "payable", "central_cny": payment["central_cny"],
                    "local_cny": payment["local_cny"], "total_cny": payment["total_cny"],
                    "household_share_cny": payment["household_share_cny"], "reasons": reasons,
                    "basis": "paid"}
    else:
        live = [i for i in installs if not i["void"]]
        # the installation the payment run would take: the first accepted one, else the latest recorded
        accepted = sorted((i for i in live if i["accepted_on"]), key=lambda i: (i["accepted_on"], i["installation_id"]))
        chosen = accepted[0] if accepted else (live[-1] if live else None)
        if chosen is not None:
            if book is not None:  # the record of what was read already (decision_records would read it again)
                inst, acc = by_id[chosen["installation_id"]]
                record = decision_record(
                    household_id=hh.household_id, township=township, heated_area_m2=hh.heated_area_m2,
                    dwelling=hh.dwelling, previously_subsidised=hh.previously_subsidised, technology=inst.technology,
                    enterprise_id=inst.enterprise_id, self_install=inst.self_install,
                    with_rooftop_pv=inst.with_rooftop_pv, installed_on=inst.installed_on, invoice_cny=inst.invoice_cny,
                    accepted_on=acc.accepted_on if acc else None, book=book)
            else:
                record = decision_records(session=session, installation_ids=[chosen["installation_id"]])[0][2]
            (d,) = decide_yanchi([record])
            decision = {"installation_id": chosen["installation_id"], "status": d["status"],
                        "central_cny": int(d["central_cny"]), "local_cny": int(d["local_cny"]),
                        "total_cny": int(d["total_cny"]), "household_share_cny": int(d["household_share_cny"]),
                        "reasons": list(d["reasons"]), "basis": "today"}
    if decision is not None:
        failed, marked = _failed(decision["reasons"])
        decision["failed"] = failed
        decision["failed_marked"] = marked
    status = household_status(merged=merged_into is not None, installations=installs, paid=payment is not None,
                              decision=decision)
    doc: dict[str, Any] = {
        "household_id": hh.household_id, "name": hh.name, "id_number": hh.id_number, "phone": hh.phone,
        "township": township, "village": village, "address": hh.address, "heated_area_m2": hh.heated_area_m2,
        "dwelling": hh.dwelling, "previously_subsidised": hh.previously_subsidised,
        "programme_year": hh.programme_year, "merged_into": merged_into,
        "status": status, "installations": installs, "payment": payment, "decision": decision,
    }
    if timeline:
        tickets = ticket_ids if ticket_ids is not None else list(
            session.execute(select(Ticket.id).where(Ticket.household_id == hh.id)).scalars())
        names = [f"household/{hh.household_id}", *(f"installation/{i['installation_id']}" for i in installs),
                 *(f"ticket/{t}" for t in tickets)]
        events = []
        for e in entries(session, resources=names):
            at = local_time(dt.datetime.fromisoformat(str(e["time"])))
            events.append({"at": at.isoformat(timespec="seconds"), "action": str(e["type"]).removeprefix(
                "cn.cleanheat."), "resource": e["subject"], "actor": e["actor"], "outcome": e["outcome"],
                "why": e["why"], "data": e["data"]})
        doc["timeline"] = events
        doc["tickets"] = tickets
    return doc


def describe_pairs(*, session: Session, pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Suspected duplicate pairs (``a``, ``b`` ledger ids) with both households' name, identity number and
    address beside them (``name_a``, ``id_number_a``, ``address_a``, ``name_b`` …)."""
    codes = sorted({p[k] for p in pairs for k in ("a", "b")})
    info: dict[str, tuple[str, str, str]] = {}
    for start in range(0, len(codes), 10_000):
        chunk = codes[start:start + 10_000]
        for hid, name, idn, addr in session.execute(
                select(Household.household_id, Household.name, Household.id_number, Household.address)
                .where(Household.household_id.in_(chunk))):
            info[hid] = (name, idn, addr)
    out = []
    for p in pairs:
        row = dict(p)
        for side in ("a", "b"):
            name, idn, addr = info.get(p[side], ("", "", ""))
            row[f"name_{side}"], row[f"id_number_{side}"], row[f"address_{side}"] = name, idn, addr
        out.append(row)
    return out


def with_installations(*, session: Session, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Search results (each with ``household_id``) with the household's installations beside them:
    ``installation_ids`` (the ids ``accept`` and ``void`` take), ``method`` and ``state``
    (待验收 / 已验收 / 验收不合格 / 已补贴 / 已作废, per installation)."""
    codes = [r["household_id"] for r in found]
    if not codes:
        return []
    rows = session.execute(
        select(Household.household_id, Installation.id, Installation.technology, Installation.void,
               Acceptance.id, Acceptance.heating_effect_reached, Payment.id)
        .join(Installation, Installation.household_id == Household.id)
        .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
        .outerjoin(Payment, and_(Payment.installation_id == Installation.id, standing()))
        .where(Household.household_id.in_(codes)).order_by(Installation.id)).all()
    per: dict[str, list[tuple[int, str, str]]] = {}
    for hid, iid, tech, void, acc, effect, paid in rows:
        if void:
            state = "void"
        elif paid is not None:
            state = "paid"
        elif acc is not None:
            state = "accepted" if effect is not False else "failed_inspection"
        else:
            state = "pending"
        per.setdefault(hid, []).append((iid, tech, state))
    out = []
    for r in found:
        items = per.get(r["household_id"], [])
        out.append({**r, "installation_ids": [i for i, _, _ in items], "methods": [t for _, t, _ in items],
                    "states": [s for _, _, s in items]})
    return out


INSTALLATION_STATE_NAMES = {"pending": "待验收 pending", "accepted": "已验收 accepted",
                            "failed_inspection": "验收不合格 failed inspection", "paid": "已补贴 paid",
                            "void": "已作废 void"}
"""An installation's state in Chinese first, by code."""
