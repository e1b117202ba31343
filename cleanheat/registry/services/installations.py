"""Installations and their acceptance (验收), with the commitments they make against the envelopes.

盐政办发〔2022〕8号 四: acceptance after all equipment is installed and the heating effect is
reached; after the plan was issued, an installation by an enterprise not registered by the expert
panel is not accepted (SPEC §2 decision 6: installed on or after 2022-03-01).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from cleanheat import clock
from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry import audit, bulk
from cleanheat.registry.models import (
    Acceptance,
    Enterprise,
    FailedInspection,
    FundEnvelope,
    FundLedgerEntry,
    Household,
    Installation,
    Township,
    Village,
)
from cleanheat.registry.services.enterprises import StatusBook, status_book

__all__ = [
    "INSTALLATION_FIELDS",
    "AcceptanceIn",
    "InstallationIn",
    "LiveInstallation",
    "accept",
    "accept_many",
    "change_acceptance_dates",
    "chunked",
    "decision_record",
    "decision_records",
    "insert_returning_ids",
    "live_installations",
    "recommit",
    "registration_required",
    "register_installations",
    "standing_payments",
    "update_many",
    "void",
]


@dataclass(frozen=True)
class InstallationIn:
    """An installation to record at a household."""

    household_pk: int
    technology: str
    installed_on: dt.date
    invoice_cny: int
    self_install: bool
    enterprise_id: int | None = None
    with_rooftop_pv: bool = False
    equipment: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AcceptanceIn:
    """An acceptance to record."""

    installation_id: int
    accepted_on: dt.date
    heating_effect_reached: bool = True
    inspectors: tuple[str, ...] = ("县住建局", "乡镇")
    note: str = ""
    override_equipment: bool = False
    """Accept although the stored equipment check fails a mandatory requirement of the guide (附件2); needs a
    reason (``override_why``, else the ``why`` of :func:`accept_many`), recorded in the audit entry."""
    override_why: str = ""


CHUNK = 10_000
"""Largest ``IN (…)`` list sent in one statement (SQLite and PostgreSQL cap bound parameters)."""


def chunked(values: Sequence[int]) -> list[list[int]]:
    """``values`` in lists of at most :data:`CHUNK`."""
    return [list(values[k:k + CHUNK]) for k in range(0, len(values), CHUNK)]


def insert_returning_ids(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``model``'s table; returns their new primary keys in the order of ``rows``.

    Through the driver, without one statement per row (:func:`cleanheat.registry.bulk.insert_returning_ids`:
    on SQLite the keys are numbered from the largest after the insert under the write lock, on PostgreSQL
    taken from the sequence before it). Pending ORM changes are flushed first.
    """
    if not rows:
        return []
    session.flush()
    return bulk.insert_returning_ids(session.connection(), model.__table__, rows)


def registration_required(on: dt.date) -> bool:
    """Whether an enterprise installation made on ``on`` must be by a registered enterprise (dated parameter)."""
    from cleanheat.policy.engine import default_tree

    return bool(default_tree()["yanchi.enterprise.registration_required"].at(on))


def decision_records(
    *, session: Session, installation_ids: Sequence[int] | None = None, accepted: bool = True,
    book: StatusBook | None = None, stmt_filter: Any = None,
) -> list[tuple[int, int, dict[str, Any]]]:
    """(installation id, household pk, rules-engine input record) for installations.

    ``enterprise_registered`` is the enterprise's registration state on the install date, from its
    status history; ``accepted_on`` is the acceptance date (``None`` with ``accepted=False`` or when
    not accepted).
    """
    book = book or status_book(session=session)
    stmt = (
        select(Installation.id, Installation.household_id, Installation.technology, Installation.enterprise_id,
               Installation.self_install, Installation.with_rooftop_pv, Installation.installed_on,
               Installation.invoice_cny, Household.household_id, Household.heated_area_m2, Household.dwelling,
               Household.previously_subsidised, Township.name, Acceptance.accepted_on)
        .join(Household, Installation.household_id == Household.id)
        .join(Village, Household.village_id == Village.id)
        .join(Township, Village.township_id == Township.id)
        .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
        .order_by(Installation.id)
    )
    if stmt_filter is not None:
        stmt = stmt.where(stmt_filter)
    if installation_ids is None:
        statements = [stmt]
    else:
        wanted = sorted(set(installation_ids))
        statements = [stmt.where(Installation.id.in_(chunk)) for chunk in chunked(wanted)]
    out = []
    for row in (r for st in statements for r in session.execute(st)):
        (iid, hpk, tech, eid, self_inst, pv, inst_on, invoice, hcode, area, dwelling, prev, town, acc_on) = row
        out.append((iid, hpk, decision_record(
            household_id=hcode, township=town, heated_area_m2=area, dwelling=dwelling, previously_subsidised=prev,
            technology=tech, enterprise_id=eid, self_install=self_inst, with_rooftop_pv=pv, installed_on=inst_on,
            invoice_cny=invoice, accepted_on=acc_on if accepted else None, book=book)))
    return out


