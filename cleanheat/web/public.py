"""The public calculators (no login) and the SPEC §7 JSON API: Yanchi subsidies, Beijing funding, simulation.

Pages
    ``GET /calculators``: the Yanchi household subsidy form and the Beijing project funding form.
    ``POST /calculators`` (field ``calc``: ``yanchi`` or ``beijing``): the decision with its amounts and
    every reason with its clause (an HTMX fragment that replaces the result box, or the whole page
    without JavaScript). Anonymous visitors carry the double-submit CSRF token.

API (the same input and output as the CLI, byte for byte the same JSON)
    ``POST /api/v1/subsidy/yanchi`` = ``cleanheat subsidy yanchi`` (anonymous),
    ``POST /api/v1/funding/beijing`` = ``cleanheat funding beijing`` (anonymous),
    ``POST /api/v1/simulate`` = ``cleanheat simulate`` (any signed-in role; at most
    :data:`MAX_SIMULATE_RECORDS` houses a request).
    The body is one JSON object (one object comes back) or a list (a list comes back, in the same
    order). Bad input: 422 with ``detail``, a list of ``{message, record, field}``, every bad record
    and field named; nothing is decided.

The routes call exactly what the CLI commands call (:func:`cleanheat.policy.decide.decide_yanchi`,
:func:`cleanheat.policy.decide.decide_beijing`, :func:`cleanheat.simulate.records.simulate_records`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from cleanheat.errors import InputError
from cleanheat.policy.engine import Field
from cleanheat.registry.services.users import Principal
from cleanheat.web.deps import language, render, require
from cleanheat.web.nav import N_

__all__ = ["MAX_SIMULATE_RECORDS", "beijing_record", "error_details", "read_records", "record_schema", "router",
           "yanchi_record"]

router = APIRouter()

MAX_SIMULATE_RECORDS = 100
"""The most house records one ``POST /api/v1/simulate`` takes.

The first request for a site builds its season climate (about 9 s on a 2-core machine); after
that a house costs a few milliseconds, so 100 houses answer in well under a second. Larger
batches belong to the CLI (``cleanheat simulate FILE``), which has no request timeout.
"""
UTF8_BOM = b"\xef\xbb\xbf"

TECHNOLOGY_LABELS = {
    "fan_heater_direct": N_("Heat-pump fan heater + direct electric"),
    "ashp_water": N_("Air-source heat pump water heater"),
    "storage_electric": N_("Electric thermal storage"),
    "gas_boiler": N_("Gas wall-hung boiler"),
    "gshp": N_("Ground-source heat pump"),
    "solar_aux": N_("Solar + auxiliary energy"),
    "other_high_tech": N_("Other high-tech energy-saving clean energy"),
    "co2_ashp": N_("CO₂ low-temperature air-source heat pump"),
    "solar_gshp_seasonal": N_("Solar coupled with ground-source heat pump, seasonal storage"),
    "biomass": N_("Biomass"),
    "coal_stove": N_("Loose-coal stove"),
}
"""The heating methods by code; their Chinese in the catalog is the plan's wording (codes.TECHNOLOGY_NAMES_ZH)."""
DWELLING_LABELS = {"brick": N_("Brick house"), "cave": N_("Cave dwelling"), "other": N_("Other dwelling")}
STATUS_LABELS = {"payable": N_("Payable"), "pending_acceptance": N_("Pending acceptance"),
                 "ineligible": N_("Not eligible")}
