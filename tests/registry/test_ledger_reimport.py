"""Ledger re-import: corrections applied where safe, refused where not, audited with old and new values;
warnings for what the import reads but does not apply; the audited amendment; the duplicate search."""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cleanheat.errors import Conflict, InputError
from cleanheat.registry import audit
from cleanheat.registry.models import Acceptance, FundEnvelope, FundLedgerEntry, Installation, Payment, Target, Township
from cleanheat.registry.services import households, installations, ledger, payments

from . import factories

PAID_ON = dt.date(2022, 9, 20)
AREA = unicodedata.normalize("NFKC", "取暖面积(㎡)")
"""The area column as an error names it: the header as read (NFKC, ㎡ → m2)."""
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(k: int) -> str:
    """A valid 18-digit identity number (GB 11643 check digit) born 1980-01-01, sequence ``k``."""
    body = f"64032319800101{k:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def row(k: int, **over: Any) -> dict[str, Any]:
    """A ledger row of household YC-R-0000k: 80 m² brick, ashp_water by ENT-A, invoice 16,500, not accepted."""
    r: dict[str, Any] = {
        "农户编号": f"YC-R-{k:06d}", "乡镇": "花马池镇", "行政村": "红井子村", "户主姓名": f"王{k}号",
        "身份证号": id_number(k), "联系电话": f"1390000{k:04d}", "住址": f"花马池镇红井子村{k}号",
        "取暖面积(㎡)": "80", "房屋类型": "砖房", "取暖方式": "ashp_water", "屋顶光伏": "否",
        "安装日期": "2022-06-01", "自主安装": "否", "安装企业编号": "ENT-A", "企业已登记": "是",
        "已享受补贴": "否", "验收日期": "", "发票金额(元)": "16500", "年度": "2022",
    }
    r.update(over)
    return r


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def load(session: Session, path: Path) -> dict[str, Any]:
    return ledger.import_file(session=session, path=path, actor="花马池镇")


def refused(session: Session, path: Path) -> set[tuple[int, str]]:
    with pytest.raises(ledger.LedgerImportError) as exc:
        load(session, path)
    return {(e.row, e.column) for e in exc.value.errors}


def state(session: Session, k: int) -> households.HouseholdState:
    return households.states(session=session, household_ids=[f"YC-R-{k:06d}"])[f"YC-R-{k:06d}"]


def live(session: Session, k: int) -> list[installations.LiveInstallation]:
    return installations.live_installations(session=session, household_pks=[state(session, k).pk])[state(session, k).pk]


def paid_household(session: Session, tmp_path: Path, k: int = 1) -> None:
    """Household k imported accepted on 2022-07-01 and paid on 2022-09-20 (5,300 CNY)."""
    factories.programme(session)
    load(session, write(tmp_path / "first.csv", [row(k, 验收日期="2022-07-01")]))
    result = payments.pay_accepted(session=session, actor="财务", paid_on=PAID_ON)
    assert result.paid == 1 and result.total_cny == 5300


def changes_of(session: Session, resource: str, action: str) -> list[dict[str, Any]]:
    return [e["data"]["changes"] for e in audit.log(session, resource=resource)
            if e["type"] == f"cn.cleanheat.{action}"]


# --- what a re-import must refuse ---------------------------------------------------------------------------