def decision_record(*, household_id: str, township: str, heated_area_m2: float, dwelling: str,
                    previously_subsidised: bool | None, technology: str, enterprise_id: int | None,
                    self_install: bool, with_rooftop_pv: bool, installed_on: dt.date, invoice_cny: int,
                    accepted_on: dt.date | None, book: StatusBook) -> dict[str, Any]:
    """The rules engine's input record of one installation of a household (what :func:`decision_records`
    reads for many): ``enterprise_registered`` is the enterprise's state on the install date in ``book``."""
    return {
        "household_id": household_id,
        "township": township,
        "heated_area_m2": float(heated_area_m2),
        "dwelling": dwelling,
        "technology": technology,
        "with_rooftop_pv": bool(with_rooftop_pv),
        "installed_on": installed_on,
        "self_install": bool(self_install),
        "enterprise_registered": None if enterprise_id is None else book.registered_on(enterprise_id, installed_on),
        "previously_subsidised": bool(previously_subsidised),
        "accepted_on": accepted_on,
        "invoice_cny": int(invoice_cny),
    }


def _envelope_ids(session: Session) -> dict[str, int]:
    return {s: i for i, s in session.execute(select(FundEnvelope.id, FundEnvelope.source))}


def register_installations(
    *, session: Session, items: Sequence[InstallationIn], actor: str, why: str = "", audit_each: bool = True
) -> list[int]:
    """Record installations (one transaction) and commit their subsidy, as the rules engine computes it
    on acceptance, against the central and county envelopes. Returns the new installation ids.

    Raises
    ------
    InputError
        A bad field (technology, invoice, self-install with an enterprise…), naming the item.
    """
    from cleanheat.policy.decide import decide_yanchi

    if not items:
        return []
    for k, it in enumerate(items):
        label = f"installation {k + 1}"
        if it.invoice_cny < 0:
            raise InputError(f"must be ≥ 0, got {it.invoice_cny}", record=label, field="invoice_cny")
        if it.self_install and it.enterprise_id is not None:
            raise InputError("a self-installation has no enterprise", record=label, field="enterprise_code")
        if not it.self_install and it.enterprise_id is None:
            raise InputError("an enterprise installation needs its enterprise", record=label,
                             field="enterprise_code")
    rows = [
        {"household_id": it.household_pk, "technology": it.technology, "enterprise_id": it.enterprise_id,
         "self_install": it.self_install, "with_rooftop_pv": it.with_rooftop_pv, "installed_on": it.installed_on,
         "invoice_cny": int(it.invoice_cny), "equipment": dict(it.equipment), "void": False}
        for it in items
    ]
    ids = insert_returning_ids(session, Installation, rows)
    recs = decision_records(session=session, installation_ids=ids, accepted=False)
    decisions = decide_yanchi([r for _, _, r in recs])
    env = _envelope_ids(session)
    ledger = []
    for (iid, _hpk, rec), d in zip(recs, decisions, strict=True):
        if d["status"] == "ineligible":
            continue
        for source, amount in (("central", d["central_cny"]), ("county", d["local_cny"])):
            if amount:
                ledger.append({"envelope_id": env[source], "kind": "commit", "amount_cny": int(amount),
                               "installation_id": iid, "booked_on": rec["installed_on"]})
    bulk.insert_rows(session.connection(), FundLedgerEntry.__table__, ledger)
    if audit_each:
        codes = {iid: rec["household_id"] for iid, _, rec in recs}
        audit.record_many(session, [
            audit.AuditRecord(actor=actor, action="installation.recorded", resource=f"installation/{iid}", why=why,
                              data={"household_id": codes[iid], "technology": it.technology,
                                    "installed_on": it.installed_on.isoformat(), "invoice_cny": it.invoice_cny})
            for iid, it in zip(ids, items, strict=True)
        ])
    return ids