"""The subsidy statuses (the registry's 可补贴 / 待验收 / 不予补贴)."""
ZONE_LABELS = {
    "city_sub_center": N_("Beijing city sub-centre"),
    "daxing_airport": N_("Daxing International Airport and its economic zone"),
    "expo_2019": N_("2019 Beijing Horticultural Expo"),
    "huairou_science_city": N_("Huairou Science City"),
    "future_science_city": N_("Future Science City"),
    "zhongguancun_etdz": N_("Zhongguancun Science City and the Economic-Technological Development Area"),
    "plain_new_towns": N_("Plain new towns"),
    "ecological_conservation": N_("Ecological conservation area"),
}
SOURCE_LABELS = {"shallow_ground": N_("Shallow ground source"), "reclaimed_water": N_("Reclaimed water source"),
                 "sewage": N_("Sewage source"), "waste_heat": N_("Waste heat"),
                 "deep_geothermal": N_("Deep geothermal")}
KIND_LABELS = {
    "new_build": N_("New build"), "expansion": N_("Expansion"),
    "coal_boiler_retrofit": N_("Existing coal boiler converted to a heat pump"),
    "oil_boiler_retrofit": N_("Existing oil boiler converted to a heat pump"),
    "rural_whole_village_coal": N_("Whole village, coal to shallow-ground heat pump"),
    "urban_community_coal": N_("Whole urban community, coal to shallow-ground heat pump"),
}
INVESTMENT_LABELS = {
    "ground_loop": N_("Ground loop"), "water_intake": N_("Water / sewage intake"),
    "waste_heat_intake": N_("Waste-heat intake"), "wells": N_("Production and reinjection wells"),
    "machine_room": N_("Machine room"), "heat_pump_units": N_("Heat pump units and auxiliaries"),
    "primary_network": N_("Primary network"), "controls_monitoring": N_("Controls and monitoring"),
    "thermal_storage": N_("Thermal storage"), "solar_makeup": N_("Solar make-up heat"),
    "secondary_network": N_("Secondary network"), "indoor_terminals": N_("Indoor terminals"),
    "other": N_("Other investment"),
}
AUTHORITY_LABELS = {"district_drc": N_("District development and reform commission"),
                    "municipal_drc": N_("Municipal development and reform commission")}
DOCUMENT_LABELS = {"approval": N_("Project approval"),
                   "project_proposal": N_("Project proposal (in place of the feasibility study)")}

FIELD_LABELS = {
    "household_id": N_("Household ID"), "township": N_("Township"), "heated_area_m2": N_("Heated area (m²)"),
    "dwelling": N_("Dwelling"), "technology": N_("Heating method"), "with_rooftop_pv": N_("With rooftop photovoltaics"),
    "installed_on": N_("Installed on"), "self_install": N_("Installed by the household itself"),
    "enterprise_registered": N_("Enterprise registered on the install date"),
    "previously_subsidised": N_("Subsidised before"), "accepted_on": N_("Accepted on"),
    "invoice_cny": N_("Invoice (CNY)"), "project_id": N_("Project ID"), "zone": N_("Zone"),
    "source": N_("Heat source"), "kind": N_("Kind of project"),
    "government_invested": N_("Government-invested project or public institution"),
    "self_funded": N_("Self-funded"),
    "main_project_specifies_heat_pump": N_("The main project's approval already specifies heat-pump heating"),
    "investment_cny": N_("Investment by item (CNY)"), "permits": N_("Licences"),
    "ground_heat_balance_ok": N_("Ground heat balance kept (reviewed design)"),
    "enterprise_dishonest": N_("The enterprise is on the dishonesty list"), "applied_on": N_("Applied on"),
    "body": N_("Input"),
}
"""The form's name of each input field (an error names the field by it, with the field's code beside)."""

YANCHI_EXAMPLE: dict[str, str] = {
    "household_id": "YC-0042", "township": "大水坑镇", "heated_area_m2": "75", "dwelling": "cave",
    "technology": "gas_boiler", "installed_on": "2022-09-12", "enterprise_registered": "true",
    "accepted_on": "", "invoice_cny": "6800",
}
"""The form's first values: the README's example household (a gas boiler awaiting acceptance)."""
BEIJING_EXAMPLE: dict[str, str] = {
    "project_id": "BJ-0001", "zone": "plain_new_towns", "source": "sewage", "kind": "expansion",
    "heated_area_m2": "120000", "investment_cny.water_intake": "3000000",
    "investment_cny.heat_pump_units": "4000000", "investment_cny.primary_network": "1500000",
    "investment_cny.indoor_terminals": "900000", "ground_heat_balance_ok": "true", "applied_on": "2021-05-10",
}


