"""The household's money: capital cost per method, lifecycle cost and the loan for its share.

Three functions the advisor (SPEC §7 ``advise``) composes:

- :func:`capex_cny` — installed cost of a method for a house (low / mid / high), the guide's
  range per 60 m² (附件2 安装成本) scaled so that the capacity-driven part follows the design
  heat load and the rest follows the heated area;
- :func:`lifecycle_cost_cny` — present value over a horizon of capital, replacements, running
  cost and maintenance, less the residual value at the horizon's end;
- :func:`loan_monthly_payment_cny` — the annuity repaying the household's share (六(五)).

Every default is a dated parameter (``capex.*``, ``lifecycle.*``, ``finance.*`` under
``cleanheat/data/defaults``; sources in each folder's ``SOURCE.md``). Money is computed in
:class:`decimal.Decimal` and returned as integer CNY (STYLE §2), rounded half up; the loan's
monthly payment is also given to the fen.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from cleanheat.codes import Technology
from cleanheat.errors import InputError
from cleanheat.parameters import ParameterTree, defaults_tree

__all__ = [
    "CapexRange",
    "LifecycleCost",
    "LoanRepayment",
    "capex_cny",
    "lifecycle_cost_cny",
    "loan_monthly_payment_cny",
]

_YUAN = Decimal(1)
_FEN = Decimal("0.01")
_PRECISION = 40
"""Decimal digits of the intermediate arithmetic (exact for any realistic amount and term)."""


def _yuan(x: Decimal) -> int:
    """Round a Decimal amount half up to the yuan."""
    return int(x.quantize(_YUAN, rounding=ROUND_HALF_UP))


def _dec(x: object, name: str) -> Decimal:
    """A number as an exact Decimal of its decimal text (0.037 → Decimal('0.037'), not its binary value)."""
    if isinstance(x, bool):
        raise InputError(f"takes a number, got {x!r}", field=name)
    if isinstance(x, Decimal):
        d = x
    elif isinstance(x, int | float | str):
        if isinstance(x, float) and not math.isfinite(x):
            raise InputError(f"takes a finite number, got {x!r}", field=name)
        try:
            d = Decimal(str(x))
        except ArithmeticError as exc:
            raise InputError(f"takes a number, got {x!r}", field=name) from exc
    else:
        raise InputError(f"takes a number, got {x!r}", field=name)
    if not d.is_finite():
        raise InputError(f"takes a finite number, got {x!r}", field=name)
    return d


def _technology(technology: str) -> Technology:
    try:
        return Technology(technology)
    except ValueError as exc:
        raise InputError(f"unknown technology {technology!r}", field="technology") from exc


def _param(tree: ParameterTree | None, name: str, on: dt.date | None) -> object:
    """A default on a date; ``on=None`` reads the latest dated value."""
    t = defaults_tree() if tree is None else tree
    return t[name].at(dt.date.max if on is None else on)


# --------------------------------------------------------------------------------------------
# Capital cost
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapexRange:
    """Installed cost of one method for one house: the guide's range scaled to the house.

    Attributes
    ----------
    technology : str
        SPEC §2 code.
    low_cny, mid_cny, high_cny : int
        Low end, middle and high end of the range. [CNY]
    scale : Decimal
        The scaling factor applied to the per-60 m² range (1 for the reference house). [-]
    """

    technology: str
    low_cny: int
    mid_cny: int
    high_cny: int
    scale: Decimal


def capex_cny(
    technology: str,
    heated_area_m2: float,
    design_heat_load_kw: float,
    *,
    on: dt.date | None = None,
    tree: ParameterTree | None = None,
) -> CapexRange:
    r"""
    Installed (capital) cost of a heating method for a house: low, middle and high.

    Parameters
    ----------
    technology : str
        SPEC §2 technology code (``coal_stove`` costs 0: the existing stove).
    heated_area_m2 : float
        Heated floor area, > 0. [m²]
    design_heat_load_kw : float
        The house's design heat load (:func:`cleanheat.building.heat_load.design_heat_load_kw`),
        ≥ 0. [kW]
    on : datetime.date or None, default None
        Date of the prices; ``None`` takes the latest dated values.
    tree : ParameterTree or None
        Parameters (a reform from ``with_overrides``); default :func:`defaults_tree`.

    Returns
    -------
    CapexRange
        ``low_cny``, ``mid_cny``, ``high_cny`` as integer CNY, and the scale factor.

    Raises
    ------
    InputError
        Unknown technology, area ≤ 0, negative or non-finite load.

    Notes
    -----
    The guide gives each method's cost per 60 m² as a range :math:`[C_{lo}, C_{hi}]`
    (``capex.<tech>.low_cny_per_60m2``, ``high_cny_per_60m2``). A share :math:`s`
    (``capex.<tech>.capacity_share``) of it is equipment whose size follows the design load;
    the rest (emitters, pipes, collectors, labour) follows the area:

    .. math::

        C = C_{60} \left[ s \left(\frac{P}{P_{ref}}\right)^{e} + (1 - s) \frac{A}{A_{ref}} \right]

    with :math:`A_{ref}` = 60 m² (``capex.reference_area_m2``) and :math:`P_{ref}` the
    design load of the guide's 60 m² house (``capex.reference_design_load_kw``, 5 kW: the
    guide's 2P ground-source unit) and :math:`e` the cost-capacity exponent
    (``capex.capacity_exponent``, 0.7: economies of scale of the equipment, after the
    six-tenths rule [2]; 1 is linear). The area part is linear (emitters and pipes per m²).
    60 m² at :math:`P_{ref}` gives exactly the guide's range, and the cost rises with both the
    area and the load (see ``capex/SOURCE.md`` for the reasoning). The middle is :math:`(C_{lo}+C_{hi})/2`
    scaled the same way; each value is rounded half up to the yuan.

    References
    ----------
    .. [1] 盐池县冬季清洁取暖项目实施方案 (盐政办发〔2022〕8号), 附件2 技术导则, each method's
       二、安装成本.
    .. [2] R. Williams Jr., "Six-tenths factor aids in approximating costs," Chemical
       Engineering, vol. 54, no. 12, pp. 124–125, 1947.
    """
    tech = _technology(technology)
    area = _dec(heated_area_m2, "heated_area_m2")
    load = _dec(design_heat_load_kw, "design_heat_load_kw")
    if area <= 0:
        raise InputError(f"must be > 0 m², got {heated_area_m2!r}", field="heated_area_m2")
    if load < 0:
        raise InputError(f"must be ≥ 0 kW, got {design_heat_load_kw!r}", field="design_heat_load_kw")
    base = f"capex.{tech.value}"
    lo = _dec(_param(tree, f"{base}.low_cny_per_60m2", on), "low_cny_per_60m2")
    hi = _dec(_param(tree, f"{base}.high_cny_per_60m2", on), "high_cny_per_60m2")
    share = _dec(_param(tree, f"{base}.capacity_share", on), "capacity_share")
    a_ref = _dec(_param(tree, "capex.reference_area_m2", on), "reference_area_m2")
    p_ref = _dec(_param(tree, "capex.reference_design_load_kw", on), "reference_design_load_kw")
    e = _dec(_param(tree, "capex.capacity_exponent", on), "capacity_exponent")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        capacity = (load / p_ref) ** e if load > 0 else Decimal(0)
        scale = share * capacity + (1 - share) * area / a_ref
        return CapexRange(
            technology=tech.value,
            low_cny=_yuan(lo * scale),
            mid_cny=_yuan((lo + hi) / 2 * scale),
            high_cny=_yuan(hi * scale),
            scale=scale,
        )


# --------------------------------------------------------------------------------------------
# Lifecycle cost
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LifecycleCost:
    """Present value of owning and running one method over a horizon.

    Each part is rounded to the yuan on its own; ``total_cny`` is the exact sum rounded, so
    the parts may differ from it by a yuan or two.

    Attributes
    ----------
    total_cny : int
        capex − subsidy + replacements + running + maintenance − residual, present value. [CNY]
    capex_cny : int
        First purchase, at year 0. [CNY]
    subsidy_cny : int
        One-time subsidy on the first purchase, at year 0. [CNY]
    replacements_cny : int
        Present value of the purchases at years L, 2L, … inside the horizon. [CNY]
    running_cny : int
        Present value of the running cost, paid at the end of each year. [CNY]
    maintenance_cny : int
        Present value of the maintenance, share × capex at the end of each year. [CNY]
    residual_cny : int
        Present value of the last unit's remaining value at the horizon's end (subtracted). [CNY]
    purchases : int
        Units bought in the horizon, the first included.
    horizon_years, lifetime_years : int
        The horizon and the equipment life used. [a]
    discount_rate : Decimal
        Discount rate used, per year. [-]
    """

    total_cny: int
    capex_cny: int
    subsidy_cny: int
    replacements_cny: int
    running_cny: int
    maintenance_cny: int
    residual_cny: int
    purchases: int
    horizon_years: int
    lifetime_years: int
    discount_rate: Decimal


def _whole_years(x: object, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < 1:
        raise InputError(f"must be a whole number of years ≥ 1, got {x!r}", field=name)
    return x


def lifecycle_cost_cny(
    capex_cny: int,
    running_cost_per_year_cny: int,
    technology: str,
    horizon_years: int | None = None,
    *,
    discount_rate: float | Decimal | None = None,
    lifetime_years: int | None = None,
    maintenance_share_per_year: float | Decimal | None = None,
    subsidy_cny: int = 0,
    on: dt.date | None = None,
    tree: ParameterTree | None = None,
) -> LifecycleCost:
    r"""
    Lifecycle cost: present value of capital, replacements, running cost and maintenance.

    Parameters
    ----------
    capex_cny : int
        Installed cost at year 0 and of each replacement (e.g. :attr:`CapexRange.mid_cny`);
        for the household's view pass the subsidy as ``subsidy_cny``, not the share here. [CNY]
    running_cost_per_year_cny : int
        Energy cost of one heating season, the same every year (real terms). [CNY/a]
    technology : str
        SPEC §2 code, for the default lifetime and maintenance share.
    horizon_years : int or None
        Years counted; default ``lifecycle.horizon_years`` (20). [a]
    discount_rate : float, Decimal or None
        Real discount rate per year, ≥ 0; default ``lifecycle.discount_rate`` (0.08). [-]
    lifetime_years : int or None
        Equipment life; default ``lifecycle.<tech>.lifetime_years``. [a]
    maintenance_share_per_year : float, Decimal or None
        Yearly maintenance as a share of ``capex_cny``; default
        ``lifecycle.<tech>.maintenance_share_per_year``. [-]
    subsidy_cny : int, default 0
        One-time subsidy on the first purchase (year 0), ≤ ``capex_cny``; replacements and
        maintenance are at the full price (the programme pays once, 七). [CNY]
    on : datetime.date or None
        Date of the parameters; ``None`` takes the latest values.
    tree : ParameterTree or None
        Parameters; default :func:`defaults_tree`.

    Returns
    -------
    LifecycleCost
        The total and its parts, integer CNY.

    Raises
    ------
    InputError
        A negative or non-integer amount, a horizon or lifetime below one year, a negative rate.

    Notes
    -----
    With discount factor :math:`d_t = (1 + r)^{-t}`, capital :math:`C`, running cost
    :math:`R`, subsidy :math:`S`, maintenance share :math:`m`, lifetime :math:`L` and horizon :math:`H`:

    .. math::

        LCC = C - S + \sum_{k \ge 1,\; kL < H} C\, d_{kL}
              + \sum_{t=1}^{H} (R + m C)\, d_t
              - C \frac{t_{last} + L - H}{L} d_H

    Replacements are bought at today's price (real terms) at :math:`kL` strictly inside the
    horizon (a unit worn out exactly at :math:`H` is not replaced); :math:`t_{last}` is the
    year of the last purchase. The residual value is straight-line: the share of the last
    unit's life left at :math:`H`. Yearly costs fall at the end of each year. This is the
    global-cost method of EN 15459-1 in its simplest form (constant real prices).

    References
    ----------
    .. [1] EN 15459-1:2017 Energy performance of buildings — Economic evaluation procedure for
       energy systems in buildings, §6 (global cost, residual value).
    .. [2] 建设项目经济评价方法与参数 (第三版), 2006: 社会折现率 8 %.
    """
    for value, name in ((capex_cny, "capex_cny"), (running_cost_per_year_cny, "running_cost_per_year_cny"),
                        (subsidy_cny, "subsidy_cny")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"must be a whole number of CNY ≥ 0, got {value!r}", field=name)
    if subsidy_cny > capex_cny:
        raise InputError(f"must not exceed capex_cny {capex_cny}, got {subsidy_cny}", field="subsidy_cny")
    tech = _technology(technology)
    base = f"lifecycle.{tech.value}"
    h = _whole_years(_param(tree, "lifecycle.horizon_years", on) if horizon_years is None else horizon_years,
                     "horizon_years")
    life = _whole_years(_param(tree, f"{base}.lifetime_years", on) if lifetime_years is None else lifetime_years,
                        "lifetime_years")
    r = _dec(_param(tree, "lifecycle.discount_rate", on) if discount_rate is None else discount_rate,
             "discount_rate")
    m = _dec(_param(tree, f"{base}.maintenance_share_per_year", on)
             if maintenance_share_per_year is None else maintenance_share_per_year, "maintenance_share_per_year")
    if r < 0 or r > 1:
        raise InputError(f"must be within 0–1, got {discount_rate!r}", field="discount_rate")
    if m < 0 or m > 1:
        raise InputError(f"must be within 0–1, got {maintenance_share_per_year!r}",
                         field="maintenance_share_per_year")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        c = Decimal(capex_cny)

        def d(t: int) -> Decimal:
            return 1 / (1 + r) ** t

        buys = [k * life for k in range(1, h) if k * life < h]
        replacements = sum((c * d(t) for t in buys), Decimal(0))
        annuity = sum((d(t) for t in range(1, h + 1)), Decimal(0))
        running = Decimal(running_cost_per_year_cny) * annuity
        maintenance = m * c * annuity
        t_last = buys[-1] if buys else 0
        residual = c * Decimal(t_last + life - h) / Decimal(life) * d(h)
        total = c - subsidy_cny + replacements + running + maintenance - residual
        return LifecycleCost(
            total_cny=_yuan(total),
            capex_cny=capex_cny,
            subsidy_cny=subsidy_cny,
            replacements_cny=_yuan(replacements),
            running_cny=_yuan(running),
            maintenance_cny=_yuan(maintenance),
            residual_cny=_yuan(residual),
            purchases=1 + len(buys),
            horizon_years=h,
            lifetime_years=life,
            discount_rate=r,
        )


# --------------------------------------------------------------------------------------------
# Loan (六(五))
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanRepayment:
    """An annuity loan for the household's share of the installed cost.

    Attributes
    ----------
    principal_cny : int
        Amount borrowed. [CNY]
    annual_rate : Decimal
        Nominal annual rate; the monthly rate is a twelfth of it. [-]
    months : int
        Term, number of equal monthly payments.
    monthly_payment_fen : Decimal
        Monthly payment rounded half up to the fen (two decimals). [CNY]
    monthly_payment_cny : int
        ``monthly_payment_fen`` rounded half up to the yuan, as shown to the household. [CNY]
    total_repaid_fen : Decimal
        ``months`` × ``monthly_payment_fen``. [CNY]
    total_interest_fen : Decimal
        ``total_repaid_fen`` − principal. [CNY]
    total_interest_cny : int
        ``total_interest_fen`` rounded half up to the yuan. [CNY]
    """

    principal_cny: int
    annual_rate: Decimal
    months: int
    monthly_payment_fen: Decimal
    monthly_payment_cny: int
    total_repaid_fen: Decimal
    total_interest_fen: Decimal
    total_interest_cny: int


def loan_monthly_payment_cny(
    principal_cny: int,
    annual_rate: float | Decimal | str | None = None,
    months: int | None = None,
    *,
    on: dt.date | None = None,
    tree: ParameterTree | None = None,
) -> LoanRepayment:
    r"""
    Monthly repayment of an annuity loan (等额本息) for the household's share.

    Parameters
    ----------
    principal_cny : int
        Amount borrowed, ≥ 0. [CNY]
    annual_rate : float, Decimal, str or None
        Nominal annual interest rate, 0–1 (0.0435 for 4.35 %); default
        ``finance.loan_annual_rate`` on ``on`` (the one-year LPR, unconfirmed). A float is read
        by its decimal text (0.0435 is exactly 435/10000). [-]
    months : int or None
        Number of monthly payments, ≥ 1; default ``finance.loan_term_months`` (36).
    on : datetime.date or None
        Date of the default rate; ``None`` takes the latest value.
    tree : ParameterTree or None
        Parameters; default :func:`defaults_tree`.

    Returns
    -------
    LoanRepayment
        Payment to the fen and to the yuan, total repaid and interest.

    Raises
    ------
    InputError
        A negative or non-integer principal, a rate outside 0–1, a term below one month.

    Notes
    -----
    With monthly rate :math:`i = r/12` and :math:`n` payments the payment is

    .. math::

        M = P \frac{i}{1 - (1 + i)^{-n}}, \qquad M = P / n \text{ when } i = 0,

    computed exactly in Decimal (40 digits), then rounded half up to the fen (what the bank
    debits) and that to the yuan (what the advisor shows; STYLE §2). The total interest is
    :math:`n M_{fen} - P`; a bank that settles the rounding on the last payment differs by
    at most :math:`n/2` fen.

    References
    ----------
    .. [1] 盐池县冬季清洁取暖项目实施方案 (盐政办发〔2022〕8号) 六(五): subsidy, own funds and
       bank loans for the household's share.
    """
    if isinstance(principal_cny, bool) or not isinstance(principal_cny, int) or principal_cny < 0:
        raise InputError(f"must be a whole number of CNY ≥ 0, got {principal_cny!r}", field="principal_cny")
    rate = _dec(_param(tree, "finance.loan_annual_rate", on) if annual_rate is None else annual_rate,
                "annual_rate")
    if rate < 0 or rate > 1:
        raise InputError(f"must be within 0–1 (0.0435 for 4.35 %), got {annual_rate!r}", field="annual_rate")
    n = _param(tree, "finance.loan_term_months", on) if months is None else months
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"must be a whole number of months ≥ 1, got {n!r}", field="months")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        p = Decimal(principal_cny)
        i = rate / 12
        exact = p / n if i == 0 else p * i / (1 - (1 + i) ** -n)
        fen = exact.quantize(_FEN, rounding=ROUND_HALF_UP)
        total = fen * n
        interest = total - p
        return LoanRepayment(
            principal_cny=principal_cny,
            annual_rate=rate,
            months=n,
            monthly_payment_fen=fen,
            monthly_payment_cny=_yuan(fen),
            total_repaid_fen=total,
            total_interest_fen=interest,
            total_interest_cny=_yuan(interest),
        )
