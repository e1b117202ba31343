"""Ledger import and export in the browser and the API (cleanheat/web/ledger.py), over the full demo.

Every import test counts the households (and the audit log) before and after: a refused file stores nothing.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from cleanheat import normalise
from cleanheat.registry.services.ledger import COLUMNS

HEADERS = [c.header for c in COLUMNS]


def id_number(k: int) -> str:
    body = f"64032319900101{k:03d}"
    return body + normalise.check_digit(body)


def row(k: int, **over: Any) -> dict[str, Any]:
    """A valid ledger row of a new household of 惠安堡镇 北湾村, by the template's Chinese headers."""
    r = {"农户编号": f"YC-W-{k:06d}", "乡镇": "惠安堡镇", "行政村": "北湾村", "户主姓名": f"王测试{k}",
         "身份证号": id_number(k), "联系电话": f"1380000{k:04d}", "住址": f"惠安堡镇北湾村{900 + k}号",
         "取暖面积(㎡)": "85", "房屋类型": "砖房", "取暖方式": "空气源热泵热水机", "屋顶光伏": "否",
         "安装日期": "2023-06-01", "自主安装": "否", "安装企业编号": "ENT-01", "企业已登记": "是", "已享受补贴": "否",
         "验收日期": "", "发票金额(元)": "16500", "年度": "2023"}
    r.update(over)
    return r


def csv_bytes(rows: list[dict[str, Any]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HEADERS)
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def counts(path: Path) -> tuple[int, int, int]:
    con = sqlite3.connect(path)
    try:
        return tuple(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[return-value]
                     for t in ("household", "installation", "audit_event"))
    finally:
        con.close()


def form_token(html: str, testid: str) -> str:
    """The CSRF token the form ``data-testid=testid`` of a page carries (what the browser sends)."""
    form = html.split(f'data-testid="{testid}"', 1)[1].split("</form>", 1)[0]
    token = re.search(r'name="csrf_token" value="([^"]*)"', form)
    assert token and token.group(1), f"the {testid} form carries no CSRF token"
    return token.group(1)


def upload(client: Any, name: str, data: bytes, **kw: Any) -> Any:
    """Upload as the browser does: the page's form, its CSRF field (no header)."""
    kw.setdefault("follow_redirects", False)
    page = client.get("/ledger")
    token = form_token(page.text, "upload") if 'data-testid="upload"' in page.text else client.csrf
    return client.post("/ledger/import", files={"file": (name, data, "text/csv")}, data={"csrf_token": token}, **kw)


def imported(path: Path, code: str) -> tuple[str, str, str] | None:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT h.name, t.name, h.id_number FROM household h JOIN village v ON v.id = h.village_id "
                           "JOIN township t ON t.id = v.township_id WHERE household_id = ?", (code,)).fetchone()
    finally:
        con.close()


def test_bad_rows_show_the_error_table_and_store_nothing(app_rw: Any, client_for: Any, web_copy: Path) -> None:
    c = client_for(app_rw, "officer")
    before = counts(web_copy)
    data = csv_bytes([row(1), row(2, **{"取暖面积(㎡)": "很大"}), row(3, 身份证号="123"), row(4, 乡镇="月亮镇")])
    r = upload(c, "惠安堡镇台账.csv", data)
    assert r.status_code == 422
    table = r.text.split('data-testid="errors"')[1].split("</table>")[0]
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", table)
    assert ("3", "取暖面积(m2)") in cells and ("4", "身份证号") in cells and ("5", "乡镇") in cells
    assert "未导入任何记录" in r.text
    assert counts(web_copy) == before                     # no household, installation or audit entry
    assert imported(web_copy, "YC-W-000001") is None


def test_utf8_csv_import_is_audited_with_the_user(app_rw: Any, client_for: Any, web_copy: Path) -> None:
    c = client_for(app_rw, "officer")
    h0, i0, _ = counts(web_copy)
    r = upload(c, "台账.csv", csv_bytes([row(1), row(2)]))
    assert r.status_code == 303
    job = c.get(r.headers["location"])
    assert job.status_code == 200 and 'data-outcome="imported"' in job.text and "已导入 2 行" in job.text
    h1, i1, _ = counts(web_copy)
    assert (h1 - h0, i1 - i0) == (2, 2)
    assert imported(web_copy, "YC-W-000002") == ("王测试2", "惠安堡镇", id_number(2))
    con = sqlite3.connect(web_copy)
    actors = con.execute("SELECT actor, subject FROM audit_event WHERE type = ?",
                         ("cn.cleanheat.ledger.imported",)).fetchall()
    con.close()
    assert actors == [("web:officer", "ledger/台账.csv")]
    # the same file again changes nothing and duplicates nothing
    again = c.get(upload(c, "台账.csv", csv_bytes([row(1), row(2)])).headers["location"])
    assert 'data-outcome="imported"' in again.text and counts(web_copy)[:2] == (h1, i1)


