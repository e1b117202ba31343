"""Cell values as offices type them: identity numbers, phones, amounts, dates, and the synonym tables of codes."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from cleanheat import codes, normalise
from cleanheat.codes import Dwelling, Technology

TODAY = dt.date(2026, 12, 2)
VALID = "640323198001010611"  # 17 digits + the check character computed by hand below


def test_check_digit_by_hand() -> None:
    # GB 11643-1999: sum of digit × weight mod 11 → "10X98765432"
    body = "64032319800101061"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    assert total == 220 and total % 11 == 0 and "10X98765432"[0] == "1"
    assert normalise.check_digit(body) == "1"
    assert normalise.check_digit("64032319851004000") == "X"  # the template's example: 222 % 11 = 2 → X
    assert normalise.id_number(VALID, today=TODAY) == VALID
    assert normalise.id_number("64032319851004000x", today=TODAY) == "64032319851004000X"  # lower-case x
    assert normalise.id_number("６４０３２３１９８００１０１０６１１ ", today=TODAY) == VALID  # full-width, space


def test_identity_number_as_a_float_is_refused() -> None:
    # what Excel made of 640323198001011234 in a General cell
    with pytest.raises(ValueError, match="数字.*text"):
        normalise.id_number(6.40323198001011e17, today=TODAY)


def test_identity_number_as_an_integer_is_refused() -> None:
    # an int read from the cell no longer carries the real digits (…0610 came back as …0560)
    with pytest.raises(ValueError, match="stored as a number"):
        normalise.id_number(640323198001010560, today=TODAY)
    with pytest.raises(ValueError, match="scientific"):
        normalise.id_number("6.40323E+17", today=TODAY)  # the same cell saved as CSV


def test_identity_number_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(ValueError, match="校验码.*expected 1, got 4"):
        normalise.id_number("640323198001010614", today=TODAY)
    with pytest.raises(ValueError, match="校验码|出生日期"):
        normalise.id_number("999999999999999999", today=TODAY)


@pytest.mark.parametrize("number", [
    "640323198002300614",  # 30 February
    "640323198013010614",  # month 13
    "640323202712010614",  # born after today
    "640323189912310614",  # before 1900
])
def test_identity_number_with_an_impossible_birth_date_is_refused(number: str) -> None:
    with pytest.raises(ValueError, match="出生日期"):
        normalise.id_number(number, today=TODAY)


def test_fifteen_digit_identity_numbers_are_refused_with_the_18_digit_form() -> None:
    with pytest.raises(ValueError, match="15位.*640323198001010611"):
        normalise.id_number("640323800101061", today=TODAY)
    with pytest.raises(ValueError, match="18位"):
        normalise.id_number("64032319800101", today=TODAY)


def test_phones() -> None:
    assert normalise.phone("１３９１２３４５６７８") == "13912345678"
    assert normalise.phone_digits("＋８６ １３６－３０８８－９２５３") == "13630889253"
    assert normalise.phone("0953-6012345") == "0953-6012345"
    assert normalise.phone(13912345678) == "13912345678"  # a mobile number survives a number cell
    for bad in ("123", "1391234567", "139123456789", "电话13912345678"):
        with pytest.raises(ValueError, match="phone"):
            normalise.phone(bad)
    with pytest.raises(ValueError, match="leading 0"):
        normalise.phone(9536012345)  # 0953-6012345 typed into a number cell


def test_identifiers() -> None:
    assert normalise.identifier("ＹＣ－２０２２－１００６０１") == "YC-2022-100601"
    assert normalise.identifier(" YC—2022 – 100601\u3000") == "YC-2022-100601"


@pytest.mark.parametrize(("raw", "unit", "value"), [
    ("16,500元", "cny", 16500), ("１６５００", "cny", 16500), ("¥16,500", "cny", 16500), ("16500.0", "cny", 16500.0),
    ("80平方米", "m2", 80), ("80㎡", "m2", 80), ("80 m²", "m2", 80), ("92.9平米", "m2", 92.9), (" ８０ ", "m2", 80),
    (75.0, "m2", 75), (1_234_567, "cny", 1_234_567),
])
def test_amounts(raw: object, unit: str, value: float) -> None:
    got = normalise.amount(raw, unit=unit)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(("raw", "unit"), [
    ("16,5", "cny"), ("1,65,00", "cny"), ("80元", "m2"), ("1.65万元", "cny"), ("abc", None), ("", None),
    (float("nan"), None), ("inf", None), (True, None),
])
def test_amounts_refused(raw: object, unit: str | None) -> None:
    with pytest.raises(ValueError, match="not a number"):
        normalise.amount(raw, unit=unit)


@pytest.mark.parametrize("raw", [
    "2022-03-01", "2022/3/1", "2022.3.1", "2022年3月1日", "20220301", "２０２２年３月１日", "2022/03/01 00:00:00",
    "2022-3-1", 20220301, dt.date(2022, 3, 1), dt.datetime(2022, 3, 1, 14, 5),
])
def test_date_forms(raw: object) -> None:
    assert normalise.parse_date(raw) == dt.date(2022, 3, 1)


@pytest.mark.parametrize("raw", ["3/1/2022", "22-3-1", "2022-02-30", "2022-03", "44621", 44621, 44621.5,
                                 "2022/3/1 8:30", "yesterday"])
def test_other_dates_refused(raw: object) -> None:
    with pytest.raises(ValueError, match="date"):
        normalise.parse_date(raw)


@pytest.mark.parametrize(("name", "code"), [
    ("空气源热泵", Technology.ASHP_WATER), ("空气能", Technology.ASHP_WATER), ("空气源", Technology.ASHP_WATER),
    ("热泵热水机", Technology.ASHP_WATER), ("空气源热泵热水机", Technology.ASHP_WATER),
    ("热风机", Technology.FAN_HEATER_DIRECT), ("电暖器", Technology.FAN_HEATER_DIRECT),
    ("电直热", Technology.FAN_HEATER_DIRECT), ("热泵热风机＋电直热", Technology.FAN_HEATER_DIRECT),
    ("蓄热式电暖器", Technology.STORAGE_ELECTRIC), ("电蓄热", Technology.STORAGE_ELECTRIC),
    ("壁挂炉", Technology.GAS_BOILER), ("燃气壁挂炉", Technology.GAS_BOILER), ("燃气炉", Technology.GAS_BOILER),
    ("地源热泵", Technology.GSHP), ("太阳能", Technology.SOLAR_AUX), ("太阳能+", Technology.SOLAR_AUX),
    ("太阳能+电辅热", Technology.SOLAR_AUX), ("太阳能与地源热泵耦合跨季节蓄热", Technology.SOLAR_GSHP_SEASONAL),
    ("二氧化碳热泵", Technology.CO2_ASHP), ("CO2热泵", Technology.CO2_ASHP), ("生物质", Technology.BIOMASS),
    ("生物质炉", Technology.BIOMASS), ("煤炉", Technology.COAL_STOVE), ("散煤", Technology.COAL_STOVE),
    ("ashp_water", Technology.ASHP_WATER), (" gshp ", Technology.GSHP),
])
def test_method_synonyms(name: str, code: Technology) -> None:
    assert codes.technology_code(name) is code


def test_unknown_method_lists_the_accepted_names_in_chinese() -> None:
    with pytest.raises(ValueError) as err:
        codes.technology_code("核能")
    message = str(err.value)
    assert "未知取暖方式" in message and "'核能'" in message
    for name in ("空气源热泵热水机", "燃气壁挂炉", "壁挂炉", "蓄热式电暖器", "生物质炉"):
        assert name in message
    assert "(ashp_water)" in message and "(gas_boiler)" in message


def test_dwellings_and_yes_no() -> None:
    assert codes.dwelling_code("砖瓦房") is Dwelling.BRICK
    assert codes.dwelling_code("土窑") is Dwelling.CAVE and codes.dwelling_code("窑洞") is Dwelling.CAVE
    assert codes.dwelling_code("其它") is Dwelling.OTHER
    with pytest.raises(ValueError, match="未知房屋类型.*砖房"):
        codes.dwelling_code("帐篷")
    assert [codes.yes_no(v) for v in ("是", "√", "有", "Y", "TRUE", 1, True)] == [True] * 7
    assert [codes.yes_no(v) for v in ("否", "×", "无", "n", "False", 0, False)] == [False] * 7
    with pytest.raises(ValueError, match="是/否"):
        codes.yes_no("也许")


def test_townships() -> None:
    from cleanheat.policy.rules.yanchi import TOWNSHIPS

    assert codes.township_name("大水坑", TOWNSHIPS) == "大水坑镇"
    assert codes.township_name(" 花马池镇 ", TOWNSHIPS) == "花马池镇"
    with pytest.raises(ValueError, match="did you mean 王乐井乡") as err:
        codes.township_name("王乐井镇", TOWNSHIPS)
    assert "花马池镇、惠安堡镇、大水坑镇、高沙窝镇、王乐井乡、青山乡、冯记沟乡、麻黄山乡" in str(err.value)
    with pytest.raises(ValueError, match="未知乡镇"):
        codes.township_name("东京", TOWNSHIPS)


def test_the_synonym_table_is_the_documented_one() -> None:
    """docs/nomenclature.md lists every synonym with its code and reason; the two never drift apart."""
    doc = (Path(__file__).parents[1] / "docs" / "nomenclature.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Names as written"):]
    rows = dict(re.findall(r"^\| (\S+) \| `(\w+)` \|", section, flags=re.M))
    expected = {**{n: str(c) for c, n in codes.TECHNOLOGY_NAMES.items()},
                **{n: c.value for n, c in codes.METHOD_SYNONYMS.items()},
                **{n: str(d) for d, n in codes.DWELLING_NAMES.items()},
                **{n: d.value for n, d in codes.DWELLING_SYNONYMS.items()}}
    assert rows == expected


def test_a_near_miss_gets_a_suggestion_never_a_guess() -> None:
    with pytest.raises(ValueError, match="did you mean 燃气壁挂炉"):
        codes.technology_code("燃气壁挂")
    with pytest.raises(ValueError, match="did you mean 砖房"):
        codes.dwelling_code("砖房子")
