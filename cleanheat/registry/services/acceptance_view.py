"""What the acceptance (验收) pages read: installations by acceptance state (filtered, paged in the
database), one installation with its inspections and the subsidy its acceptance would make payable, and
why a passed acceptance would be refused, in Chinese and English with the clause.

Read only. The refusal reasons restate the guards of
:func:`cleanheat.registry.services.installations.accept_many` from the same pieces (its dated
parameter :func:`~cleanheat.registry.services.installations.registration_required` and the enterprise
status history :func:`~cleanheat.registry.services.enterprises.status_book`), so that a page can say why
*before* an inspector tries; the service still decides and refuses on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from cleanheat import clock
from cleanheat.codes import technology_label
from cleanheat.errors import InputError, NotFound
from cleanheat.registry.models import (
    Acceptance,
    Enterprise,
    FailedInspection,
    Household,
    Installation,
    Township,
    Village,
)
from cleanheat.registry.services.enterprises import StatusBook, status_book
from cleanheat.registry.services.equipment import equipment_check, equipment_checks, failed_requirements, refusal_text
from cleanheat.registry.services.installations import chunked, decision_records, registration_required

__all__ = [
    "ACCEPTANCE_STATES",
    "ENTERPRISE_STATUS_NAMES",
    "AcceptancePage",
    "AcceptanceRow",
    "awaiting_acceptance",
    "enterprise_codes",
    "equipment_refusals",
    "installation_acceptance",
    "refusal_reasons",
    "registration_required_from",
    "township_names",
]

ACCEPTANCE_STATES = ("awaiting", "failed", "accepted", "all")
"""The lists of the acceptance page: not yet accepted (with or without a failed inspection), only those
whose inspection failed (验收不合格) and not accepted since, accepted, every live installation."""

ENTERPRISE_STATUS_NAMES: dict[str | None, tuple[str, str]] = {
    None: ("尚未申请登记", "not applied for registration"),
    "submitted": ("已申请，尚未登记", "applied for, not registered"),
    "reviewed": ("已评审，尚未登记", "reviewed, not registered"),
    "registered": ("已登记", "registered"),
    "rejected": ("未通过认定", "rejected"),
    "suspended": ("登记暂停", "suspended"),
    "revoked": ("登记已撤销", "revoked"),
}
"""An enterprise's registration state on a date, Chinese and English."""

CLAUSE = "盐政办发〔2022〕8号 四"
GUIDE_CLAUSE = "盐政办发〔2022〕8号 四、附件2"


@dataclass(frozen=True)
class AcceptanceRow:
    """One installation of the acceptance list."""

    installation_id: int
    household_id: str
    name: str
    township: str
    village: str
    technology: str
    technology_label: str
    enterprise_code: str | None
    self_install: bool
    installed_on: dt.date
    invoice_cny: int
    accepted_on: dt.date | None
    failed_inspections: int
    last_inspected_on: dt.date | None
    refusals: list[dict[str, Any]] = field(default_factory=list)
    """Why a passed acceptance would be refused (empty: it can be accepted), see :func:`refusal_reasons`."""


