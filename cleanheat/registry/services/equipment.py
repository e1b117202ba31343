"""The equipment record of an installation and its check against the technical guide (附件2), as acceptance
uses it.

盐政办发〔2022〕8号 四 accepts an installation once all equipment is installed and the heating effect is
reached; 附件2 sets what the equipment of each method shall (应) meet. The registry keeps one current equipment
record per installation (``installation_equipment``; a new one replaces the old, each audited as
``installation.equipment_recorded``). :func:`equipment_check` checks the stored record with
:func:`cleanheat.equipment.compliance.check_one`, with the installation's method and the household's heated
area, on the record's ``checked_on`` or else the install date (the guide's thresholds in force when the
equipment was installed). Acceptance (:func:`cleanheat.registry.services.installations.accept_many`)
refuses an installation whose check fails a mandatory requirement, unless the inspector overrides with a
reason (audited).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat import clock
from cleanheat.errors import InputError, NotFound
from cleanheat.registry import audit
from cleanheat.registry.models import Household, Installation, InstallationEquipment

__all__ = ["NO_RECORD", "equipment_check", "equipment_checks", "failed_requirements", "record_equipment",
           "refusal_text"]

NO_RECORD = "no_record"
"""The verdict of an installation without a stored equipment record (accepted as before: nothing to check)."""

AREA_TOLERANCE_M2 = 0.01
"""A record's ``heated_area_m2`` that differs from the household's by more than this [m²] is refused (the
registry's area is the ledger's; a rounding of the record's figure to 0.01 m² is accepted)."""


MAX_NUMBER = 1e15
"""The largest number a record field takes [in the field's unit]: far above any datasheet value, and below the
integers a float cannot hold (the check compares them as floats)."""


def _installation(session: Session, installation_id: int) -> tuple[str, float, dt.date, bool]:
    r = session.execute(
        select(Installation.technology, Household.heated_area_m2, Installation.installed_on, Installation.void)
        .join(Household, Installation.household_id == Household.id)
        .where(Installation.id == installation_id)).first()
    if r is None:
        raise NotFound(f"no installation {installation_id}")
    return str(r[0]), float(r[1]), r[2], bool(r[3])


def _check(record: Mapping[str, Any], *, technology: str, heated_area_m2: float, installed_on: dt.date,
           label: str) -> dict[str, Any]:
    from cleanheat.equipment.compliance import check_one

    return check_one({**record, "technology": technology, "heated_area_m2": heated_area_m2}, on=installed_on,
                     label=label)


def record_equipment(session: Session, installation_id: int, record: Mapping[str, Any], actor: str,
                     why: str = "") -> dict[str, Any]:
    """
    Store the equipment record of an installation (replacing the current one, if any), audited.

    Parameters
    ----------
    session : Session
    installation_id : int
        A live installation.
    record : mapping
        The datasheet and installation values of :data:`cleanheat.equipment.compliance.FIELDS`.
        ``technology`` may be left out (the installation's is used); given, it must be the installation's.
        ``heated_area_m2`` likewise is the household's (a different figure is refused).
    actor, why : str
        Who records it and why (audit log).

    Returns
    -------
    dict
        The equipment check of the stored record (see :func:`equipment_check`).

    Raises
    ------
    NotFound
        No such installation, or a void one.
    InputError
        A bad field, named (unknown name, wrong kind, another method or area than the installation's).
    """
    technology, area, installed_on, void = _installation(session, installation_id)
    if void:
        raise NotFound(f"installation {installation_id} is void")
    label = f"installation {installation_id}"
    if not isinstance(record, Mapping):
        raise InputError(f"must be an object, got {type(record).__name__}", record=label)
    given = record.get("technology")
    if given is not None and given != technology:
        raise InputError(f"the installation's method is {technology}, got {given!r}", record=label,
                         field="technology")
    rec_area = record.get("heated_area_m2")
    if (isinstance(rec_area, int | float) and not isinstance(rec_area, bool)
            and abs(float(rec_area) - area) > AREA_TOLERANCE_M2):
        raise InputError(f"the household's heated area is {area:g} m² (amend the household to change it), got "
                         f"{rec_area!r}", record=label, field="heated_area_m2")
    for key, v in record.items():  # an integer beyond a float (JSON allows it) is bad input, not a crash
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_NUMBER:
            raise InputError(f"must be a number ≥ 0 of at most {MAX_NUMBER:.0e}", record=label, field=str(key))
    stored = {k: v for k, v in record.items() if k not in ("technology", "heated_area_m2") and v is not None}
    check = _check(stored, technology=technology, heated_area_m2=area, installed_on=installed_on, label=label)
    row = session.execute(select(InstallationEquipment)
                          .where(InstallationEquipment.installation_id == installation_id)).scalar_one_or_none()
    today = clock.today()
    replaced = row is not None
    previous = dict(row.record) if row is not None else None
    if row is None:
        row = InstallationEquipment(installation_id=installation_id, record=stored, recorded_on=today, actor=actor)
        session.add(row)
    else:
        row.record, row.recorded_on, row.actor = stored, today, actor
    session.flush()
    data: dict[str, Any] = {"record": stored, "recorded_on": today.isoformat(), "replaced": replaced,
                            "verdict": check["verdict"], "failed": check["failed"], "not_shown": check["not_shown"]}
    if previous is not None:
        data["previous_record"] = previous
    audit.record(session, actor=actor, action="installation.equipment_recorded",
                 resource=f"installation/{installation_id}", why=why, data=data)
    return {**check, "installation_id": installation_id, "recorded": True, "recorded_on": today.isoformat(),
            "actor": actor, "record": stored}


def equipment_checks(session: Session, installation_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Installation id → its equipment check (:func:`equipment_check`), for those that have a stored record
    (one query per 10,000 ids; an installation without a record is left out)."""
    from cleanheat.registry.services.installations import chunked

    out: dict[int, dict[str, Any]] = {}
    for chunk in chunked(sorted(set(installation_ids))):
        for iid, rec, on, actor, tech, area, installed_on in session.execute(
                select(InstallationEquipment.installation_id, InstallationEquipment.record,
                       InstallationEquipment.recorded_on, InstallationEquipment.actor, Installation.technology,
                       Household.heated_area_m2, Installation.installed_on)
                .join(Installation, InstallationEquipment.installation_id == Installation.id)
                .join(Household, Installation.household_id == Household.id)
                .where(InstallationEquipment.installation_id.in_(chunk))):
            check = _check(rec, technology=tech, heated_area_m2=float(area), installed_on=installed_on,
                           label=f"installation {iid}")
            out[iid] = {**check, "installation_id": iid, "recorded": True, "recorded_on": on.isoformat(),
                        "actor": actor, "record": dict(rec)}
    return out


def equipment_check(session: Session, installation_id: int) -> dict[str, Any]:
    """
    The check of an installation's stored equipment record against the technical guide (附件2).

    Returns
    -------
    dict
        :func:`cleanheat.equipment.compliance.check_one` of the stored record with the installation's
        ``technology`` and the household's ``heated_area_m2`` (``verdict``, ``failed``, ``not_shown``,
        ``advice``, ``requirements``), with ``installation_id``, ``recorded`` (True), ``recorded_on``,
        ``actor`` and the ``record``; without a record: ``recorded`` False and ``verdict`` ``"no_record"``.

    Raises
    ------
    NotFound
        No such installation.
    """
    technology, _area, _on, _void = _installation(session, installation_id)
    found = equipment_checks(session, [installation_id])
    if installation_id in found:
        return found[installation_id]
    return {"installation_id": installation_id, "recorded": False, "technology": technology, "verdict": NO_RECORD,
            "failed": [], "not_shown": [], "advice": [], "requirements": [],
            "note": "未登记设备信息：验收不核对设备",
            "note_en": "no equipment record: acceptance does not check the equipment"}


def failed_requirements(check: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The mandatory requirements a check fails: ``requirement``, ``clause``, ``detail`` (Chinese),
    ``detail_en`` and the ``value`` shown."""
    return [{k: r[k] for k in ("requirement", "clause", "detail", "detail_en", "value") if k in r}
            for r in check.get("requirements", []) if r["mandatory"] and r["result"] == "fail"]


def refusal_text(check: Mapping[str, Any]) -> tuple[str, str]:
    """(Chinese, English) of why an acceptance is refused for the equipment, each failed requirement with its
    clause."""
    failed = failed_requirements(check)
    zh = "；".join(f"{r['detail']}（{r['clause']}，{r['requirement']}）" for r in failed)
    en = "; ".join(f"{r['detail_en']} ({r['clause']}, {r['requirement']})" for r in failed)
    return (f"设备不符合技术指南（附件2）的强制性要求：{zh}；须检查人员说明理由方可强制验收",
            f"the equipment fails mandatory requirements of the technical guide (附件2): {en}; an inspector may "
            "accept it only by overriding with a reason")
