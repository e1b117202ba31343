"""The engine itself: dated lookups, neutral values, overrides, the trace."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cleanheat.errors import ParameterError
from cleanheat.policy.engine import DatedValue, Parameter, ParameterTree, default_tree


def _param(values: list[tuple[str, object]]) -> Parameter:
    return Parameter("x.y", "test", "currency-CNY", "ref", "", tuple(DatedValue(dt.date.fromisoformat(d), v)
                                                                       for d, v in values))


def test_value_applies_from_its_date_until_the_next():
    p = _param([("2021-01-01", 100), ("2022-03-01", 200), ("2024-01-01", None)])
    assert p.at(dt.date(2021, 1, 1)) == 100
    assert p.at(dt.date(2022, 2, 28)) == 100
    assert p.at(dt.date(2022, 3, 1)) == 200
    with pytest.raises(ParameterError):
        p.at(dt.date(2024, 1, 1))  # null: not in force
    with pytest.raises(ParameterError):
        p.at(dt.date(2020, 12, 31))  # before the first value


def test_vector_lookup_reads_neutral_where_not_in_force():
    p = _param([("2021-01-01", 100), ("2022-03-01", 200), ("2024-01-01", None)])
    dates = np.array(["2020-12-31", "2021-01-01", "2022-03-01", "2024-02-01", "NaT"], dtype="datetime64[D]")
    values, idx = p.values_at(dates)
    assert values.tolist() == [0, 100, 200, 0, 0]
    assert idx.tolist() == [-1, 0, 1, -1, -1]


def test_every_shipped_parameter_has_a_reference_and_documentation():
    tree = default_tree()
    assert len(tree) >= 30
    for p in tree:
        assert p.reference.strip(), p.name
        assert p.documentation.strip(), f"{p.name}: original text missing"
        assert p.values, p.name


def test_override_replaces_values_in_force_only():
    tree = default_tree().with_overrides({"yanchi.programme.open": False})
    p = tree["yanchi.programme.open"]
    assert p.at(dt.date(2022, 1, 1)) is False
    assert p.overridden
    assert default_tree()["yanchi.programme.open"].at(dt.date(2022, 1, 1)) is True  # the original is untouched


def test_override_from_a_date_keeps_earlier_values():
    tree = default_tree().with_overrides({"yanchi.subsidy.local_cny": 2000}, start=dt.date(2023, 1, 1))
    p = tree["yanchi.subsidy.local_cny"]
    assert p.at(dt.date(2022, 12, 31)) == 1800
    assert p.at(dt.date(2023, 1, 1)) == 2000


def test_unknown_parameter_is_a_parameter_error():
    with pytest.raises(ParameterError, match="no parameter named"):
        default_tree()["yanchi.subsidy.nope"]


def test_a_parameter_file_without_reference_is_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.yaml").write_text("description: x\nvalues:\n  2021-01-01:\n    value: 1\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="reference"):
        ParameterTree.load(tmp_path)


def test_trace_names_every_parameter_read_with_its_date():
    from cleanheat.policy.decide import decide_yanchi

    rec = {"household_id": "T", "township": "青山乡", "heated_area_m2": 70, "dwelling": "brick",
           "technology": "gas_boiler", "installed_on": "2022-03-01", "enterprise_registered": True,
           "accepted_on": "2022-04-01", "invoice_cny": 6000}
    out = decide_yanchi([rec], trace=True)[0]
    t = out["trace"]
    assert t["package_version"]
    reads = {e["parameter"]: e for e in t["parameters"]}
    assert reads["yanchi.subsidy.central_cny"]["value"] == 3500
    assert reads["yanchi.enterprise.registration_required"]["effective_from"] == "2022-03-01"
    assert reads["yanchi.acceptance.open"]["read_on"] == "accepted_on"


def test_fast_and_slow_validation_agree():
    from cleanheat.demo.yanchi import generate_households
    from cleanheat.policy.rules.yanchi import FIELDS, LEDGER_FIELDS
    from cleanheat.records import _to_columns_slow, to_columns

    records = generate_households(seed=3, n=500)
    fast = to_columns(records, FIELDS, "household_id", LEDGER_FIELDS)
    slow = _to_columns_slow(records, FIELDS, "household_id", LEDGER_FIELDS)
    assert fast.keys() == slow.keys()
    for name in fast:
        a, b = fast[name], slow[name]
        if a.dtype.kind == "M":
            a, b = a.view(np.int64), b.view(np.int64)
        assert np.array_equal(a, b), name


def test_date_objects_take_the_fast_path_and_agree():
    """The registry hands dates as ``datetime.date``: the fast path takes them (a future one still goes to
    the slow path, which refuses it), with the same result as the slow path."""
    import datetime as dt

    import cleanheat.records as records_mod
    from cleanheat.demo.yanchi import generate_households
    from cleanheat.errors import InputError
    from cleanheat.policy.rules.yanchi import FIELDS, LEDGER_FIELDS

    records = generate_households(seed=3, n=200)
    for rec in records:
        for k in ("installed_on", "accepted_on"):
            if isinstance(rec.get(k), str):
                rec[k] = dt.date.fromisoformat(rec[k])
    date_field = next(f for f in FIELDS if f.name == "installed_on")
    assert records_mod._fast_column(records, date_field, records_mod._today()) is not None
    fast = records_mod.to_columns(records, FIELDS, "household_id", LEDGER_FIELDS)
    slow = records_mod._to_columns_slow(records, FIELDS, "household_id", LEDGER_FIELDS)
    for name in fast:
        a, b = fast[name], slow[name]
        if a.dtype.kind == "M":
            a, b = a.view(np.int64), b.view(np.int64)
        assert np.array_equal(a, b), name
    records[7]["installed_on"] = dt.date(2999, 1, 1)
    if date_field.not_future:
        with pytest.raises(InputError):
            records_mod.to_columns(records, FIELDS, "household_id", LEDGER_FIELDS)