# --------------------------------------------------------------------------------------------
# parsing: JSON bodies as the CLI reads files, form fields into the records of SPEC §7
# --------------------------------------------------------------------------------------------


def read_records(data: bytes) -> tuple[list[Any], bool]:
    """The records of a JSON body, as ``cleanheat.cli.io.read_json_records`` reads a file.

    Returns the records as a list and whether the body was a list. A UTF-8 byte order mark is
    accepted; ``NaN`` and ``Infinity`` are refused (they are not JSON).

    Raises
    ------
    InputError
        Not JSON, or neither an object nor a list.
    """
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"the body is not valid JSON: {exc}", field="body") from None
    if isinstance(obj, dict):
        return [obj], False
    if isinstance(obj, list):
        return obj, True
    raise InputError(f"expected a JSON object or a list of objects, got {type(obj).__name__}", field="body")


def error_details(exc: InputError) -> list[dict[str, Any]]:
    """Every fault of ``exc`` (each of a :class:`cleanheat.records.RecordErrors`) as ``{message, record, field}``."""
    faults: Sequence[InputError] = getattr(exc, "errors", None) or (exc,)
    return [{"message": e.reason, "record": e.record, "field": e.field} for e in faults]


def _number(raw: str, whole: bool) -> Any:
    """A form's number (``6,800`` → 6800); what is not a number stays text for the rules to refuse by name."""
    text = raw.replace(",", "").replace("，", "").strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return raw
    return int(value) if whole and value.is_integer() else value


def _truth(raw: str | None) -> bool | None:
    if raw is None or raw.strip() == "":
        return None
    return raw.strip().lower() in ("true", "on", "1", "yes", "是")


def form_record(form: Mapping[str, str], fields: Sequence[Field]) -> dict[str, Any]:
    """The record the form's fields mean, field by field as the rules engine declares them.

    An empty field is left out (a required one is then named as missing by the engine); a
    checkbox is ``true`` when sent and ``false`` when not; a yes/no/unknown choice of a nullable
    field is ``null`` when unknown; a mapping's items come as ``NAME.ITEM`` fields. Nothing is
    validated here: the engine does that, exactly as for the CLI.
    """
    rec: dict[str, Any] = {}
    for f in fields:
        raw = form.get(f.name)
        if f.kind == "bool":
            if f.nullable:
                truth = _truth(raw)
                if truth is not None or f.name in form:
                    rec[f.name] = truth
            else:
                rec[f.name] = bool(_truth(raw))
        elif f.kind == "mapping":
            items: dict[str, Any] = {}
            for key in f.choices:
                sub = form.get(f"{f.name}.{key}")
                if f.item_kind == "bool":
                    items[key] = bool(_truth(sub))
                elif sub is not None and sub.strip():
                    items[key] = _number(sub, True)
            if items or f.required:
                rec[f.name] = items
        elif raw is None or raw.strip() == "":
            if f.nullable:
                rec[f.name] = None
        elif f.kind in ("int", "number"):
            rec[f.name] = _number(raw, f.kind == "int")
        else:
            rec[f.name] = raw.strip()
    return rec


def yanchi_record(form: Mapping[str, str]) -> dict[str, Any]:
    """A ``subsidy yanchi`` record from the calculator's form fields."""
    from cleanheat.policy.rules.yanchi import FIELDS

    return form_record(form, FIELDS)


def beijing_record(form: Mapping[str, str]) -> dict[str, Any]:
    """A ``funding beijing`` record from the calculator's form fields."""
    from cleanheat.policy.rules.beijing import FIELDS

    return form_record(form, FIELDS)