def test_gbk_csv_import(app_rw: Any, client_for: Any, web_copy: Path) -> None:
    c = client_for(app_rw, "clerk_hab")
    data = csv_bytes([row(7, 户主姓名="马国强")], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    r = upload(c, "gbk.csv", data, follow_redirects=True)
    assert r.status_code == 200 and 'data-outcome="imported"' in r.text
    assert imported(web_copy, "YC-W-000007") == ("马国强", "惠安堡镇", id_number(7))


def test_clerk_cannot_import_another_townships_rows(app_rw: Any, client_for: Any, web_copy: Path) -> None:
    c = client_for(app_rw, "clerk_hab")
    before = counts(web_copy)
    data = csv_bytes([row(1), row(2, 乡镇="花马池镇", 行政村="红井子村"), row(3),
                      row(4, 农户编号="YC-2021-000001", 乡镇="惠安堡镇")])  # a 花马池镇 household, moved by the file
    r = upload(c, "mixed.csv", data)
    assert r.status_code == 403
    table = r.text.split('data-testid="errors"')[1].split("</table>")[0]
    assert re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", table) == [("3", "乡镇"), ("5", "农户编号")]
    assert "不属于惠安堡镇" in r.text or "不属于" in r.text
    assert counts(web_copy) == before
    # the API refuses the same file the same way
    api = c.post("/api/v1/ledger/import", files={"file": ("mixed.csv", data, "text/csv")},
                 headers={"X-CSRF-Token": c.csrf})
    assert api.status_code == 403 and [e["row"] for e in api.json()["errors"]] == [3, 5]
    assert counts(web_copy) == before
    # the other township's clerk may import what is the own township's
    other = client_for(app_rw, "clerk_hmc")
    ok = upload(other, "hmc.csv", csv_bytes([row(2, 乡镇="花马池镇", 行政村="红井子村")]), follow_redirects=True)
    assert 'data-outcome="imported"' in ok.text


def test_who_may_import(app_rw: Any, client_for: Any, web_copy: Path) -> None:
    before = counts(web_copy)
    data = csv_bytes([row(1)])
    for user in ("auditor", "inspector", "ent01"):
        c = client_for(app_rw, user)
        assert upload(c, "x.csv", data, follow_redirects=False).status_code == 403, user
        assert c.post("/api/v1/ledger/import", files={"file": ("x.csv", data, "text/csv")},
                      headers={"X-CSRF-Token": c.csrf}).status_code == 403, user
    assert counts(web_copy)[:2] == before[:2]
    ent = client_for(app_rw, "ent01")
    for url in ("/ledger", "/ledger/export.xlsx", "/ledger/template.xlsx"):
        assert ent.get(url).status_code == 403, url
    auditor = client_for(app_rw, "auditor")
    page = auditor.get("/ledger")
    assert page.status_code == 200 and 'data-testid="upload"' not in page.text and 'data-testid="export"' in page.text
    assert client_for(app_rw, "inspector").get("/ledger").status_code == 403
    anon = client_for(app_rw)
    assert anon.get("/ledger", follow_redirects=False).status_code == 303
    assert anon.post("/api/v1/ledger/import", files={"file": ("x.csv", data, "text/csv")}).status_code == 401
    # an upload without the CSRF token is refused before anything is read
    officer = client_for(app_rw, "officer")
    assert officer.post("/ledger/import", files={"file": ("x.csv", data, "text/csv")}).status_code == 403
    assert counts(web_copy)[:2] == before[:2]


def test_api_import(app_rw: Any, client_for: Any, web_copy: Path) -> None:
    c = client_for(app_rw, "officer")
    before = counts(web_copy)
    bad = c.post("/api/v1/ledger/import", files={"file": ("bad.csv", csv_bytes([row(1), row(2, 安装日期="明天")]),
                                                          "text/csv")}, headers={"X-CSRF-Token": c.csrf})
    assert bad.status_code == 422
    body = bad.json()
    assert body["imported"] is False and body["errors"][0]["row"] == 3 and body["errors"][0]["column"] == "安装日期"
    assert counts(web_copy) == before
    not_a_ledger = c.post("/api/v1/ledger/import", files={"file": ("notes.txt", b"hello", "text/plain")},
                          headers={"X-CSRF-Token": c.csrf})
    assert not_a_ledger.status_code == 422 and "not a ledger file" in not_a_ledger.json()["detail"]
    good = c.post("/api/v1/ledger/import", files={"file": ("good.csv", csv_bytes([row(1), row(2)]), "text/csv")},
                  headers={"X-CSRF-Token": c.csrf})
    assert good.status_code == 200, good.text
    assert good.json()["imported"] is True and good.json()["households_created"] == 2
    assert counts(web_copy)[0] == before[0] + 2


def test_a_long_import_is_a_job_whose_page_polls(app_rw: Any, client_for: Any, web_copy: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from cleanheat.web import ledger as web_ledger

    monkeypatch.setattr(web_ledger, "WAIT_S", 0.0)  # answer at once, as for a county's 27,000 rows
    c = client_for(app_rw, "officer")
    r = upload(c, "long.csv", csv_bytes([row(k) for k in range(1, 201)]))
    assert r.status_code == 303 and r.headers["location"].startswith("/ledger/import/")
    url = r.headers["location"]
    deadline = time.time() + 60
    while True:
        frag = c.get(url, headers={"HX-Request": "true"})
        assert frag.status_code == 200 and "<html" not in frag.text
        if 'data-outcome="running"' not in frag.text:
            break
        assert 'hx-trigger="every 1s"' in frag.text and "progressbar" in frag.text
        assert time.time() < deadline
        time.sleep(0.1)
    assert 'data-outcome="imported"' in frag.text and "hx-trigger" not in frag.text
    assert imported(web_copy, "YC-W-000200") is not None
    # only the uploader sees the job
    assert client_for(app_rw, "admin1").get(url).status_code == 404
    assert c.get("/ledger/import/../../etc").status_code == 404


def test_export_is_a_valid_xlsx_of_every_household(app_ro: Any, client_for: Any) -> None:
    from openpyxl import load_workbook

    c = client_for(app_ro, "auditor")
    r = c.get("/ledger/export.xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="ledger-')
    real = unquote(disposition.split("filename*=UTF-8''")[1])
    assert real.startswith("盐池县清洁取暖台账_") and real.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    ws = wb["台账"]
    rows = list(ws.iter_rows(values_only=True))
    header = [h for h in rows[0] if h]
    assert header[:len(HEADERS)] == HEADERS and header[-1] == "状态"
    data = [r for r in rows[1:] if any(v not in (None, "") for v in r)]
    assert len(data) == 27_000
    assert len({r[0] for r in data}) == 27_000


def test_clerk_exports_the_own_township(app_ro: Any, client_for: Any, web_demo_file: Path) -> None:
    from openpyxl import load_workbook

    con = sqlite3.connect(f"file:{web_demo_file}?mode=ro", uri=True)
    n = con.execute("SELECT count(*) FROM household h JOIN village v ON v.id = h.village_id JOIN township t ON "
                    "t.id = v.township_id WHERE t.name = '惠安堡镇'").fetchone()[0]
    con.close()
    r = client_for(app_ro, "clerk_hab").get("/ledger/export.xlsx")
    assert r.status_code == 200
    assert unquote(r.headers["content-disposition"].split("filename*=UTF-8''")[1]).startswith("惠安堡镇清洁取暖台账_")
    rows = [x for x in load_workbook(io.BytesIO(r.content), read_only=True)["台账"].iter_rows(values_only=True)][1:]
    rows = [x for x in rows if x[0]]
    assert len(rows) == n and {x[1] for x in rows} == {"惠安堡镇"}


def test_template_download(app_ro: Any, client_for: Any) -> None:
    from openpyxl import load_workbook

    r = client_for(app_ro, "clerk_hmc").get("/ledger/template.xlsx")
    assert r.status_code == 200
    assert unquote(r.headers["content-disposition"].split("filename*=UTF-8''")[1]) == "清洁取暖台账模板.xlsx"
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["台账", "示例", "说明"]
    assert [c.value for c in wb["台账"][1]][:len(HEADERS)] == HEADERS


def test_ledger_page(app_ro: Any, client_for: Any) -> None:
    page = client_for(app_ro, "clerk_hab").get("/ledger")
    assert page.status_code == 200
    assert "只能导入惠安堡镇的农户" in page.text and 'enctype="multipart/form-data"' in page.text
    assert 'href="/ledger/export.xlsx"' in page.text and 'href="/ledger/template.xlsx"' in page.text
