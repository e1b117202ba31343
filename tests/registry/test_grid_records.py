"""The ledger as grid records (``cleanheat grid --registry``): one per household with a live installation,
its latest; merged and void ones left out; the township filter."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cleanheat.registry.services import households, installations
from cleanheat.registry.services.grid_records import grid_records
from cleanheat.simulate.grid import grid_load
from tests.registry import factories as f


def test_grid_records_of_the_ledger(session: Session) -> None:
    f.programme(session)
    f.installation(session, f.household(session, 1))
    two = f.household(session, 2, dwelling="cave", heated_area_m2=70.0)
    old = f.installation(session, two, technology="gas_boiler")
    installations.void(session=session, installation_id=old, actor="乡镇", why="wrong method")
    f.installation(session, two, technology="storage_electric")
    f.household(session, 3)                                       # no installation: not on the grid
    gone = f.installation(session, f.household(session, 4), technology="gshp")
    installations.void(session=session, installation_id=gone, actor="乡镇", why="recorded twice")
    keep = f.household(session, 5)
    f.installation(session, keep)
    f.household(session, 6, name="测试户5", id_number="640323198001010005")
    households.merge(session=session, keep="YC-T-000005", drop="YC-T-000006", actor="专班", why="one household")
    f.installation(session, f.household(session, 7, township="惠安堡镇", village="萌城村"), technology="gshp")
    session.flush()
    recs = grid_records(session=session)
    assert [(r["house_id"], r["technology"], r["township"]) for r in recs] == [
        ("YC-T-000001", "ashp_water", "花马池镇"), ("YC-T-000002", "storage_electric", "花马池镇"),
        ("YC-T-000005", "ashp_water", "花马池镇"), ("YC-T-000007", "gshp", "惠安堡镇")]
    assert recs[1]["dwelling"] == "cave" and recs[1]["heated_area_m2"] == 70.0
    assert all(r["envelope"] == "uninsulated" for r in recs)
    assert [r["house_id"] for r in grid_records(session=session, township="惠安堡镇")] == ["YC-T-000007"]
    out = grid_load(recs)
    assert [(t["name"], t["households"]) for t in out["townships"]] == [("花马池镇", 3), ("惠安堡镇", 1)]
