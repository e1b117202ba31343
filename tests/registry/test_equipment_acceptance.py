"""The equipment record of an installation and acceptance against the technical guide (附件2, issue #11).

The factories' installation is ``ashp_water`` by ENT-A (registered) in an 80 m² brick house. The guide's
thresholds for it (``yanchi.guide.*``, 附件2 二): COP at −20 °C without auxiliary > 1.6, highest supply
temperature at the design outdoor temperature ≥ 55 °C, rated area ≥ 60 m².
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict, InputError, NotFound
from cleanheat.registry.models import Acceptance, AuditEvent, InstallationEquipment
from cleanheat.registry.services import equipment, installations

from . import factories

GOOD: dict[str, Any] = {"equipment_id": "EQ-1", "low_temperature_unit": True, "rated_area_m2": 80,
                        "cop_minus20_no_aux": 2.1, "max_supply_at_design_c": 55, "free_airflow": True,
                        "condensate_drained": True, "emitter": "floor_heating"}
BAD_COP = {**GOOD, "cop_minus20_no_aux": 1.6}
"""1.6 fails "COP > 1.6" (附件2 二、一(一)): the boundary value, strictly greater is required."""


def _one(session: Session, k: int = 1) -> int:
    factories.programme(session)
    return factories.installation(session, factories.household(session, k))


def _audit(session: Session, action: str) -> list[Any]:
    import json

    rows = session.execute(select(AuditEvent).where(AuditEvent.type == f"cn.cleanheat.{action}")
                           .order_by(AuditEvent.seq)).scalars()
    return [json.loads(r.data) if isinstance(r.data, str) else r.data for r in rows]


def test_record_check_and_replace_are_audited(session: Session) -> None:
    """A good record checks compliant; a replacement keeps one row (the new record) and two audit entries,
    the second with the previous record."""
    iid = _one(session)
    check = equipment.record_equipment(session, iid, GOOD, "企业A", "铭牌登记")
    assert check["verdict"] == "compliant" and check["technology"] == "ashp_water" and check["failed"] == []
    again = equipment.record_equipment(session, iid, BAD_COP, "县住建局", "复核铭牌")
    assert again["verdict"] == "non_compliant" and again["failed"] == ["ashp_water.cop_minus20"]
    rows = session.execute(select(InstallationEquipment)).scalars().all()
    assert len(rows) == 1 and rows[0].record["cop_minus20_no_aux"] == 1.6 and rows[0].actor == "县住建局"
    events = _audit(session, "installation.equipment_recorded")
    assert [e["replaced"] for e in events] == [False, True]
    assert events[1]["previous_record"]["cop_minus20_no_aux"] == 2.1
    assert events[1]["failed"] == ["ashp_water.cop_minus20"]
    stored = equipment.equipment_check(session, iid)
    assert stored["verdict"] == "non_compliant" and stored["recorded"] is True
    row = next(r for r in stored["requirements"] if r["requirement"] == "ashp_water.cop_minus20")
    assert row["result"] == "fail" and row["value"] == 1.6 and row["clause"] == "盐政办发〔2022〕8号 附件2 二、一(一)"


def test_bad_records_name_the_field(session: Session) -> None:
    iid = _one(session)
    with pytest.raises(InputError) as exc:
        equipment.record_equipment(session, iid, {**GOOD, "cop": 2}, "县住建局")
    assert "'cop'" in str(exc.value)
    with pytest.raises(InputError, match="technology"):
        equipment.record_equipment(session, iid, {**GOOD, "technology": "gshp"}, "县住建局")
    with pytest.raises(InputError, match="heated_area_m2"):
        equipment.record_equipment(session, iid, {**GOOD, "heated_area_m2": 120}, "县住建局")
    with pytest.raises(InputError, match="free_airflow"):
        equipment.record_equipment(session, iid, {**GOOD, "free_airflow": "yes"}, "县住建局")
    # 10**5000 overflows a float (and str()): an input error, not a crash
    with pytest.raises(InputError, match="tubes"):
        equipment.record_equipment(session, iid, {**GOOD, "tubes": 10**5000}, "县住建局")
    with pytest.raises(NotFound):
        equipment.record_equipment(session, 999, GOOD, "县住建局")
    assert session.execute(select(InstallationEquipment)).first() is None


def test_no_record_is_accepted_and_says_so(session: Session) -> None:
    iid = _one(session)
    assert equipment.equipment_check(session, iid)["verdict"] == "no_record"
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    (entry,) = _audit(session, "installation.accepted")
    assert entry["equipment"] == {"verdict": "no_record"}


def test_not_shown_only_is_accepted_with_its_verdict(session: Session) -> None:
    """Items not shown make the check ``incomplete``, never a refusal."""
    iid = _one(session)
    equipment.record_equipment(session, iid, {"equipment_id": "EQ-2", "low_temperature_unit": True}, "县住建局")
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    (entry,) = _audit(session, "installation.accepted")
    assert entry["equipment"]["verdict"] == "incomplete"
    assert "ashp_water.cop_minus20" in entry["equipment"]["not_shown"]


def test_failing_equipment_is_refused_then_overridden_with_a_reason(session: Session) -> None:
    iid = _one(session)
    equipment.record_equipment(session, iid, BAD_COP, "县住建局")
    with pytest.raises(Conflict) as exc:
        installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="县住建局")
    text = str(exc.value)
    assert "ashp_water.cop_minus20" in text and "附件2 二、一(一)" in text
    assert "COP>1.6" in text and "COP above 1.6" in text
    with pytest.raises(InputError) as no_reason:
        installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="县住建局",
                             override_equipment=True, why="  ")
    assert no_reason.value.field == "why"
    assert session.execute(select(Acceptance)).first() is None
    installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1), actor="检查员甲",
                         override_equipment=True, why="厂家复测COP 1.9，报告附后")
    (entry,) = _audit(session, "installation.accepted")
    override = entry["equipment_override"]
    assert override["by"] == "检查员甲" and override["why"] == "厂家复测COP 1.9，报告附后"
    assert [r["requirement"] for r in override["failed"]] == ["ashp_water.cop_minus20"]
    assert override["failed"][0]["clause"] == "盐政办发〔2022〕8号 附件2 二、一(一)"
    assert entry["equipment"]["verdict"] == "non_compliant"


def test_failed_inspection_is_unaffected_by_the_equipment(session: Session) -> None:
    iid = _one(session)
    equipment.record_equipment(session, iid, BAD_COP, "县住建局")
    row = installations.accept(session=session, installation_id=iid, accepted_on=dt.date(2022, 7, 1),
                               actor="县住建局", heating_effect_reached=False, note="室温不达标")
    assert row.note == "室温不达标"


def test_bulk_accept_refuses_all_when_one_fails(session: Session) -> None:
    """All or nothing: one failing installation in a batch refuses the batch."""
    factories.programme(session)
    a = factories.installation(session, factories.household(session, 1))
    b = factories.installation(session, factories.household(session, 2))
    equipment.record_equipment(session, b, BAD_COP, "县住建局")
    items = [installations.AcceptanceIn(a, dt.date(2022, 7, 1)), installations.AcceptanceIn(b, dt.date(2022, 7, 1))]
    with pytest.raises(Conflict, match=f"installation {b}"):
        installations.accept_many(session=session, items=items, actor="县住建局", audit_each=False)
    assert session.execute(select(Acceptance)).first() is None


def test_acceptance_view_shows_the_check_and_the_overridable_refusal(session: Session) -> None:
    """The inspector's view says *before* an attempt that the equipment stands in the way (rule ``equipment``,
    overridable), in the detail and in the list; a good record stands in no one's way."""
    from cleanheat.registry.services import acceptance_view

    factories.programme(session)
    bad = factories.installation(session, factories.household(session, 1))
    good = factories.installation(session, factories.household(session, 2))
    equipment.record_equipment(session, bad, BAD_COP, "县住建局")
    equipment.record_equipment(session, good, GOOD, "县住建局")
    d = acceptance_view.installation_acceptance(session=session, installation_id=bad)
    assert d["equipment"]["verdict"] == "non_compliant"
    (ref,) = [r for r in d["refusals"] if r["rule"] == "equipment"]
    assert ref["overridable"] and [f["requirement"] for f in ref["failed"]] == ["ashp_water.cop_minus20"]
    reasons = acceptance_view.refusal_reasons(session=session, installation_ids=[bad, good])
    assert [r["rule"] for r in reasons[bad]] == ["equipment"] and reasons[good] == []
    assert acceptance_view.installation_acceptance(session=session, installation_id=good)["equipment"]["verdict"] \
        == "compliant"
