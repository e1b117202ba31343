"""Programme facts of Yanchi read from the dated parameters: the programme years and the township targets.

The registry, the demo generator and the reports take these from here, so a new dated value (or a
reform's override) of ``yanchi.programme.open`` or ``yanchi.targets.<year>`` changes what all of them
read; nothing keeps its own copy.

- Programme years: the calendar years in which ``yanchi.programme.open`` (read on the installation
  date) is true on at least one day — 2021, 2022 and 2023 (盐政办发〔2022〕8号 二(一): 分三年实施
  （2021 年—2023 年）).
- Township targets: ``yanchi.targets.<year>`` (三(三), 附件1) for each programme year, read on 1 January
  of that year. A year whose parameter gives only a ``total`` (2021: 3000 households, no split in the
  plan) is split over the townships in proportion to their targets of the other programme years
  (largest remainder, ties in the plan's township order): SPEC §3.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cleanheat.errors import ParameterError
from cleanheat.parameters import ParameterTree

__all__ = ["programme_years", "split_in_proportion", "township_targets", "value_on"]

OPEN = "yanchi.programme.open"
TARGETS = "yanchi.targets"


def _tree(tree: ParameterTree | None) -> ParameterTree:
    if tree is not None:
        return tree
    from cleanheat.policy.engine import default_tree

    return default_tree()


def value_on(name: str, on: dt.date, tree: ParameterTree | None = None) -> Any:
    """The value of parameter ``name`` in force on ``on`` (``None`` where it is not in force).

    Raises
    ------
    ParameterError
        If there is no parameter of that name.
    """
    dv = _tree(tree)[name].effective(on)
    return None if dv is None else dv.value


def programme_years(tree: ParameterTree | None = None) -> tuple[int, ...]:
    """The programme's calendar years: those in which ``yanchi.programme.open`` is true on some day.

    An opening that never closes (a reform without an end) runs to the last year that has a
    target, or to the year it opens.
    """
    t = _tree(tree)
    values = t[OPEN].values
    years: set[int] = set()
    for k, dv in enumerate(values):
        if dv.value is not True:
            continue
        if k + 1 < len(values):
            last = (values[k + 1].start - dt.timedelta(days=1)).year
        else:
            target_years = [int(n.rsplit(".", 1)[1]) for n in t.names(TARGETS) if n.rsplit(".", 1)[1].isdigit()]
            last = max([dv.start.year, *target_years])
        years.update(range(dv.start.year, last + 1))
    return tuple(sorted(years))


def split_in_proportion(total: int, weights: dict[str, int], order: tuple[str, ...]) -> dict[str, int]:
    """``total`` split over ``order`` in proportion to ``weights`` (largest remainder; ties in ``order``)."""
    weight_sum = sum(weights.get(t, 0) for t in order)
    if weight_sum <= 0:
        raise ParameterError(f"cannot split {total} households: no township has a target in the other years")
    exact = {t: total * weights.get(t, 0) / weight_sum for t in order}
    floor = {t: int(v) for t, v in exact.items()}
    left = total - sum(floor.values())
    for t in sorted(order, key=lambda t: (-(exact[t] - floor[t]), order.index(t)))[:left]:
        floor[t] += 1
    return floor


def township_targets(tree: ParameterTree | None = None) -> dict[int, dict[str, int]]:
    """Households to convert per programme year and township, from ``yanchi.targets.<year>``.

    Returns
    -------
    dict
        ``{year: {township: households}}`` for every programme year that has a target parameter,
        townships in the plan's order.

    Raises
    ------
    ParameterError
        A target names an unknown township, or its townships do not add up to its ``total``.
    """
    from cleanheat.policy.rules.yanchi import TOWNSHIPS

    t = _tree(tree)
    raw: dict[int, dict[str, int]] = {}
    for year in programme_years(t):
        name = f"{TARGETS}.{year}"
        if name not in t:
            continue
        value = value_on(name, dt.date(year, 1, 1), t)
        if not value:
            continue
        raw[year] = {str(k): int(v) for k, v in dict(value).items()}
    out: dict[int, dict[str, int]] = {}
    for year, cells in raw.items():
        by_town = {k: v for k, v in cells.items() if k != "total"}
        unknown = sorted(set(by_town) - set(TOWNSHIPS))
        if unknown:
            raise ParameterError(f"{TARGETS}.{year}: unknown township {'、'.join(unknown)}")
        if by_town:
            total = cells.get("total")
            if total is not None and total != sum(by_town.values()):
                raise ParameterError(f"{TARGETS}.{year}: townships add up to {sum(by_town.values())}, "
                                     f"its total is {total}")
            out[year] = {town: by_town.get(town, 0) for town in TOWNSHIPS}
    for year, cells in raw.items():
        if year in out:
            continue
        others: dict[str, int] = {}
        for other in out.values():
            for town, n in other.items():
                others[town] = others.get(town, 0) + n
        out[year] = split_in_proportion(int(cells.get("total", 0)), others, TOWNSHIPS)
    return dict(sorted(out.items()))