@dataclass(frozen=True)
class AcceptancePage:
    """A page of the acceptance list: its rows, the number of matching installations, the page (1-based)."""

    rows: list[AcceptanceRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def township_names(*, session: Session) -> list[str]:
    """The townships in their stored order (for a filter's choices)."""
    return [n for (n,) in session.execute(select(Township.name).order_by(Township.id))]


def enterprise_codes(*, session: Session) -> list[tuple[str, str]]:
    """(code, name) of every enterprise, by code (for a filter's choices)."""
    return [(c, n) for c, n in session.execute(select(Enterprise.code, Enterprise.name).order_by(Enterprise.code))]


def registration_required_from() -> dt.date | None:
    """The first date from which an enterprise installation must be by a registered enterprise (the dated
    parameter ``yanchi.enterprise.registration_required``; 2022-03-01), or ``None`` if never."""
    from cleanheat.policy.engine import default_tree

    for v in default_tree()["yanchi.enterprise.registration_required"].values:
        if v.value:
            return v.start
    return None


def _refusals(*, void: bool, accepted_on: dt.date | None, self_install: bool, enterprise_id: int | None,
              enterprise_code: str | None, enterprise_name: str | None, installed_on: dt.date,
              book: StatusBook) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if void:
        out.append({"rule": "void", "clause": CLAUSE, "passed": False, "detail": "安装记录已作废，不能验收",
                    "detail_en": "The installation record is void: it cannot be accepted"})
        return out
    if accepted_on is not None:
        out.append({"rule": "already_accepted", "clause": CLAUSE, "passed": False,
                    "detail": f"已于{accepted_on.isoformat()}验收合格，不能重复验收",
                    "detail_en": f"Already accepted on {accepted_on.isoformat()}: an installation is accepted once"})
    if not self_install and enterprise_id is not None and registration_required(installed_on):
        state = book.status_on(enterprise_id, installed_on)
        if state != "registered":
            zh, en = ENTERPRISE_STATUS_NAMES.get(state, (str(state), str(state)))
            since = registration_required_from()
            since_zh = f"（{since.year}年{since.month}月{since.day}日起）" if since else ""
            since_en = f" (from {since.isoformat()})" if since else ""
            who = f"{enterprise_code}（{enterprise_name}）" if enterprise_name else str(enterprise_code)
            out.append({
                "rule": "registered_enterprise", "clause": CLAUSE, "passed": False, "enterprise_status": state,
                "detail": f"{installed_on.isoformat()}由{who}安装，该企业当日{zh}，未经专家组认定登记；"
                          f"方案印发后{since_zh}未经专家组认定登记的企业安装的，一律不予验收及补贴",
                "detail_en": f"Installed on {installed_on.isoformat()} by {enterprise_code}, which was {en} on that "
                             f"date (not registered by the expert panel); after the plan was issued{since_en} an "
                             "installation by an unregistered enterprise is neither accepted nor subsidised",
            })
    return out


def refusal_reasons(*, session: Session, installation_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Installation id → why a passed acceptance of it would be refused now (each reason with ``rule``,
    ``clause``, Chinese ``detail`` and ``detail_en``); an empty list: nothing stands in the way (the date
    must still be on or after the install date and not in the future). Unknown ids are left out.

    The reasons: the record is void; it is already accepted; installed on or after the date from which
    registration is required (2022-03-01) by an enterprise that was not registered on its install date
    (盐政办发〔2022〕8号 四, SPEC §2 decision 6); the stored equipment record fails a mandatory requirement of
    the technical guide (附件2; rule ``equipment``, ``overridable``: the inspector may accept with a reason).
    A failed inspection (heating effect not reached) is never refused for either.
    """
    book = status_book(session=session)
    out: dict[int, list[dict[str, Any]]] = {}
    for chunk in chunked(sorted(set(installation_ids))):
        for r in session.execute(
                select(Installation.id, Installation.void, Installation.self_install, Installation.enterprise_id,
                       Installation.installed_on, Enterprise.code, Enterprise.name, Acceptance.accepted_on)
                .outerjoin(Enterprise, Installation.enterprise_id == Enterprise.id)
                .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
                .where(Installation.id.in_(chunk))):
            out[r.id] = _refusals(void=bool(r.void), accepted_on=r.accepted_on, self_install=bool(r.self_install),
                                  enterprise_id=r.enterprise_id, enterprise_code=r.code, enterprise_name=r.name,
                                  installed_on=r.installed_on, book=book)
    for iid, check in equipment_checks(session, list(out)).items():
        if not any(x["rule"] in ("void", "already_accepted") for x in out[iid]):
            out[iid].extend(equipment_refusals(check))
    return out


def equipment_refusals(check: dict[str, Any]) -> list[dict[str, Any]]:
    """The refusal for an equipment check that fails a mandatory requirement of the guide (附件2): rule
    ``equipment``, ``overridable`` (an inspector may accept with a reason), the failed requirements."""
    if not check.get("failed"):
        return []
    zh, en = refusal_text(check)
    return [{"rule": "equipment", "clause": GUIDE_CLAUSE, "passed": False, "overridable": True, "detail": zh,
             "detail_en": en, "failed": failed_requirements(check)}]


def _filters(session: Session, *, township: str | None, enterprise_code: str | None, state: str,
             household: str | None) -> list[ColumnElement[bool]]:
    if state not in ACCEPTANCE_STATES:
        raise InputError(f"one of {', '.join(ACCEPTANCE_STATES)}, got {state!r}", field="state")
    accepted = select(Acceptance.installation_id)
    failed = select(FailedInspection.installation_id)
    cond: list[ColumnElement[bool]] = [Installation.void.is_(False)]
    if state == "awaiting":
        cond.append(Installation.id.not_in(accepted))
    elif state == "failed":
        cond.extend([Installation.id.not_in(accepted), Installation.id.in_(failed)])
    elif state == "accepted":
        cond.append(Installation.id.in_(accepted))
    if township:
        tid = session.execute(select(Township.id).where(Township.name == township)).scalar()
        if tid is None:
            raise InputError(f"no township {township!r}", field="township")
        cond.append(Village.township_id == tid)
    if enterprise_code:
        eid = session.execute(select(Enterprise.id).where(Enterprise.code == enterprise_code)).scalar()
        if eid is None:
            raise InputError(f"no enterprise {enterprise_code!r}", field="enterprise")
        cond.append(Installation.enterprise_id == eid)
    if household:
        cond.append(Household.household_id.startswith(household.strip(), autoescape=True))
    return cond


def awaiting_acceptance(
    *, session: Session, township: str | None = None, enterprise_code: str | None = None, state: str = "awaiting",
    household: str | None = None, page: int = 1, per_page: int = 50,
) -> AcceptancePage:
    """Live installations by acceptance state (:data:`ACCEPTANCE_STATES`; default: not yet accepted), of
    one township and/or one enterprise, optionally whose household id starts with ``household``, oldest
    installation first; counted and paged in the database.

    Raises
    ------
    InputError
        An unknown state, township or enterprise, or a page below 1.
    """
    if page < 1:
        raise InputError(f"must be ≥ 1, got {page}", field="page")
    if not 1 <= per_page <= 500:
        raise InputError(f"must be 1–500, got {per_page}", field="per_page")
    cond = _filters(session, township=township, enterprise_code=enterprise_code, state=state, household=household)
    base = (select(Installation.id)
            .join(Household, Installation.household_id == Household.id)
            .join(Village, Household.village_id == Village.id)
            .where(and_(*cond)))
    total = int(session.execute(select(func.count()).select_from(base.subquery())).scalar_one())
    fails = (select(FailedInspection.installation_id.label("iid"), func.count().label("n"),
                    func.max(FailedInspection.inspected_on).label("last"))
             .group_by(FailedInspection.installation_id).subquery())
    stmt = (select(Installation.id, Household.household_id, Household.name, Township.name.label("township"),
                   Village.name.label("village"), Installation.technology, Enterprise.code, Installation.self_install,
                   Installation.installed_on, Installation.invoice_cny, Acceptance.accepted_on, fails.c.n,
                   fails.c.last)
            .join(Household, Installation.household_id == Household.id)
            .join(Village, Household.village_id == Village.id)
            .join(Township, Village.township_id == Township.id)
            .outerjoin(Enterprise, Installation.enterprise_id == Enterprise.id)
            .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
            .outerjoin(fails, fails.c.iid == Installation.id)
            .where(and_(*cond))
            .order_by(Installation.installed_on, Installation.id)
            .limit(per_page).offset((page - 1) * per_page))
    found = session.execute(stmt).all()
    refusals = refusal_reasons(session=session, installation_ids=[r[0] for r in found]) if found else {}
    rows = [AcceptanceRow(
        installation_id=r[0], household_id=r[1], name=r[2], township=r[3], village=r[4], technology=r[5],
        technology_label=technology_label(r[5]), enterprise_code=r[6], self_install=bool(r[7]), installed_on=r[8],
        invoice_cny=int(r[9]), accepted_on=r[10], failed_inspections=int(r[11] or 0), last_inspected_on=r[12],
        refusals=[x for x in refusals.get(r[0], []) if x["rule"] != "already_accepted"],
    ) for r in found]
    return AcceptancePage(rows=rows, total=total, page=page, per_page=per_page)


def installation_acceptance(*, session: Session, installation_id: int) -> dict[str, Any]:
    """One installation as the inspector needs it: household, township, method, enterprise (with its
    registration state on the install date), its acceptance or failed inspections (验收不合格), why a passed
    acceptance would be refused, and the rules engine's decision on it (as if accepted today when it is not
    accepted yet: the subsidy its acceptance would make payable, with every reason and clause), and
    ``equipment``: the check of its stored equipment record against the technical guide (附件2;
    :func:`cleanheat.registry.services.equipment.equipment_check`, verdict ``no_record`` without one).

    Raises
    ------
    NotFound
        No such installation.
    """
    from cleanheat.policy.decide import decide_yanchi

    r = session.execute(
        select(Installation, Household.household_id, Household.name, Township.name, Village.name, Enterprise.code,
               Enterprise.name, Acceptance)
        .join(Household, Installation.household_id == Household.id)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .outerjoin(Enterprise, Installation.enterprise_id == Enterprise.id)
        .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
        .where(Installation.id == installation_id)).first()
    if r is None:
        raise NotFound(f"no installation {installation_id}")
    inst, hcode, hname, town, village, ecode, ename, acc = r
    book = status_book(session=session)
    state_on_install = book.status_on(inst.enterprise_id, inst.installed_on) if inst.enterprise_id else None
    failed = [{"inspected_on": f.inspected_on, "inspectors": list(f.inspectors), "note": f.note, "actor": f.actor,
               "id": f.id} for f in session.execute(
        select(FailedInspection).where(FailedInspection.installation_id == installation_id)
        .order_by(FailedInspection.inspected_on, FailedInspection.id)).scalars()]
    today = clock.today()
    decision: dict[str, Any] | None = None
    if not inst.void:
        (rec,) = [x for _, _, x in decision_records(session=session, installation_ids=[installation_id])]
        assumed = rec["accepted_on"] is None
        if assumed:
            rec = {**rec, "accepted_on": max(today, inst.installed_on)}
        (decision,) = decide_yanchi([rec])
        decision = {**decision, "assumed_accepted_on": rec["accepted_on"] if assumed else None}
    refusals = _refusals(void=inst.void, accepted_on=acc.accepted_on if acc else None,
                         self_install=inst.self_install, enterprise_id=inst.enterprise_id, enterprise_code=ecode,
                         enterprise_name=ename, installed_on=inst.installed_on, book=book)
    check = equipment_check(session, installation_id)
    if not inst.void and acc is None:
        refusals.extend(equipment_refusals(check))
    return {
        "installation_id": inst.id, "household_id": hcode, "name": hname, "township": town, "village": village,
        "technology": inst.technology, "technology_label": technology_label(inst.technology),
        "self_install": inst.self_install, "enterprise_code": ecode, "enterprise_name": ename,
        "enterprise_status_on_install": state_on_install,
        "enterprise_status_names": ENTERPRISE_STATUS_NAMES.get(state_on_install, ("", "")) if ecode else ("", ""),
        "installed_on": inst.installed_on, "invoice_cny": int(inst.invoice_cny),
        "with_rooftop_pv": inst.with_rooftop_pv, "void": inst.void,
        "accepted": acc is not None,
        "acceptance": None if acc is None else {
            "id": acc.id, "accepted_on": acc.accepted_on, "inspectors": list(acc.inspectors), "actor": acc.actor,
            "heating_effect_reached": acc.heating_effect_reached},
        "failed_inspections": failed,
        "refusals": refusals,
        "equipment": check,
        "decision": decision,
        "today": today,
    }
