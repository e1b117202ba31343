"""The programme budget: decide every household, sum the money per township and year, check envelopes.

Central, county and household money are the amounts the rules decide, paid or committed
(payable and pending acceptance both count against the envelopes; SPEC §2 rule 7, §3). A
reform reruns the same households under changed parameters, OpenFisca's word for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from cleanheat.errors import InputError, ParameterError
from cleanheat.policy.decide import decide
from cleanheat.policy.engine import ParameterTree, default_tree
from cleanheat.policy.rules.yanchi import TOWNSHIPS

__all__ = ["Budget", "BudgetRow", "parse_overrides", "yanchi_budget"]

MONEY = ("central_cny", "local_cny", "total_cny", "household_cny")


@dataclass(frozen=True)
class BudgetRow:
    """Households and money of one township in one year (by installation year)."""

    township: str
    year: int
    households: int
    payable: int
    pending_acceptance: int
    ineligible: int
    central_cny: int
    local_cny: int
    total_cny: int
    household_cny: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Budget:
    """A budget run: rows per township × year, totals, envelopes and warnings."""

    rows: list[BudgetRow]
    totals: BudgetRow
    envelopes: dict[str, int]
    warnings: list[dict[str, str]] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "households": self.totals.households,
            "overrides": self.overrides,
            "envelopes": self.envelopes,
            "rows": [r.as_dict() for r in self.rows],
            "totals": self.totals.as_dict(),
            "warnings": self.warnings,
        }


def parse_overrides(pairs: Sequence[str], tree: ParameterTree) -> dict[str, Any]:
    """``["yanchi.subsidy.local_cny=2000"]`` → ``{"yanchi.subsidy.local_cny": 2000}``, checked against the tree.

    The names are those ``cleanheat params`` shows; each value is checked by
    :meth:`cleanheat.parameters.Parameter.check_value` (kind, whole yuan, range), exactly as
    :meth:`ParameterTree.with_overrides` checks a reform given in Python.

    Raises
    ------
    InputError
        A pair without ``=``, an unknown parameter (with the nearest name), or a value that
        does not fit the parameter.
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--set expects PARAM=VALUE, got {pair!r}", field="--set")
        name = name.strip()
        try:
            param = tree.get_suggesting(name)
            value = param.check_value(yaml.safe_load(raw))
        except ParameterError as exc:
            raise InputError(f"{exc} (see `cleanheat params`)", field="--set") from None
        except yaml.YAMLError:
            raise InputError(f"{name}: cannot read the value {raw!r}", field="--set") from None
        out[name] = value
    return out


def yanchi_budget(records: Sequence[Mapping[str, Any]], *, tree: ParameterTree | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Budget:
    """Decide every household and sum the money per township and installation year.

    Raises
    ------
    InputError
        A bad record (named with its field).
    """
    base_tree = tree or default_tree()
    run_tree = base_tree.with_overrides(overrides) if overrides else base_tree
    d = decide("yanchi", records, tree=run_tree)
    h = d.entity
    status = h.status_code
    eligible = status > 0
    year = h.installed_on.astype("datetime64[Y]").astype(np.int64) + 1970
    money = {
        "central_cny": h.central_subsidy_cny,
        "local_cny": h.local_subsidy_cny,
        "total_cny": h.total_subsidy_cny,
        "household_cny": np.where(eligible, h.household_share_cny, 0),
    }
    rows: list[BudgetRow] = []
    towns = [t for t in TOWNSHIPS if np.any(h.township == t)]
    for t in towns:
        in_town = h.township == t
        for y in sorted(set(year[in_town].tolist())):
            rows.append(_row(t, int(y), in_town & (year == y), status, money))
    totals = _row("合计 total", 0, np.ones(h.n, dtype=bool), status, money)
    envelopes = {
        "central_cny": int(run_tree["yanchi.programme.central_envelope_cny"].values[-1].value),
        "county_cny": int(run_tree["yanchi.programme.county_envelope_cny"].values[-1].value),
    }
    warnings = []
    if totals.central_cny > envelopes["central_cny"]:
        warnings.append({
            "code": "central_envelope_exceeded",
            "message": f"中央资金 {totals.central_cny:,} 元超过中央预算补助 {envelopes['central_cny']:,} 元",
            "message_en": f"Central money {totals.central_cny:,} CNY exceeds the central envelope "
                          f"{envelopes['central_cny']:,} CNY (盐政办发〔2022〕8号 二(一))",
        })
    if totals.local_cny > envelopes["county_cny"]:
        warnings.append({
            "code": "county_cap_exceeded",
            "message": f"县财政配套 {totals.local_cny:,} 元超过控制额 {envelopes['county_cny']:,} 元",
            "message_en": f"County money {totals.local_cny:,} CNY exceeds the county cap "
                          f"{envelopes['county_cny']:,} CNY (盐政办发〔2022〕8号 二(一))",
        })
    return Budget(rows, totals, envelopes, warnings, dict(overrides or {}))


def _row(township: str, year: int, sel: np.ndarray, status: np.ndarray, money: Mapping[str, np.ndarray]) -> BudgetRow:
    return BudgetRow(
        township=township,
        year=year,
        households=int(sel.sum()),
        payable=int((sel & (status == 2)).sum()),
        pending_acceptance=int((sel & (status == 1)).sum()),
        ineligible=int((sel & (status == 0)).sum()),
        **{k: int(money[k][sel].sum()) for k in MONEY},
    )