def accept_many(
    *, session: Session, items: Sequence[AcceptanceIn], actor: str, why: str = "", audit_each: bool = True
) -> list[int]:
    """Record acceptances (one transaction, all or nothing); returns the ids of the rows written, in order.

    An item whose heating effect is reached is a passed acceptance (an ``acceptance`` row; the subsidy becomes
    payable). One whose heating effect is not reached is a failed inspection (验收不合格): a
    ``failed_inspection`` row with its date, inspectors and note; the installation stays unaccepted and
    unpaid, and a later passed acceptance may follow. The ids are of the row in its own table.

    Raises
    ------
    NotFound
        An unknown or void installation.
    Conflict
        Already accepted; an installation made on or after the date from which registration is required by
        an enterprise not registered on its install date (a passed acceptance only); a passed acceptance whose
        stored equipment check fails a mandatory requirement of the guide (附件2) without ``override_equipment``.
    InputError
        Accepted (or inspected) before installed, or in the future; an equipment override without a reason.
    """
    if not items:
        return []
    wanted = sorted({it.installation_id for it in items})
    rows = {
        r.id: r for chunk in chunked(wanted) for r in session.execute(
            select(Installation.id, Installation.installed_on, Installation.self_install, Installation.enterprise_id,
                   Installation.void, Enterprise.code, Acceptance.id.label("acc_id"))
            .outerjoin(Enterprise, Installation.enterprise_id == Enterprise.id)
            .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
            .where(Installation.id.in_(chunk))
        )
    }
    book = status_book(session=session)
    today = clock.today()
    passing = [k for k, it in enumerate(items) if it.heating_effect_reached]
    failing = [k for k, it in enumerate(items) if not it.heating_effect_reached]
    accepted_here: set[int] = set()
    for it in items:
        _check_acceptance(it, rows.get(it.installation_id), book, today, accepted_here=accepted_here)
        if it.heating_effect_reached:
            accepted_here.add(it.installation_id)
    equipment = _equipment_at_acceptance(session, [items[k] for k in passing], why=why, actor=actor, today=today)
    ids: list[int] = [0] * len(items)
    acc_rows = [
        {"installation_id": items[k].installation_id, "accepted_on": items[k].accepted_on,
         "inspectors": list(items[k].inspectors), "heating_effect_reached": True, "actor": actor}
        for k in passing
    ]
    acc_ids = insert_returning_ids(session, Acceptance, acc_rows)
    for k, i in zip(passing, acc_ids, strict=True):
        ids[k] = i
    for k in failing:
        it = items[k]
        res = session.execute(insert(FailedInspection).returning(FailedInspection.id), [{
            "installation_id": it.installation_id, "inspected_on": it.accepted_on, "inspectors": list(it.inspectors),
            "heating_effect_reached": False, "note": it.note, "actor": actor}])
        ids[k] = res.scalar_one()
    events = [
        audit.AuditRecord(actor=actor, action="installation.accepted",
                          resource=f"installation/{items[k].installation_id}", why=why,
                          data={"accepted_on": items[k].accepted_on.isoformat(),
                                "inspectors": list(items[k].inspectors), "acceptance_id": ids[k],
                                **equipment[items[k].installation_id]})
        for k in passing
        # an equipment override is an inspector's single act: always audited, even in a bulk load
        if audit_each or "equipment_override" in equipment[items[k].installation_id]
    ]
    # a failed inspection is always audited: it is a clerk's single act, never a bulk load
    events += [
        audit.AuditRecord(actor=actor, action="installation.inspection_failed",
                          resource=f"installation/{items[k].installation_id}", outcome="failed", why=why,
                          data={"inspected_on": items[k].accepted_on.isoformat(),
                                "inspectors": list(items[k].inspectors), "heating_effect_reached": False,
                                "note": items[k].note, "failed_inspection_id": ids[k]})
        for k in failing
    ]
    if events:
        audit.record_many(session, events)
    return ids


