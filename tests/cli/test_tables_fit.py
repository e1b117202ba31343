"""Terminal tables keep every digit at 80 and 120 columns; the progress bar draws only on a terminal."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from cleanheat.cli import render

AMOUNTS = (88_126_500, 43_151_200, 131_277_700, 223_734_660)
"""The budget total row that a 120-column terminal cut to ``88,126,5…`` (newcomer review F)."""


def draw(renderable: object, width: int) -> str:
    c = Console(width=width, file=io.StringIO(), force_terminal=True, color_system=None)
    c.print(renderable)
    out = c.file.getvalue()  # type: ignore[attr-defined]
    assert all(len(line) <= width for line in out.splitlines())
    return out


def wide_rows() -> list[dict[str, object]]:
    return [{"township": town, "year": 2022, "target": 3500, "installations": 3412, "accepted": 3300, "paid": 3201,
             "central_cny": AMOUNTS[0], "local_cny": AMOUNTS[1], "total_cny": AMOUNTS[2], "share_cny": AMOUNTS[3],
             "note": "承诺资金超过县级资金额度，后续发放将被拒绝 commitments exceed the county envelope"}
            for town in ("花马池镇", "惠安堡镇", "大水坑镇")]


@pytest.mark.parametrize("width", [80, 120])
def test_records_table_keeps_every_digit(width: int) -> None:
    labels = {"township": "乡镇 township", "central_cny": "中央资金 central CNY", "local_cny": "县级资金 county CNY"}
    out = draw(render.records_table("分乡镇 by township", wide_rows(), labels,
                                    totals={"township": "合计 total", "central_cny": 3 * AMOUNTS[0]}), width)
    assert "…" not in out
    for amount in (*AMOUNTS, 3 * AMOUNTS[0], 3412):
        assert out.count(f"{amount:,}") >= 1, (amount, out)
    assert "264,379,500" in out
    assert "2022" in out and "2,022" not in out  # a year has no separator


def test_a_narrow_terminal_folds_the_table_and_repeats_the_first_column() -> None:
    out = draw(render.records_table("分乡镇 by township", wide_rows(), {"township": "乡镇 township"}), 80)
    assert "续 continued" in out
    assert out.count("花马池镇") >= 2  # the identifying column is in each part


def test_a_table_that_fits_is_one_table() -> None:
    rows = [{"household_id": "YC-2022-000001", "paid_cny": 5300}]
    out = draw(render.records_table("t", rows), 120)
    assert "续" not in out and "5,300" in out


@pytest.mark.parametrize("width", [80, 120])
def test_kv_table_keeps_amounts(width: int) -> None:
    out = draw(render.kv_table("t", {"total_cny": 131_277_700, "why": "很长的原因 " * 20}), width)
    assert "131,277,700" in out and "…" not in out


def test_grid_number_column_wider_than_the_terminal_folds_digits_rather_than_cutting() -> None:
    t = render.grid("t", [render.Col("金额 amount", number=True)])
    t.add_row(f"{10**30:,}")
    out = draw(t, 20)
    digits = re.sub(r"[^0-9]", "", out)
    assert digits == "1" + "0" * 30


def test_progress_is_silent_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with render.progress("导入台账 importing ledger") as advance:
        for k in range(1, 6):
            advance(k, 5)
        advance(6, None)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_progress_draws_a_bar_on_a_terminal() -> None:
    buf = io.StringIO()
    term = Console(file=buf, force_terminal=True, width=80)
    with render.progress("导入台账 importing ledger", out=term) as advance:
        for k in range(1, 11):
            advance(k, 10)
    assert "导入台账 importing ledger" in buf.getvalue() and "10/10" in buf.getvalue()


@pytest.mark.parametrize("width", [80, 120])
def test_budget_command_keeps_every_digit(width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``budget yanchi --demo`` on an 80- or 120-column terminal: the totals row whole (it read ``88,1…``)."""
    from cleanheat.cli import policy
    from cleanheat.demo.yanchi import generate_households
    from cleanheat.policy.budget import yanchi_budget

    term = Console(width=width, file=io.StringIO(), force_terminal=True, color_system=None)
    monkeypatch.setattr(render, "console", lambda **_: term)
    policy._print_budget(yanchi_budget(generate_households(0)).as_dict(), None)
    out = term.file.getvalue()  # type: ignore[attr-defined]
    assert "…" not in out and all(len(line) <= width for line in out.splitlines())
    for amount in AMOUNTS:
        assert f"{amount:,}" in out, (amount, out)
