"""Reference data of the Yanchi programme: townships, villages, targets per township and year, envelopes.

Targets and programme years are read from the dated parameters (:mod:`cleanheat.policy.programme`:
``yanchi.targets.<year>``, ``yanchi.programme.open``); the ``target`` table is the registry's copy,
brought up to date by :func:`ensure_reference_data`, and reports read the parameters themselves
(:func:`targets`). An envelope's cap is the latest dated value of its parameter, as the budget reads
it (``policy/budget.py``): a cap is one number for the whole programme, and a later decision that
changes it (a new dated value) replaces it for the whole programme.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from cleanheat.errors import InputError, NotFound
from cleanheat.parameters import ParameterTree
from cleanheat.policy import programme
from cleanheat.registry import audit
from cleanheat.registry.models import FundEnvelope, Target, Township, Village

__all__ = ["ENVELOPE_SOURCES", "envelope_cap_cny", "ensure_reference_data", "get_township", "programme_years",
           "targets", "township_ids", "village_id"]

ENVELOPE_SOURCES = ("central", "county", "household")
_ENVELOPE_PARAMETERS = {
    "central": "yanchi.programme.central_envelope_cny",
    "county": "yanchi.programme.county_envelope_cny",
    "household": "yanchi.programme.household_funds_cny",
}


def _tree(tree: ParameterTree | None) -> ParameterTree:
    from cleanheat.policy.engine import default_tree

    return tree if tree is not None else default_tree()


def programme_years(tree: ParameterTree | None = None) -> tuple[int, ...]:
    """The programme's years (2021, 2022, 2023), from ``yanchi.programme.open``: the years a ledger
    row, a plan column or a household's ``programme_year`` may name."""
    return programme.programme_years(tree)


def targets(tree: ParameterTree | None = None) -> dict[tuple[str, int], int]:
    """Households to convert per (township, year), from the dated parameters ``yanchi.targets.<year>``."""
    return {(town, year): n for year, by_town in programme.township_targets(tree).items()
            for town, n in by_town.items()}


def envelope_cap_cny(source: str, tree: ParameterTree | None = None) -> int:
    """The cap of an envelope (``central``, ``county``, ``household``): the latest dated value of its parameter."""
    values = _tree(tree)[_ENVELOPE_PARAMETERS[source]].values
    return int(values[-1].value or 0) if values else 0


def ensure_reference_data(*, session: Session, tree: ParameterTree | None = None, actor: str = "cleanheat") -> None:
    """Create the eight townships, their targets and the three fund envelopes if missing; bring stored
    targets up to date with the parameters.

    Targets and caps are read from the dated parameters (盐政办发〔2022〕8号 二(一), 三(三), 附件1;
    :mod:`cleanheat.policy.programme`); 2021's 3000 households, for which the plan gives no split,
    are split in proportion to each township's 2022 + 2023 targets (largest remainder). A stored
    target that the parameters now give differently is updated (audited, old and new value).
    """
    from cleanheat.policy.rules.yanchi import TOWNSHIPS

    t = _tree(tree)
    existing = {town.name: town for town in session.execute(select(Township)).scalars()}
    for name in TOWNSHIPS:
        if name not in existing:
            existing[name] = Township(name=name)
            session.add(existing[name])
    session.flush()
    have = {(row.township_id, row.year): row for row in session.execute(select(Target)).scalars()}
    split_by_plan = {year: any(k != "total" for k in dict(programme.value_on(f"yanchi.targets.{year}",
                                                                             dt.date(year, 1, 1), t) or {}))
                     for year in programme.township_targets(t)}
    for year, by_town in programme.township_targets(t).items():
        for name, n in by_town.items():
            tid = existing[name].id
            row = have.get((tid, year))
            if row is None:
                session.add(Target(township_id=tid, year=year, households=int(n), planned_in_plan=split_by_plan[year]))
            elif row.households != n:
                old = row.households
                row.households = int(n)
                audit.record(session, actor=actor, action="target.updated", resource=f"township/{name}",
                             why=f"yanchi.targets.{year}", data={"year": year, "old": old, "new": int(n)})
    sources = {e.source for e in session.execute(select(FundEnvelope)).scalars()}
    for source in _ENVELOPE_PARAMETERS:
        if source not in sources:
            session.add(FundEnvelope(source=source, cap_cny=envelope_cap_cny(source, t),
                                     reference="盐政办发〔2022〕8号 二(一)"))
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