def _equipment_at_acceptance(session: Session, items: Sequence[AcceptanceIn], *, why: str, actor: str,
                             today: dt.date) -> dict[int, dict[str, Any]]:
    """Installation id → what a passed acceptance's audit entry says of the equipment: ``equipment`` (the
    verdict of the stored check at acceptance time, ``no_record`` without one, with the failed and not-shown
    mandatory requirements) and, for an override, ``equipment_override`` (who, when, why, the failed
    requirements with their clauses).

    Raises
    ------
    Conflict
        The stored equipment check fails a mandatory requirement and the inspector does not override (the
        failed requirements with their clauses, Chinese and English).
    InputError
        An override without a reason (field ``why``).
    """
    from cleanheat.registry.services.equipment import NO_RECORD, equipment_checks, failed_requirements, refusal_text

    checks = equipment_checks(session, [it.installation_id for it in items]) if items else {}
    out: dict[int, dict[str, Any]] = {}
    for it in items:
        check = checks.get(it.installation_id)
        if check is None:
            out[it.installation_id] = {"equipment": {"verdict": NO_RECORD}}
            continue
        entry: dict[str, Any] = {"equipment": {"verdict": check["verdict"], "checked_on": check["checked_on"],
                                               "failed": check["failed"], "not_shown": check["not_shown"]}}
        if check["failed"]:
            label = f"installation {it.installation_id}"
            zh, en = refusal_text(check)
            if not it.override_equipment:
                raise Conflict(f"{label}: {zh} / {en}")
            reason = (it.override_why or why).strip()
            if not reason:
                raise InputError("an equipment override needs a reason (why the installation is accepted although "
                                 "its equipment fails the guide)", record=label, field="why")
            entry["equipment_override"] = {"by": actor, "on": today.isoformat(), "why": reason,
                                           "failed": failed_requirements(check)}
        out[it.installation_id] = entry
    return out


def _check_acceptance(it: AcceptanceIn, r: Any, book: StatusBook, today: dt.date, *,
                      accepted_here: set[int]) -> None:
    """Refuse an acceptance (or failed inspection) the registry cannot take, naming the installation."""
    passing = it.heating_effect_reached
    label = f"installation {it.installation_id}"
    if r is None or r.void:
        raise NotFound(f"no installation {it.installation_id}")
    if r.acc_id is not None or it.installation_id in accepted_here:
        raise Conflict(f"{label} is already accepted" + ("" if passing else "; a failed inspection cannot follow"))
    if it.accepted_on < r.installed_on:
        raise InputError(f"{'accepted' if passing else 'inspected'} on {it.accepted_on}, before it was installed on "
                         f"{r.installed_on}", record=label, field="accepted_on")
    if it.accepted_on > today:
        raise InputError(f"{'accepted' if passing else 'inspected'} on {it.accepted_on}, after today ({today})",
                         record=label, field="accepted_on")
    if passing and not r.self_install and registration_required(r.installed_on):
        state = book.status_on(r.enterprise_id, r.installed_on)
        if state != "registered":
            raise Conflict(
                f"{label}: installed on {r.installed_on} by enterprise {r.code}, which was "
                f"{state or 'not registered'} on that date; after the plan was issued an installation by an "
                "enterprise not registered by the expert panel is neither accepted nor subsidised "
                "(盐政办发〔2022〕8号 四)"
            )