def test_method_of_a_paid_household_is_not_changed_by_reimport(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    assert refused(session, write(tmp_path / "gshp.csv", [row(1, 验收日期="2022-07-01", 取暖方式="gshp")])) == {
        (2, "取暖方式")}
    (only,) = live(session, 1)  # today a second, accepted installation appears
    assert only.technology == "ashp_water"
    assert session.execute(select(func.count()).select_from(Installation)).scalar_one() == 1


def test_township_of_a_paid_household_is_not_changed_by_reimport(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    assert refused(session, write(tmp_path / "moved.csv", [row(1, 验收日期="2022-07-01", 乡镇="青山乡")])) == {
        (2, "乡镇")}
    st = state(session, 1)
    assert (st.township, st.village) == ("花马池镇", "红井子村")


def test_area_of_a_paid_household_is_not_cut_by_reimport(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    errors = refused(session, write(tmp_path / "small.csv", [row(1, 验收日期="2022-07-01", **{"取暖面积(㎡)": "50"})]))
    assert errors == {(2, AREA)}
    assert state(session, 1).heated_area_m2 == 80.0


def test_refusal_is_all_or_nothing(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    errors = refused(session, write(tmp_path / "mixed.csv", [row(2), row(1, 验收日期="2022-07-01", 乡镇="青山乡")]))
    assert errors == {(3, "乡镇")}
    assert "YC-R-000002" not in households.states(session=session, household_ids=["YC-R-000002"])


def test_accepted_household_keeps_village_and_area_but_takes_other_corrections(session: Session,
                                                                              tmp_path: Path) -> None:
    factories.programme(session)
    load(session, write(tmp_path / "a.csv", [row(1, 验收日期="2022-07-01")]))
    assert refused(session, write(tmp_path / "v.csv", [row(1, 验收日期="2022-07-01", 行政村="萌城村")])) == {
        (2, "行政村")}
    out = load(session, write(tmp_path / "name.csv", [row(1, 验收日期="2022-07-01", 户主姓名="王一号")]))
    assert out["households_updated"] == 1 and state(session, 1).name == "王一号"


def test_paid_installation_keeps_invoice_and_acceptance_date(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    errors = refused(session, write(tmp_path / "inv.csv", [row(1, 验收日期="2022-07-15", **{"发票金额(元)": "4000"})]))
    assert errors == {(2, "发票金额(元)"), (2, "验收日期")}
    (li,) = live(session, 1)
    assert (li.invoice_cny, li.accepted_on) == (16500, dt.date(2022, 7, 1))


def test_after_a_recovery_the_corrected_invoice_is_applied_and_paid(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    payments.reverse_payment(session=session, actor="财务", why="发票实为4000元 the invoice was 4,000",
                             household_id="YC-R-000001", on=dt.date(2022, 10, 1))
    out = load(session, write(tmp_path / "fixed.csv", [row(1, 验收日期="2022-07-01", **{"发票金额(元)": "4000"})]))
    assert out["installations_updated"] == 1
    (li,) = live(session, 1)
    again = payments.pay_installation(session=session, installation_id=li.id, actor="财务",
                                      paid_on=dt.date(2022, 10, 20))  # a recovered household: one at a time
    assert again.total_cny == 4000


# --- corrections that a re-import applies -------------------------------------------------------------------


def test_corrected_invoice_is_applied_and_caps_the_payment(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    first = load(session, write(tmp_path / "first.csv", [row(1)]))
    assert first["installations_created"] == 1
    (before,) = live(session, 1)
    out = load(session, write(tmp_path / "corrected.csv", [row(1, 验收日期="2022-08-01", **{"发票金额(元)": "4000"})]))
    assert out["installations_created"] == 0 and out["installations_updated"] == 1
    assert out["acceptances_recorded"] == 1
    (after,) = live(session, 1)
    assert after.id == before.id and after.invoice_cny == 4000 and after.accepted_on == dt.date(2022, 8, 1)
    # commitments follow the corrected invoice: 3,500 central + 1,800 county, the county part cut first to 500
    committed = dict(session.execute(
        select(FundEnvelope.source, func.sum(FundLedgerEntry.amount_cny))
        .join(FundEnvelope, FundLedgerEntry.envelope_id == FundEnvelope.id)
        .where(FundLedgerEntry.installation_id == after.id, FundLedgerEntry.kind == "commit")
        .group_by(FundEnvelope.source)).all())
    assert committed == {"central": 3500, "county": 500}
    result = payments.pay_accepted(session=session, actor="财务", paid_on=PAID_ON)
    assert result.paid == 1 and result.total_cny == 4000  # 六(二) 补贴范围: never above the invoice
    assert changes_of(session, f"installation/{after.id}", "installation.updated") == [
        {"invoice_cny": {"old": 16500, "new": 4000}}]


def test_corrected_installer_and_rooftop_pv_are_applied(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    load(session, write(tmp_path / "first.csv", [row(1)]))
    load(session, write(tmp_path / "self.csv", [row(1, 自主安装="是", 安装企业编号="", 企业已登记="", 屋顶光伏="是")]))
    (li,) = live(session, 1)
    assert (li.self_install, li.enterprise_id, li.with_rooftop_pv) == (True, None, True)
    assert changes_of(session, f"installation/{li.id}", "installation.updated") == [{
        "enterprise_code": {"old": "ENT-A", "new": None}, "self_install": {"old": False, "new": True},
        "with_rooftop_pv": {"old": False, "new": True}}]


def test_corrected_acceptance_date_is_applied(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    load(session, write(tmp_path / "first.csv", [row(1, 验收日期="2022-07-01")]))
    out = load(session, write(tmp_path / "fixed.csv", [row(1, 验收日期="2022-07-15")]))
    assert out["acceptances_corrected"] == 1 and out["acceptances_recorded"] == 0
    (li,) = live(session, 1)
    assert li.accepted_on == dt.date(2022, 7, 15)
    assert session.execute(select(func.count()).select_from(Acceptance)).scalar_one() == 1
    assert changes_of(session, f"installation/{li.id}", "installation.acceptance_corrected") == [
        {"accepted_on": {"old": "2022-07-01", "new": "2022-07-15"}}]


def test_changed_install_date_and_method_of_unaccepted_update_the_one_installation(session: Session,
                                                                                   tmp_path: Path) -> None:
    factories.programme(session)
    load(session, write(tmp_path / "first.csv", [row(1)]))
    (before,) = live(session, 1)
    out = load(session, write(tmp_path / "fixed.csv", [row(1, 安装日期="2022-06-15", 取暖方式="gshp")]))
    assert out["installations_created"] == 0 and out["installations_updated"] == 1
    (after,) = live(session, 1)
    assert (after.id, after.installed_on, after.technology) == (before.id, dt.date(2022, 6, 15), "gshp")


def test_household_update_audits_old_and_new_values(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    load(session, write(tmp_path / "first.csv", [row(1)]))
    load(session, write(tmp_path / "fixed.csv", [row(1, 户主姓名="王一号", **{"取暖面积(㎡)": "85.5"})]))
    assert changes_of(session, "household/YC-R-000001", "household.updated") == [
        {"heated_area_m2": {"old": 80.0, "new": 85.5}, "name": {"old": "王1号", "new": "王一号"}}]


def test_empty_optional_cell_keeps_the_stored_value(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    load(session, write(tmp_path / "first.csv", [row(1, 屋顶光伏="是", 验收日期="2022-07-01")]))
    out = load(session, write(tmp_path / "blank.csv", [row(1, 住址="", 屋顶光伏="", 验收日期="")]))
    assert out["households_unchanged"] == 1 and out["installations_updated"] == 0
    assert state(session, 1).address == "花马池镇红井子村1号"
    (li,) = live(session, 1)
    assert li.with_rooftop_pv is True and li.accepted_on == dt.date(2022, 7, 1)
    assert [(w["row"], w["column"]) for w in out["warnings"]] == [(2, "验收日期")]


# --- warnings -----------------------------------------------------------------------------------------------


def test_changed_payment_columns_are_reported_not_applied(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    voucher = f"BT{PAID_ON:%Y%m%d}-YC-R-000001"
    same = row(1, 验收日期="2022-07-01", **{"补贴金额(元)": "5300", "凭证号": voucher, "发放日期": "2022-09-20"})
    assert load(session, write(tmp_path / "same.csv", [same]))["warnings"] == []
    edited = dict(same, **{"补贴金额(元)": "99999"})
    out = load(session, write(tmp_path / "edited.csv", [edited]))
    assert [(w["row"], w["column"]) for w in out["warnings"]] == [(2, "补贴金额(元)")]
    assert "5300" in out["warnings"][0]["reason"]
    assert session.execute(select(Payment.total_cny)).scalar_one() == 5300


def test_same_identity_number_twice_in_a_file_is_a_warning(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    out = load(session, write(tmp_path / "twice.csv", [row(1), row(2), row(3, 身份证号=id_number(1))]))
    assert out["households_created"] == 3
    assert [(w["row"], w["column"]) for w in out["warnings"]] == [(4, "身份证号")]
    assert "YC-R-000001" in out["warnings"][0]["reason"]


def test_households_beyond_the_township_target_are_a_warning(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    town, target = session.execute(
        select(Township.name, Target.households).join(Township, Target.township_id == Township.id)
        .where(Target.year == 2022).order_by(Target.households, Township.name).limit(1)).one()
    rows = [row(k, 乡镇=town, 行政村="新村", 年度="2022", 验收日期="") for k in range(1, target + 1)]
    assert load(session, write(tmp_path / "full.csv", rows))["warnings"] == []
    out = load(session, write(tmp_path / "over.csv", [row(target + 1, 乡镇=town, 行政村="新村")]))
    assert [w["column"] for w in out["warnings"]] == ["乡镇"]
    assert f"{target + 1:,}" in out["warnings"][0]["reason"] and f"{target:,}" in out["warnings"][0]["reason"]


def test_nan_area_is_a_row_error(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    errors = refused(session, write(tmp_path / "nan.csv", [row(1), row(2, **{"取暖面积(㎡)": "nan"})]))
    assert errors == {(3, AREA)}


def test_progress_is_reported(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    seen: list[tuple[int, int]] = []
    ledger.import_file(session=session, path=write(tmp_path / "p.csv", [row(1)]), actor="x",
                       progress=lambda done, total: seen.append((done, total)))
    assert seen == [(k, ledger.IMPORT_STEPS) for k in range(1, ledger.IMPORT_STEPS + 1)]


def test_export_reports_progress_and_imports_back_without_warnings(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    load(session, write(tmp_path / "second.csv", [row(2)]))
    seen: list[tuple[int, int]] = []
    n = ledger.export_xlsx(session=session, path=tmp_path / "out.xlsx", progress=lambda d, t: seen.append((d, t)))
    assert n == 2 and seen == [(3, 3)]  # two households + the write
    out = load(session, tmp_path / "out.xlsx")
    assert out["households_unchanged"] == 2 and out["warnings"] == [] and out["installations_updated"] == 0


# --- the audited amendment ----------------------------------------------------------------------------------


def test_amend_needs_a_reason(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    with pytest.raises(InputError, match="why"):
        households.amend(session=session, household_id="YC-R-000001", changes={"heated_area_m2": 85}, actor="县住建局",
                         why=" ")
    with pytest.raises(InputError, match="heated_area"):
        households.amend(session=session, household_id="YC-R-000001", changes={"heated_area": 85}, actor="县住建局",
                         why="re-measured")


def test_amend_of_paid_household_keeps_what_the_payment_stands_on(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    done = households.amend(session=session, household_id="YC-R-000001", changes={"heated_area_m2": "85"},
                            actor="县住建局", why="re-measured on site 2022-10-01")
    assert done == {"heated_area_m2": (80.0, 85.0)}
    (ev,) = [e for e in audit.log(session, resource="household/YC-R-000001")
             if e["type"] == "cn.cleanheat.household.amended"]
    assert ev["data"]["changes"] == {"heated_area_m2": {"old": 80.0, "new": 85.0}}
    assert ev["why"] == "re-measured on site 2022-10-01"
    with pytest.raises(Conflict, match="60"):  # below the 60 m² minimum the paid subsidy would not stand
        households.amend(session=session, household_id="YC-R-000001", changes={"heated_area_m2": 50},
                         actor="县住建局", why="re-measured")
    with pytest.raises(Conflict, match="paid"):
        households.amend(session=session, household_id="YC-R-000001", changes={"technology": "gshp"},
                         actor="县住建局", why="wrong method")
    assert state(session, 1).heated_area_m2 == 85.0 and live(session, 1)[0].technology == "ashp_water"


def test_amend_township_keeps_village_and_township_together(session: Session, tmp_path: Path) -> None:
    paid_household(session, tmp_path)
    with pytest.raises(InputError, match="红井子村"):  # no 红井子村 in 青山乡: the old village must not stay
        households.amend(session=session, household_id="YC-R-000001", changes={"township": "青山乡"},
                         actor="县住建局", why="wrong township")
    households.amend(session=session, household_id="YC-R-000001", changes={"township": "青山乡", "village": "古峰庄村"},
                     actor="县住建局", why="wrong township")
    st = state(session, 1)
    assert (st.township, st.village) == ("青山乡", "古峰庄村")


def test_amend_method_of_unpaid_installation_recommits(session: Session, tmp_path: Path) -> None:
    factories.programme(session)
    load(session, write(tmp_path / "first.csv", [row(1, 验收日期="2022-07-01")]))
    households.amend(session=session, household_id="YC-R-000001", changes={"technology": "gas_boiler"},
                     actor="县住建局", why="inspection found a gas boiler")
    (li,) = live(session, 1)
    assert li.technology == "gas_boiler"
    result = payments.pay_accepted(session=session, actor="财务", paid_on=PAID_ON)
    spent = payments.envelope_spending(session=session)
    assert result.paid == 1 and spent["county"]["committed_cny"] == 0  # a gas boiler gets no county part


# --- the duplicate search -----------------------------------------------------------------------------------


def test_duplicate_search_in_a_large_village_equals_the_full_comparison(session: Session) -> None:
    from rapidfuzz import fuzz

    factories.programme(session)
    items = []
    for k in range(520):  # one village of 520, no house numbers: split, then compared by name length
        name = ("欧阳" + "张王李赵刘陈杨黄"[k % 8] + "明华" * (k % 7)) if k % 3 else f"李{k % 40}"
        items.append(households.HouseholdIn(
            household_id=f"YC-D-{k:04d}", name=name, id_number=id_number(k), phone=f"1380000{k:04d}",
            township="花马池镇", village="大村", address="花马池镇大村", heated_area_m2=80.0, dwelling="brick"))
    ids = households.upsert_many(session=session, items=items, actor="x")["ids"]
    found = {(p.a, p.b, round(p.score, 3)) for p in households.find_duplicates(session=session)}
    expected = set()
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            score = fuzz.ratio(a.name, b.name)
            if score >= households.FUZZY_THRESHOLD:
                x, y = sorted((a.household_id, b.household_id), key=lambda c: ids[c])
                expected.add((x, y, round(score, 3)))
    assert found == expected and len(expected) > 300
