"""Factories for registry tests: they go through the services, never raw SQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from cleanheat.registry.services import enterprises, households, installations, places


def programme(session: Session) -> None:
    """Townships, targets and envelopes; enterprise ENT-A registered from 2021-03-20, ENT-B only submitted."""
    places.ensure_reference_data(session=session)
    enterprises.create(session=session, code="ENT-A", name="宁夏绿源新能源科技有限公司",
                       submitted_on=dt.date(2021, 3, 1), actor="专家组")
    enterprises.transition(session=session, code="ENT-A", to="reviewed", effective_on=dt.date(2021, 3, 10),
                           actor="专家组")
    enterprises.transition(session=session, code="ENT-A", to="registered", effective_on=dt.date(2021, 3, 20),
                           actor="县住建局")
    enterprises.create(session=session, code="ENT-B", name="盐池县速暖设备经销部",
                       submitted_on=dt.date(2022, 4, 1), actor="专家组")


def household(session: Session, k: int, **over: Any) -> int:
    """Household YC-T-000k in 花马池镇 红井子村; returns its primary key."""
    fields: dict[str, Any] = {
        "household_id": f"YC-T-{k:06d}", "name": f"测试户{k}", "id_number": f"64032319800101{k:04d}",
        "phone": f"1390000{k:04d}", "township": "花马池镇", "village": "红井子村",
        "address": f"花马池镇红井子村{k}号", "heated_area_m2": 80.0, "dwelling": "brick",
    }
    fields.update(over)
    res = households.upsert_many(session=session, items=[households.HouseholdIn(**fields)], actor="乡镇")
    return int(res["ids"][fields["household_id"]])


def installation(session: Session, household_pk: int, *, enterprise: str | None = "ENT-A",
                 technology: str = "ashp_water", installed_on: dt.date = dt.date(2022, 6, 1),
                 invoice_cny: int = 16000) -> int:
    eid = enterprises.get_enterprise(session=session, code=enterprise).id if enterprise else None
    (iid,) = installations.register_installations(session=session, actor="乡镇", items=[
        installations.InstallationIn(household_pk=household_pk, technology=technology, installed_on=installed_on,
                                     invoice_cny=invoice_cny, self_install=enterprise is None, enterprise_id=eid)])
    return iid


def accepted_installation(session: Session, k: int, *, accepted_on: dt.date = dt.date(2022, 7, 1),
                          **kw: Any) -> int:
    hpk = household(session, k)
    iid = installation(session, hpk, **kw)
    installations.accept(session=session, installation_id=iid, accepted_on=accepted_on, actor="县住建局")
    return iid