def accept(
    *, session: Session, installation_id: int, accepted_on: dt.date | None = None, actor: str,
    heating_effect_reached: bool = True, inspectors: Sequence[str] = ("县住建局", "乡镇"), why: str = "",
    note: str = "", override_equipment: bool = False,
) -> Acceptance | FailedInspection:
    """Record the acceptance inspection (验收) of one installation (``accepted_on`` defaults to today in the
    programme time zone). 盐政办发〔2022〕8号 四.

    Heating effect reached: a passed acceptance (returned :class:`Acceptance`); the subsidy becomes payable.
    Not reached: a failed inspection (验收不合格, returned :class:`FailedInspection`, with ``note``); the
    installation stays unaccepted and not payable until a later passed acceptance.

    A passed acceptance of an installation whose stored equipment record fails a mandatory requirement of the
    technical guide (附件2, :func:`cleanheat.registry.services.equipment.equipment_check`) is refused
    (:class:`Conflict`) unless ``override_equipment`` with a reason (``why``; :class:`InputError` without one).
    """
    on = accepted_on or clock.today()
    (row_id,) = accept_many(session=session, actor=actor, why=why, items=[
        AcceptanceIn(installation_id, on, heating_effect_reached, tuple(inspectors), note,
                     override_equipment=override_equipment, override_why=why)])
    row: Acceptance | FailedInspection | None = (session.get(Acceptance, row_id) if heating_effect_reached
                                                 else session.get(FailedInspection, row_id))
    assert row is not None
    return row


def void(*, session: Session, installation_id: int, actor: str, why: str) -> Installation:
    """Void an installation recorded in error (audited); its commitments stay in the fund ledger but no
    longer count as outstanding.

    Raises
    ------
    NotFound
        No such installation.
    Conflict
        It has been paid, or is already void.
    """
    from cleanheat.registry.services.payments import standing

    inst = session.get(Installation, installation_id)
    if inst is None:
        raise NotFound(f"no installation {installation_id}")
    if inst.void:
        raise Conflict(f"installation {installation_id} is already void")
    from cleanheat.registry.models import Payment

    if session.execute(select(Payment.id).where(Payment.installation_id == installation_id, standing())).first():
        raise Conflict(f"installation {installation_id} has been paid; a paid installation cannot be voided "
                       "(recover the payment first: 追回, `payment reverse`)")
    if not why:
        raise InputError("say why the installation is voided", record=f"installation {installation_id}", field="why")
    inst.void = True
    audit.record(session, actor=actor, action="installation.voided", resource=f"installation/{installation_id}",
                 why=why)
    session.flush()
    return inst


@dataclass(frozen=True)
class LiveInstallation:
    """A live (not void) installation as stored, with its acceptance and its standing payment."""

    id: int
    household_pk: int
    technology: str
    installed_on: dt.date
    invoice_cny: int
    self_install: bool
    enterprise_id: int | None
    enterprise_code: str | None
    with_rooftop_pv: bool
    acceptance_id: int | None
    accepted_on: dt.date | None
    payment_id: int | None
    paid_cny: int | None
    voucher_no: str | None
    paid_on: dt.date | None


def standing_payments(*, session: Session, installation_ids: Sequence[int]) -> dict[int, tuple[int, int, str, dt.date]]:
    """Installation id → (payment id, total CNY, voucher, paid on) of the payment that stands for it (one
    not reversed by a recovery, 追回).

    The one place the import and the amendment ask whether an installation is paid.
    """
    from cleanheat.registry.models import Payment
    from cleanheat.registry.services.payments import standing

    out: dict[int, tuple[int, int, str, dt.date]] = {}
    for chunk in chunked(sorted(set(installation_ids))):
        for pid, iid, total, voucher, on in session.execute(
                select(Payment.id, Payment.installation_id, Payment.total_cny, Payment.voucher_no, Payment.paid_on)
                .where(Payment.installation_id.in_(chunk), standing())
                .order_by(Payment.id)):
            out[iid] = (pid, int(total), voucher, on)
    return out


def live_installations(*, session: Session, household_pks: Sequence[int]) -> dict[int, list[LiveInstallation]]:
    """Household pk → its live installations (by id), each with acceptance and standing payment."""
    found: list[tuple[Any, ...]] = []
    for chunk in chunked(sorted(set(household_pks))):
        found.extend(session.execute(
            select(Installation.id, Installation.household_id, Installation.technology, Installation.installed_on,
                   Installation.invoice_cny, Installation.self_install, Installation.enterprise_id, Enterprise.code,
                   Installation.with_rooftop_pv, Acceptance.id, Acceptance.accepted_on)
            .outerjoin(Enterprise, Installation.enterprise_id == Enterprise.id)
            .outerjoin(Acceptance, Acceptance.installation_id == Installation.id)
            .where(Installation.household_id.in_(chunk), Installation.void.is_(False))
            .order_by(Installation.id)).all())
    paid = standing_payments(session=session, installation_ids=[r[0] for r in found])
    out: dict[int, list[LiveInstallation]] = {}
    for r in found:
        p = paid.get(r[0])
        out.setdefault(r[1], []).append(LiveInstallation(
            r[0], r[1], r[2], r[3], int(r[4]), bool(r[5]), r[6], r[7], bool(r[8]), r[9], r[10],
            *(p if p else (None, None, None, None))))
    return out


