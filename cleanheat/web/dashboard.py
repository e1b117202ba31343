"""The dashboard (``/``): the programme at a glance, for the county or a clerk's own township.

What it shows: households converted vs target by township and year (附件1), money paid and committed
against the central and county envelopes, the method mix, the acceptance → payment pipeline, late
monthly reports, the enterprises in the order of their last assessment and the Beijing zones'
targets vs the area recorded. ``GET /api/v1/dashboard`` gives the same figures as JSON.

Who sees what (the server decides; the menu only follows):

- officer, admin, auditor: the whole county, the enterprise ranking and the Beijing zones;
- clerk: the own township's conversions, method mix, pipeline and monthly reports; the envelopes are
  county-wide programme facts and are shown as such (read only, labelled 全县); no enterprise ranking
  and no Beijing zones (county and city facts outside a township's work);
- inspector and enterprise have no dashboard: ``/`` sends the inspector to ``/acceptance`` and the
  enterprise to ``/tickets`` (their daily pages); the API answers 403.

The figures come from :mod:`cleanheat.registry.services.dashboard_view` and are kept, with the page's
rendered content, in a :class:`~cleanheat.registry.services.dashboard_view.ChainCache` keyed on the
audit chain (the newest entry other than a sign-in), so a page after any change (a payment, an
acceptance) computes them again. The ECharts options are
built here by pure functions (``*_chart``), in the visitor's language.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from cleanheat.clock import today as programme_today
from cleanheat.codes import TECHNOLOGY_NAMES_ZH
from cleanheat.registry.services import dashboard_view
from cleanheat.registry.services.beijing import ZONE_NAMES
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import ReadSession, language, render, require, signed_in, state, township_scope
from cleanheat.web.i18n import translations
from cleanheat.web.nav import N_

__all__ = ["DASHBOARD_ROLES", "HOME_OF_ROLE", "METHOD_NAMES_EN", "ZONE_NAMES_EN", "cache_of", "conversions_chart",
           "envelope_chart", "lateness_chart", "method_chart", "method_label", "pipeline_chart", "router",
           "wan", "zone_chart", "zone_label"]

router = APIRouter()

DASHBOARD_ROLES = ("admin", "officer", "clerk", "auditor")
"""Roles that have a dashboard."""
HOME_OF_ROLE = {"inspector": "/acceptance", "enterprise": "/tickets"}
"""Where ``/`` sends a role without a dashboard: its daily page."""

METHOD_NAMES_EN = {
    "fan_heater_direct": "Heat-pump fan heater + direct electric",
    "ashp_water": "Air-source heat pump water heater",
    "storage_electric": "Electric thermal storage",
    "gas_boiler": "Gas wall boiler",
    "gshp": "Ground-source heat pump",
    "solar_aux": "Solar + auxiliary energy",
    "other_high_tech": "Other high-tech clean energy",
    "co2_ashp": "CO₂ low-temperature air-source heat pump",
    "solar_gshp_seasonal": "Solar + ground-source seasonal storage",
    "biomass": "Biomass",
    "coal_stove": "Coal stove",
}
"""English names of the heating methods (the Chinese are the plan's, :data:`cleanheat.codes.TECHNOLOGY_NAMES_ZH`)."""
ZONE_NAMES_EN = {
    "city_sub_center": "Beijing city sub-centre",
    "daxing_airport": "Daxing airport and economic zone",
    "expo_2019": "2019 Beijing Expo",
    "huairou_science_city": "Huairou Science City",
    "future_science_city": "Future Science City",
    "zhongguancun_etdz": "Zhongguancun and Beijing ETDZ",
    "plain_new_towns": "Plain new towns",
    "ecological_conservation": "Ecological conservation area",
}
"""English names of the Beijing key zones (the Chinese: :data:`cleanheat.registry.services.beijing.ZONE_NAMES`)."""

# texts of the charts, translated in Python (the catalog's dashboard.po)
_T_TARGET = N_("Target")
_T_ACCEPTED = N_("Accepted")
_T_PAID = N_("Paid")
_T_PAID_OUT = N_("Paid out")
_T_INSTALLED = N_("Installed")
_T_HOUSEHOLDS = N_("Number of households")
_T_COMMITTED = N_("Committed, not yet paid")
_T_LEFT = N_("Left after commitments")
_T_OVER = N_("Over the cap")
_T_WAN_CNY = N_("10,000 CNY")
_T_WAN_M2 = N_("10,000 m²")
_T_RECORDED = N_("Area recorded")
_T_LATE = N_("Late")
_T_MISSING = N_("Missing")
_T_REPORTS = N_("Reports")
ENVELOPE_LABELS = {"central": N_("Central funds"), "county": N_("County funds"), "household": N_("Household own funds")}

_cache_lock = threading.Lock()


def cache_of(request: Request) -> dashboard_view.ChainCache:
    """The application's figure cache (one per app, so two databases never share one)."""
    st = request.app.state
    with _cache_lock:
        cache = getattr(st, "figure_cache", None)
        if cache is None:
            cache = st.figure_cache = dashboard_view.ChainCache()
    return cache


def method_label(code: str, lang: str) -> str:
    """A heating method's name in ``lang`` (the plan's Chinese name in zh)."""
    if lang == "zh_CN":
        return TECHNOLOGY_NAMES_ZH.get(code, code)
    return METHOD_NAMES_EN.get(code, code)


def zone_label(code: str, lang: str) -> str:
    """A Beijing key zone's name in ``lang``."""
    return ZONE_NAMES.get(code, code) if lang == "zh_CN" else ZONE_NAMES_EN.get(code, code)


def wan(value: float) -> float:
    """``value`` in units of 10,000 (万), two decimals, for a chart axis."""
    return round(value / 10_000, 2)


def _gettext(lang: str) -> Callable[[str], str]:
    return translations(lang).gettext


def _bar_base(categories: Sequence[str], *, horizontal: bool = False, unit: str = "") -> dict[str, Any]:
    cat_axis: dict[str, Any] = {"type": "category", "data": list(categories)}
    val_axis: dict[str, Any] = {"type": "value", "name": unit}
    if horizontal:
        cat_axis["inverse"] = True
        val_axis.update(nameLocation="middle", nameGap=24)
        return {"tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}}, "legend": {"top": 0},
                "grid": {"left": 8, "right": 16, "top": 36, "bottom": 24, "containLabel": True},
                "xAxis": val_axis, "yAxis": cat_axis, "series": []}
    cat_axis["axisLabel"] = {"interval": 0, "rotate": 30 if len(categories) > 4 else 0}
    val_axis["nameTextStyle"] = {"align": "left"}
    return {"tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}}, "legend": {"top": 0},
            "grid": {"left": 8, "right": 8, "top": 56, "bottom": 8, "containLabel": True},
            "xAxis": cat_axis, "yAxis": val_axis, "series": []}


def conversions_chart(rows: Sequence[Mapping[str, Any]], years: Sequence[int], lang: str) -> dict[str, Any]:
    """Target, accepted and paid households: per township (county-wide rows, the 合计 row left out),
    or per year when the rows are one township's."""
    t = _gettext(lang)
    towns = [r for r in rows if r["township"] != "合计"]
    if len(towns) == 1:
        r = towns[0]
        option = _bar_base([str(y) for y in years], unit=t(_T_HOUSEHOLDS))
        series = [(t(_T_TARGET), [r["planned"][y] for y in years]), (t(_T_ACCEPTED), [r["done"][y] for y in years]),
                  (t(_T_PAID), [r["paid"][y] for y in years])]
    else:
        option = _bar_base([r["township"] for r in towns], unit=t(_T_HOUSEHOLDS))
        series = [(t(_T_TARGET), [r["planned_total"] for r in towns]),
                  (t(_T_ACCEPTED), [r["done_total"] for r in towns]),
                  (t(_T_PAID), [r["paid_total"] for r in towns])]
    option["series"] = [{"name": name, "type": "bar", "barMaxWidth": 48, "data": data} for name, data in series]
    return option


def envelope_chart(envelopes: Mapping[str, Mapping[str, int]], lang: str,
                   sources: Sequence[str] = ("central", "county")) -> dict[str, Any]:
    """Paid, committed (outstanding) and left after commitments per envelope, stacked to its cap [万元].

    Only the envelopes the registry pays from (central, county) by default: the households' own funds
    are not paid through it. Past the cap the excess is its own red part and nothing is left.
    """
    t = _gettext(lang)
    shown = [s for s in sources if s in envelopes]
    option = _bar_base([t(ENVELOPE_LABELS.get(s, s)) for s in shown], horizontal=True, unit=t(_T_WAN_CNY))
    paid, committed, left, over = [], [], [], []
    for s in shown:
        e = envelopes[s]
        paid.append(wan(e["paid_cny"]))
        committed.append(wan(e["committed_cny"]))
        left.append(wan(max(e["left_after_commitments_cny"], 0)))
        over.append(wan(max(-e["left_after_commitments_cny"], 0)))
    option["series"] = [
        {"name": t(_T_PAID_OUT), "type": "bar", "stack": "cap", "data": paid},
        {"name": t(_T_COMMITTED), "type": "bar", "stack": "cap", "data": committed},
        {"name": t(_T_LEFT), "type": "bar", "stack": "cap", "data": left, "itemStyle": {"color": "#d9dde3"}},
    ]
    if any(over):
        option["series"].append({"name": t(_T_OVER), "type": "bar", "stack": "cap", "data": over,
                                 "itemStyle": {"color": "#dc3545"}})
    return option


def method_chart(methods: Sequence[Mapping[str, Any]], lang: str) -> dict[str, Any]:
    """The method mix: installations per heating method, as a ring."""
    t = _gettext(lang)
    return {"tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
            "legend": {"type": "scroll", "bottom": 0},
            "series": [{"name": t(_T_INSTALLED), "type": "pie", "radius": ["38%", "68%"], "center": ["50%", "44%"],
                        "avoidLabelOverlap": True, "label": {"show": False},
                        "data": [{"name": method_label(m["technology"], lang), "value": m["installations"]}
                                 for m in methods]}]}


def pipeline_chart(pipeline: Mapping[str, int], lang: str) -> dict[str, Any]:
    """Installed → accepted → paid, as a funnel."""
    t = _gettext(lang)
    data = [{"name": t(_T_INSTALLED), "value": pipeline["installations"]},
            {"name": t(_T_ACCEPTED), "value": pipeline["accepted"]},
            {"name": t(_T_PAID), "value": pipeline["paid"]}]
    return {"tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
            "series": [{"name": t(_T_HOUSEHOLDS), "type": "funnel", "sort": "none", "left": "10%", "width": "80%",
                        "top": 8, "bottom": 8, "minSize": "30%", "gap": 2,
                        "label": {"show": True, "position": "inside", "formatter": "{b}\n{c}"}, "data": data}]}


def lateness_chart(by_township: Sequence[Mapping[str, Any]], lang: str) -> dict[str, Any]:
    """Late and missing monthly reports per township, stacked."""
    t = _gettext(lang)
    option = _bar_base([r["township"] for r in by_township], unit=t(_T_REPORTS))
    option["series"] = [
        {"name": t(_T_LATE), "type": "bar", "stack": "lag", "barMaxWidth": 48, "data": [r["late"] for r in by_township],
         "itemStyle": {"color": "#fd7e14"}},
        {"name": t(_T_MISSING), "type": "bar", "stack": "lag", "data": [r["missing"] for r in by_township],
         "itemStyle": {"color": "#dc3545"}},
    ]
    return option


def zone_chart(zones: Sequence[Mapping[str, Any]], lang: str) -> dict[str, Any]:
    """Beijing key zones: target vs heated area recorded [万 m²]."""
    t = _gettext(lang)
    option = _bar_base([zone_label(z["zone"], lang) for z in zones], horizontal=True, unit=t(_T_WAN_M2))
    option["series"] = [
        {"name": t(_T_TARGET), "type": "bar", "data": [wan(z["target_m2"]) for z in zones]},
        {"name": t(_T_RECORDED), "type": "bar", "data": [wan(z["recorded_m2"]) for z in zones]},
    ]
    return option


def _figures(request: Request, s: ReadSession, who: Principal) -> dict[str, Any]:
    scope = township_scope(who)
    today = programme_today()
    extras = scope is None
    return cache_of(request).get(s, ("dashboard", scope, today), lambda: dashboard_view.dashboard(
        session=s, township=scope, today=today, county_wide_extras=extras))


def _charts(fig: Mapping[str, Any], lang: str) -> dict[str, Any]:
    charts = {
        "conversions": conversions_chart(fig["conversions"], fig["years"], lang),
        "envelopes": envelope_chart(fig["envelopes"], lang),
        "methods": method_chart(fig["methods"], lang),
        "pipeline": pipeline_chart(fig["pipeline"], lang),
    }
    if len(fig["lateness"]["by_township"]) > 1:  # one township's two numbers need no chart
        charts["lateness"] = lateness_chart(fig["lateness"]["by_township"], lang)
    if fig["zones"] is not None:
        charts["zones"] = zone_chart(fig["zones"], lang)
    return charts


def _body(request: Request, s: ReadSession, who: Principal, lang: str) -> Markup:
    """The page's content for the user's scope in ``lang``, rendered once per state of the registry
    (hundreds of formatted numbers: the one costly part of a page once the figures are kept)."""
    scope = township_scope(who)

    def compute() -> Markup:
        fig = _figures(request, s, who)
        template = state(request).templates[lang].get_template("dashboard/_body.html")
        return Markup(template.render({
            "fig": fig, "charts": _charts(fig, lang), "scope": scope, "lang": lang,
            "method_label": lambda code: method_label(code, lang), "zone_label": lambda code: zone_label(code, lang),
            "envelope_labels": ENVELOPE_LABELS}))

    return cache_of(request).get(s, ("dashboard.html", scope, programme_today(), lang), compute)


@router.get("/", include_in_schema=False)
def dashboard_page(request: Request, s: ReadSession, who: Annotated[Principal, Depends(require())]) -> Response:
    """The dashboard; a role without one goes to its daily page."""
    if who.role in HOME_OF_ROLE:
        return RedirectResponse(HOME_OF_ROLE[who.role], status_code=303)
    signed_in(request, DASHBOARD_ROLES)  # 403 for any other role
    return render(request, "dashboard/dashboard.html", {"active": "/", "body": _body(request, s, who,
                                                                                       language(request))})


@router.get("/api/v1/dashboard", tags=["dashboard"], summary="Dashboard figures")
def dashboard_api(request: Request, s: ReadSession,
                  who: Annotated[Principal, Depends(require(*DASHBOARD_ROLES))]) -> Response:
    """The dashboard's figures: conversions vs target (附件1), pipeline, method mix, envelopes, late
    monthly reports and, county-wide, the enterprise ranking and the Beijing zones. A clerk gets the
    own township's (the envelopes stay county-wide)."""
    scope = township_scope(who)
    body = cache_of(request).get(s, ("dashboard.json", scope, programme_today()), lambda: orjson.dumps(
        _figures(request, s, who), option=orjson.OPT_NON_STR_KEYS))
    return Response(body, media_type="application/json")