def _field_schema(f: Field) -> dict[str, Any]:
    kinds: dict[str, dict[str, Any]] = {
        "str": {"type": "string"}, "bool": {"type": "boolean"}, "date": {"type": "string", "format": "date"},
        "int": {"type": "integer", "minimum": 0}, "number": {"type": "number", "minimum": 0},
    }
    if f.kind == "code":
        s: dict[str, Any] = {"type": "string", "enum": [*f.choices, *f.aliases]}
    elif f.kind == "mapping":
        item: dict[str, Any] = {"type": "boolean"} if f.item_kind == "bool" else {"type": "integer", "minimum": 0}
        if f.maximum is not None and f.item_kind != "bool":
            item["maximum"] = int(f.maximum)
        s = {"type": "object", "properties": {k: dict(item) for k in f.choices}, "additionalProperties": False}
    else:
        s = dict(kinds[f.kind])
        if f.maximum is not None and f.kind in ("int", "number"):
            s["maximum"] = f.maximum
    if f.nullable:
        s = {"anyOf": [s, {"type": "null"}]}
    return s


def record_schema(fields: Sequence[Field], title: str) -> dict[str, Any]:
    """The JSON Schema of the API's body: one record of ``fields`` or a list of them (documentation only)."""
    one = {"type": "object", "title": title, "properties": {f.name: _field_schema(f) for f in fields},
           "required": [f.name for f in fields if f.required]}
    return {"oneOf": [one, {"type": "array", "items": one}]}


def _openapi_body(schema: dict[str, Any], example: Any) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema,
                                                                                 "example": example}}}}


def _yanchi_schema() -> dict[str, Any]:
    from cleanheat.policy.rules.yanchi import FIELDS

    return record_schema(FIELDS, "Yanchi household")


def _beijing_schema() -> dict[str, Any]:
    from cleanheat.policy.rules.beijing import FIELDS

    return record_schema(FIELDS, "Beijing project")


def _simulate_schema() -> dict[str, Any]:
    one = {"type": "object", "title": "House", "required": ["site", "heated_area_m2", "dwelling", "envelope"],
           "properties": {
               "house_id": {"type": "string"}, "site": {"type": "string", "examples": ["yanchi", "beijing"]},
               "heated_area_m2": {"type": "number", "minimum": 10, "maximum": 2000},
               "dwelling": {"type": "string", "enum": ["brick", "cave", "other"]},
               "envelope": {"type": "string", "enum": ["uninsulated", "partly_insulated", "insulated"]},
               "gas_available": {"type": "boolean"}, "night_setback": {"type": "boolean"},
               "emitter": {"type": "string", "enum": ["floor_heating", "capillary_mat", "fan_coil",
                                                      "low_temp_radiator", "radiator"]},
               "service_level": {"oneOf": [
                   {"type": "string", "enum": ["rural_typical", "coal_observed", "full_comfort"]},
                   {"type": "object", "properties": {
                       "name": {"type": "string"}, "heated_share": {"type": "number", "minimum": 0.05, "maximum": 1},
                       "heating_hours": {"type": "integer", "minimum": 1, "maximum": 24},
                       "set_point_c": {"type": "number", "minimum": 5, "maximum": 26},
                       "setback_c": {"type": ["number", "null"]}}}]},
               "compare_with": {"type": "string", "enum": ["as_heated_now", "equal_comfort"]},
               "tariff": {"type": "object"}, "prices": {"type": "object"}}}
    return {"oneOf": [one, {"type": "array", "items": one, "maxItems": MAX_SIMULATE_RECORDS}]}


def _json(obj: Any) -> Response:
    """JSON exactly as the CLI writes it (orjson, Chinese kept as is)."""
    return Response(orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS), media_type="application/json")