INSTALLATION_FIELDS = ("technology", "installed_on", "invoice_cny", "self_install", "enterprise_code",
                       "with_rooftop_pv")
"""Fields of an installation a corrected ledger row may change while it is unpaid."""


def update_many(
    *, session: Session, updates: Sequence[tuple[LiveInstallation, dict[str, tuple[Any, Any]], str]], actor: str,
    why: str = "", action: str = "installation.updated", audit_each: bool = True,
) -> None:
    """Correct unpaid installations: ``(installation, {field: (old, new)}, household ledger id)`` each,
    fields of :data:`INSTALLATION_FIELDS`; audited with old and new values; their commitments follow.

    Raises
    ------
    Conflict
        A paid installation (a paid subsidy is reversed only by an audited recovery, 追回).
    InputError
        A self-installation with an enterprise, an enterprise installation without one, an unknown
        enterprise code, a negative invoice.
    """
    from cleanheat.registry.services.households import audit_changes

    if not updates:
        return
    codes = {new for _, ch, _ in updates for k, (_, new) in ch.items() if k == "enterprise_code" and new}
    ents = {c: i for c, i in session.execute(select(Enterprise.code, Enterprise.id).where(Enterprise.code.in_(codes)))}
    paid = standing_payments(session=session, installation_ids=[li.id for li, _, _ in updates])
    by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for li, ch, hcode in updates:
        label = f"installation {li.id} (household {hcode})"
        if li.id in paid:
            raise Conflict(f"{label} has been paid; it cannot be changed (a paid subsidy is reversed only by an "
                           "audited recovery 追回)")
        unknown = set(ch) - set(INSTALLATION_FIELDS)
        if unknown:
            raise InputError(f"not an installation field: {sorted(unknown)[0]}", record=label, field=sorted(unknown)[0])
        row: dict[str, Any] = {k: new for k, (_, new) in ch.items() if k != "enterprise_code"}
        if "enterprise_code" in ch:
            new_code = ch["enterprise_code"][1]
            if new_code and new_code not in ents:
                raise InputError(f"unknown enterprise {new_code!r}", record=label, field="enterprise_code")
            row["enterprise_id"] = ents[new_code] if new_code else None
        self_install = row.get("self_install", li.self_install)
        enterprise_id = row.get("enterprise_id", li.enterprise_id)
        if self_install and enterprise_id is not None:
            raise InputError("a self-installation has no enterprise", record=label, field="enterprise_code")
        if not self_install and enterprise_id is None:
            raise InputError("an enterprise installation needs its enterprise", record=label, field="enterprise_code")
        if row.get("invoice_cny", 0) < 0:
            raise InputError(f"must be ≥ 0, got {row['invoice_cny']}", record=label, field="invoice_cny")
        by_keys.setdefault(tuple(sorted(row)), []).append({"pk": li.id, **row})
    session.flush()
    for keys, rows in by_keys.items():
        stmt = update(Installation).where(Installation.id == bindparam("pk")).values({k: bindparam(k) for k in keys})
        for start in range(0, len(rows), 5000):
            session.connection().execute(stmt, rows[start:start + 5000])
    session.expire_all()
    if audit_each:
        audit.record_many(session, [
            audit.AuditRecord(actor=actor, action=action, resource=f"installation/{li.id}", why=why,
                              data={"household_id": hcode, "changes": audit_changes(ch)})
            for li, ch, hcode in updates
        ])
    recommit(session=session, installation_ids=[li.id for li, _, _ in updates], actor=actor, why=why,
             audit_each=audit_each)


