"""The ledger's installed methods as grid records (盐政办发〔2022〕8号 六(四); ``cleanheat grid --registry``).

One record per household that is not merged and has a live installation (its latest): the
township, the heated area, the dwelling and the method installed, in ledger-id order. The ledger
records no envelope or transformer: every house gets ``envelope`` (default ``uninsulated``, the
rural stock before retrofit — an assumption the output states) and no transformer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.registry.models import Household, Installation, Township, Village

__all__ = ["grid_records", "LEDGER_ENVELOPE"]

LEDGER_ENVELOPE = "uninsulated"
"""Envelope class given to ledger households (the ledger has no such column)."""


def grid_records(*, session: Session, envelope: str = LEDGER_ENVELOPE, township: str | None = None
                 ) -> list[dict[str, Any]]:
    """Grid records (:func:`cleanheat.simulate.grid.grid_load` input) of the ledger's live installations."""
    q = (select(Household.household_id, Township.name, Household.heated_area_m2, Household.dwelling,
                Installation.technology, Installation.id)
         .join(Village, Household.village_id == Village.id).join(Township, Village.township_id == Township.id)
         .join(Installation, Installation.household_id == Household.id)
         .where(Household.merged_into_id.is_(None), Installation.void.is_(False))
         .order_by(Household.household_id, Installation.id))
    if township is not None:
        q = q.where(Township.name == township)
    latest: dict[str, dict[str, Any]] = {}
    for hid, town, area, dwelling, tech, _iid in session.execute(q):
        latest[hid] = {"house_id": hid, "site": town, "township": town, "heated_area_m2": float(area),
                       "dwelling": dwelling, "envelope": envelope, "technology": tech}
    return list(latest.values())