def _bad(exc: InputError) -> JSONResponse:
    return JSONResponse({"detail": error_details(exc)}, status_code=422)


async def _decide_body(request: Request, decide: Callable[..., list[dict[str, Any]]], trace: bool) -> Response:
    try:
        records, was_list = read_records(await request.body())
        out = await run_in_threadpool(decide, records, trace=trace)
    except InputError as exc:
        return _bad(exc)
    return _json(out if was_list else out[0])


# --------------------------------------------------------------------------------------------
# API
# --------------------------------------------------------------------------------------------

TRACE = Query(False, description="Add the versioned trace: every parameter read, its value and date (`--trace`).")


@router.post("/api/v1/subsidy/yanchi", tags=["public"], summary="Yanchi household subsidy (= cleanheat subsidy yanchi)",
             openapi_extra=_openapi_body(_yanchi_schema(), {
                 "household_id": "YC-0042", "township": "大水坑镇", "heated_area_m2": 75, "dwelling": "cave",
                 "technology": "gas_boiler", "installed_on": "2022-09-12", "enterprise_registered": True,
                 "accepted_on": None, "invoice_cny": 6800}),
             responses={200: {"description": "The decision (one object in) or decisions (a list in, same order)"},
                        422: {"description": "A bad record: every bad record and field named"}})
async def api_subsidy_yanchi(request: Request, trace: bool = TRACE) -> Response:
    """Decide Yanchi household subsidies (盐政办发〔2022〕8号 六(二)): `status`, `central_cny`, `local_cny`,
    `total_cny`, `household_share_cny` and `reasons` (rule, clause, detail in Chinese, detail_en)."""
    from cleanheat.policy.decide import decide_yanchi

    return await _decide_body(request, decide_yanchi, trace)


@router.post("/api/v1/funding/beijing", tags=["public"],
             summary="Beijing project funding (= cleanheat funding beijing)",
             openapi_extra=_openapi_body(_beijing_schema(), {
                 "project_id": "BJ-0001", "zone": "plain_new_towns", "source": "sewage", "kind": "expansion",
                 "heated_area_m2": 120000, "investment_cny": {"water_intake": 3000000, "heat_pump_units": 4000000},
                 "ground_heat_balance_ok": True, "applied_on": "2021-05-10"}),
             responses={200: {"description": "The decision (one object in) or decisions (a list in, same order)"},
                        422: {"description": "A bad record: every bad record and field named"}})
async def api_funding_beijing(request: Request, trace: bool = TRACE) -> Response:
    """Decide Beijing heat-pump project funding (京热泵实施意见(2019)): `eligible`, `support_ratio`,
    `eligible_investment_cny`, `support_cny`, `approval`, `obligations`, `reasons`."""
    from cleanheat.policy.decide import decide_beijing

    return await _decide_body(request, decide_beijing, trace)


@router.post("/api/v1/simulate", tags=["public"],
             summary="Hourly simulation of every heating method (= cleanheat simulate)",
             openapi_extra=_openapi_body(_simulate_schema(), {
                 "house_id": "H-1", "site": "yanchi", "heated_area_m2": 70, "dwelling": "brick",
                 "envelope": "partly_insulated", "gas_available": False}),
             responses={200: {"description": "One result per house, in input order"},
                        401: {"description": "Not signed in"},
                        422: {"description": "A bad record (named with its field), or more than "
                                             f"{MAX_SIMULATE_RECORDS} houses"}})
