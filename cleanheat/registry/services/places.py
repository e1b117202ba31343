"""Reference data of the Yanchi programme: townships, villages, targets per township and year, envelopes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.errors import InputError, NotFound
from cleanheat.registry.models import FundEnvelope, Target, Township, Village

__all__ = ["ENVELOPE_SOURCES", "ensure_reference_data", "get_township", "township_ids", "village_id"]

ENVELOPE_SOURCES = ("central", "county", "household")
_ENVELOPE_PARAMETERS = {
    "central": "yanchi.programme.central_envelope_cny",
    "county": "yanchi.programme.county_envelope_cny",
    "household": "yanchi.programme.household_funds_cny",
}


def _tree_value(name: str, on: dt.date) -> Any:
    from cleanheat.policy.engine import default_tree

    return default_tree()[name].at(on)


def ensure_reference_data(*, session: Session) -> None:
    """Create the eight townships, their 2021–2023 targets and the three fund envelopes if missing.

    Targets and caps are read from the dated parameters (盐政办发〔2022〕8号 二(一), 三(三), 附件1);
    2021's 3000 households, for which the plan gives no split, are split in proportion to each
    township's 2022 + 2023 targets (largest remainder).
    """
    from cleanheat.demo.yanchi import township_year_targets
    from cleanheat.policy.rules.yanchi import TOWNSHIPS

    existing = {t.name: t for t in session.execute(select(Township)).scalars()}
    for name in TOWNSHIPS:
        if name not in existing:
            existing[name] = Township(name=name)
            session.add(existing[name])
    session.flush()
    have = {(t.township_id, t.year) for t in session.execute(select(Target)).scalars()}
    for year, by_town in township_year_targets().items():
        for name, n in by_town.items():
            tid = existing[name].id
            if (tid, year) not in have:
                session.add(Target(township_id=tid, year=year, households=int(n), planned_in_plan=year != 2021))
    sources = {e.source for e in session.execute(select(FundEnvelope)).scalars()}
    for source, pname in _ENVELOPE_PARAMETERS.items():
        if source not in sources:
            cap = _tree_value(pname, dt.date(2022, 3, 1))
            session.add(FundEnvelope(source=source, cap_cny=int(cap or 0), reference="盐政办发〔2022〕8号 二(一)"))
    session.flush()


def township_ids(*, session: Session) -> dict[str, int]:
    """Township name → id."""
    return {name: tid for tid, name in session.execute(select(Township.id, Township.name))}


def get_township(*, session: Session, name: str) -> Township:
    """The township called ``name`` (NotFound lists the known ones)."""
    t = session.execute(select(Township).where(Township.name == name)).scalar_one_or_none()
    if t is None:
        known = "、".join(sorted(township_ids(session=session)))
        raise NotFound(f"no township {name!r}; known: {known}")
    return t


def village_id(*, session: Session, township: str, village: str, cache: dict[tuple[str, str], int] | None = None,
               towns: dict[str, int] | None = None) -> int:
    """Id of a village of a township, created on first use."""
    key = (township, village)
    if cache is not None and key in cache:
        return cache[key]
    towns = towns if towns is not None else township_ids(session=session)
    if township not in towns:
        raise InputError(f"unknown township {township!r}", field="township")
    tid = towns[township]
    vid = session.execute(select(Village.id).where(Village.township_id == tid, Village.name == village)).scalar()
    if vid is None:
        v = Village(township_id=tid, name=village)
        session.add(v)
        session.flush()
        vid = v.id
    if cache is not None:
        cache[key] = vid
    return vid
