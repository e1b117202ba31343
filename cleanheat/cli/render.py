"""Human-readable terminal output of the commands: one rich Console and small table helpers.

When stdout is not a terminal (a pipe, a file, a test) rich would assume 80 columns and cut
numbers short ("1,507,0…"); :func:`console` gives such output a generous width instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["console", "fmt", "kv_table", "records_table", "is_number"]

NO_SEPARATOR = frozenset({"year", "by_year", "seq", "sequence", "ticket", "installation_id", "id", "seed", "step",
                          "row", "revision", "from_revision", "head_revision"})
"""Keys whose integers are identifiers or years, printed without a thousands separator."""


def console(*, width: int = 200, stderr: bool = False) -> Console:
    """A rich Console; ``width`` columns when the output is not a terminal, so nothing is truncated."""
    from rich.console import Console

    c = Console(stderr=stderr)
    if not c.is_terminal:
        c = Console(width=width, stderr=stderr)
    return c


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def fmt(value: Any, key: str = "") -> str:
    """One value as text: thousands separators, up to 4 decimals, — for nothing, lists joined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, int):
        return str(value) if key in NO_SEPARATOR else f"{value:,}"
    if isinstance(value, float):
        text = f"{value:,.4f}".rstrip("0").rstrip(".")
        return text or "0"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={fmt(v, str(k))}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(fmt(v) for v in value)
    return str(value)


def kv_table(title: str | None, rows: Iterable[tuple[str, Any]] | Mapping[str, Any],
             labels: Mapping[str, str] | None = None) -> Table:
    """A two-column table 项目 item · 值 value; numbers right-aligned. Mapping keys are looked up in ``labels``."""
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    labels = labels or {}
    table = Table(title=title, show_header=False, title_justify="left",
                  min_width=cell_len(Text.from_markup(title).plain) if title else None)
    table.add_column("项目 item", style="bold")
    table.add_column("值 value", justify="right")
    pairs = rows.items() if isinstance(rows, Mapping) else rows
    for key, value in pairs:
        rich = hasattr(value, "__rich_console__") or hasattr(value, "__rich__")
        table.add_row(labels.get(key, key), value if rich else fmt(value, key))
    return table


def records_table(title: str | None, rows: Sequence[Mapping[str, Any]], labels: Mapping[str, str] | None = None,
                  *, keys: Sequence[str] | None = None, style: Any = None) -> Table:
    """A table of records (one row each), headers from ``labels``; numeric columns right-aligned.

    ``style``, if given, is called with each record and returns a rich style for its row (or None).
    """
    from rich.table import Table

    labels = labels or {}
    if keys is None:
        keys = list(rows[0].keys()) if rows else []
    table = Table(title=title, title_justify="left")
    for key in keys:
        present = [r.get(key) for r in rows if r.get(key) is not None]
        numeric = bool(present) and all(is_number(v) for v in present)
        header = labels.get(key, key).replace(" ", "\n", 1)  # 中文 over English keeps the columns narrow
        if numeric:
            table.add_column(header, justify="right", no_wrap=True)
        else:
            table.add_column(header, overflow="fold")
    for r in rows:
        table.add_row(*[fmt(r.get(key), key) for key in keys], style=style(r) if style else None)
    if not rows:
        table.caption = "（无 none）"
    return table