def change_acceptance_dates(
    *, session: Session, items: Sequence[tuple[LiveInstallation, dt.date, str]], actor: str, why: str = "",
    audit_each: bool = True,
) -> None:
    """Correct the acceptance date of accepted, unpaid installations: ``(installation, new date, household
    ledger id)`` each, audited (``installation.acceptance_corrected``) with the old and new date.

    Raises
    ------
    Conflict
        A paid or unaccepted installation.
    InputError
        The new date before the install date.
    """
    if not items:
        return
    paid = standing_payments(session=session, installation_ids=[li.id for li, _, _ in items])
    rows = []
    for li, new, hcode in items:
        label = f"installation {li.id} (household {hcode})"
        if li.id in paid:
            raise Conflict(f"{label} has been paid; its acceptance date cannot change (a paid subsidy is reversed "
                           "only by an audited recovery 追回)")
        if li.acceptance_id is None:
            raise Conflict(f"{label} is not accepted")
        if new < li.installed_on:
            raise InputError(f"accepted on {new}, before it was installed on {li.installed_on}", record=label,
                             field="accepted_on")
        rows.append({"pk": li.acceptance_id, "accepted_on": new})
    session.flush()
    stmt = update(Acceptance).where(Acceptance.id == bindparam("pk")).values(accepted_on=bindparam("accepted_on"))
    for start in range(0, len(rows), 5000):
        session.connection().execute(stmt, rows[start:start + 5000])
    session.expire_all()
    if audit_each:
        audit.record_many(session, [
            audit.AuditRecord(actor=actor, action="installation.acceptance_corrected", resource=f"installation/{li.id}",
                              why=why, data={"household_id": hcode, "changes": {"accepted_on": {
                                  "old": li.accepted_on.isoformat() if li.accepted_on else None,
                                  "new": new.isoformat()}}})
            for li, new, hcode in items
        ])


def recommit(*, session: Session, installation_ids: Sequence[int], actor: str, why: str = "",
             audit_each: bool = True) -> dict[int, dict[str, tuple[int, int]]]:
    """Bring the commitments of unpaid installations in line with the rules' decision on their current
    data: a ``commit`` entry of the difference per envelope (the fund ledger is never edited), audited
    (``installation.recommitted``) with the old and new commitment. Paid or void ones are left alone.

    Returns installation id → ``{source: (old, new)}`` for those that changed.
    """
    from cleanheat import clock
    from cleanheat.policy.decide import decide_yanchi

    if not installation_ids:
        return {}
    paid = standing_payments(session=session, installation_ids=installation_ids)
    wanted = [i for i in sorted(set(installation_ids)) if i not in paid]
    recs = decision_records(session=session, installation_ids=wanted, accepted=False,
                            stmt_filter=Installation.void.is_(False))
    if not recs:
        return {}
    env = _envelope_ids(session)
    source_of = {v: k for k, v in env.items()}
    held: dict[tuple[int | None, str], int] = defaultdict(int)
    for chunk in chunked([iid for iid, _, _ in recs]):
        for iid, eid, amount in session.execute(
                select(FundLedgerEntry.installation_id, FundLedgerEntry.envelope_id, FundLedgerEntry.amount_cny)
                .where(FundLedgerEntry.installation_id.in_(chunk), FundLedgerEntry.kind == "commit")):
            held[(iid, source_of[eid])] += int(amount)
    decisions = decide_yanchi([r for _, _, r in recs])
    today = clock.today()
    entries = []
    changed: dict[int, dict[str, tuple[int, int]]] = {}
    for (iid, _hpk, _rec), d in zip(recs, decisions, strict=True):
        eligible = d["status"] != "ineligible"
        for source, key in (("central", "central_cny"), ("county", "local_cny")):
            new = int(d[key]) if eligible else 0
            old = held[(iid, source)]
            if new != old:
                entries.append({"envelope_id": env[source], "kind": "commit", "amount_cny": new - old,
                                "installation_id": iid, "booked_on": today})
                changed.setdefault(iid, {})[source] = (old, new)
    bulk.insert_rows(session.connection(), FundLedgerEntry.__table__, entries)
    if audit_each and changed:
        audit.record_many(session, [
            audit.AuditRecord(actor=actor, action="installation.recommitted", resource=f"installation/{iid}", why=why,
                              data={"commitment_cny": {s: {"old": o, "new": n} for s, (o, n) in sorted(ch.items())}})
            for iid, ch in sorted(changed.items())
        ])
    return changed