async def api_simulate(
    request: Request, who: Annotated[Principal, Depends(require())],
    on: dt.date = Query(dt.date(2026, 1, 1), description="Date of the tariff and prices (`--on`)."),
) -> Response:
    """Simulate every heating method hour by hour over the site's heating season (signed-in users, any role).

    At most 100 houses a request: the first request for a site builds its climate (several
    seconds), later houses take milliseconds each; use `cleanheat simulate FILE` for larger batches.
    Technology overrides (`--param`) and your own weather file (`--weather`) are the CLI's only.
    """
    from cleanheat.simulate.records import simulate_records

    try:
        records, was_list = read_records(await request.body())
        if len(records) > MAX_SIMULATE_RECORDS:
            raise InputError(f"at most {MAX_SIMULATE_RECORDS} houses a request, got {len(records):,}; send them in "
                             "several requests or use `cleanheat simulate FILE`", field="body")
        results, _ = await run_in_threadpool(simulate_records, records, on=on)
    except InputError as exc:
        return _bad(exc)
    return _json(results if was_list else results[0])


# --------------------------------------------------------------------------------------------
# pages
# --------------------------------------------------------------------------------------------


def _choices(lang: str) -> dict[str, Any]:
    """The options of the forms' selects: (code, label) in the visitor's language."""
    from cleanheat.policy.rules.yanchi import TOWNSHIPS
    from cleanheat.web.i18n import translations

    t = translations(lang).gettext

    def opts(labels: Mapping[str, str]) -> list[tuple[str, str]]:
        return [(code, t(label)) for code, label in labels.items()]

    return {"townships": [(name, name) for name in TOWNSHIPS], "technologies": opts(TECHNOLOGY_LABELS),
            "dwellings": opts(DWELLING_LABELS), "zones": opts(ZONE_LABELS), "sources": opts(SOURCE_LABELS),
            "kinds": opts(KIND_LABELS), "investment_items": opts(INVESTMENT_LABELS)}


def _labels() -> dict[str, Mapping[str, str]]:
    return {"status": STATUS_LABELS, "authority": AUTHORITY_LABELS, "document": DOCUMENT_LABELS,
            "technology": TECHNOLOGY_LABELS, "zone": ZONE_LABELS, "source": SOURCE_LABELS, "kind": KIND_LABELS}


def _page(request: Request, *, calc: str, yanchi: Mapping[str, str], beijing: Mapping[str, str],
          result: dict[str, Any] | None = None, errors: list[dict[str, Any]] | None = None,
          status_code: int = 200) -> Response:
    lang = language(request)
    ctx = {"active": "/calculators", "calc": calc, "yanchi": yanchi, "beijing": beijing, "result": result,
           "errors": errors, "choices": _choices(lang), "labels": _labels(), "field_labels": FIELD_LABELS,
           "result_json": orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() if result else ""}
    htmx = request.headers.get("hx-request") == "true"
    template = f"public/_{calc}_result.html" if htmx and request.method == "POST" else "public/calculators.html"
    return render(request, template, ctx, status_code=status_code)


@router.get("/calculators", include_in_schema=False)
def calculators(request: Request, calc: str = "yanchi") -> Response:
    return _page(request, calc="beijing" if calc == "beijing" else "yanchi", yanchi=YANCHI_EXAMPLE,
                 beijing=BEIJING_EXAMPLE)


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


@router.post("/calculators", include_in_schema=False)
async def calculate(request: Request) -> Response:
    """Decide the form's record (field ``calc``: ``yanchi`` or ``beijing``) as the CLI would; stores nothing."""
    from cleanheat.policy.decide import decide_beijing, decide_yanchi

    fields = await _form_fields(request)
    calc = "beijing" if fields.pop("calc", "") == "beijing" else "yanchi"
    forms = {"yanchi": YANCHI_EXAMPLE, "beijing": BEIJING_EXAMPLE, calc: fields}
    decide, record = (decide_beijing, beijing_record) if calc == "beijing" else (decide_yanchi, yanchi_record)
    try:
        (result,) = await run_in_threadpool(decide, [record(fields)])
    except InputError as exc:
        return _page(request, calc=calc, yanchi=forms["yanchi"], beijing=forms["beijing"],
                     errors=error_details(exc), status_code=422)
    return _page(request, calc=calc, yanchi=forms["yanchi"], beijing=forms["beijing"], result=result)
