"""Human-readable terminal output of the commands: one rich Console, tables that fit, a progress bar.

When stdout is not a terminal (a pipe, a file, a test) rich would assume 80 columns; :func:`console`
gives such output a generous width instead. On a real terminal of any width a table built here
never cuts off a number: :class:`FitTable` gives every number column the width of its widest value,
lets text columns wrap into what is left, and when even that does not fit, folds the table into
parts, each repeating the identifying first column(s) (``（续 continued）``). Digits are never
replaced by ``…``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

__all__ = ["Col", "FitTable", "console", "fmt", "grid", "is_number", "kv_table", "progress", "records_table"]

NO_SEPARATOR = frozenset({"year", "by_year", "seq", "sequence", "ticket", "installation_id", "id", "seed", "step",
                          "row", "revision", "from_revision", "head_revision", "installation_ids",
                          "programme_year"})
"""Keys whose integers are identifiers or years, printed without a thousands separator."""

TEXT_MIN_WIDTH = 8
"""Narrowest a wrapping text column is made (cells), unless its content is narrower."""

HEADER_WORD_CAP = 16
"""A header word longer than this may be folded rather than widen its column."""

SHORT_TEXT = 24
"""A text column no wider than this (a date and time, a code) is kept on one line before longer text gets room."""


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


# --------------------------------------------------------------------------------------------
# Tables that fit the terminal
# --------------------------------------------------------------------------------------------


@dataclass
class Col:
    """A column of a :class:`FitTable`.

    ``number`` columns are right-aligned and never narrower than their widest cell; text columns
    wrap (and fold a word longer than the column).
    """

    header: str
    number: bool = False
    style: str | None = None
    justify: str | None = None


@dataclass
class _Row:
    cells: list[Any]
    style: Any = None
    end_section: bool = False


def _plain_width(cell: Any) -> tuple[int, int]:
    """(widest unbreakable word, widest line) of a cell in terminal cells; markup is not counted."""
    from rich.cells import cell_len
    from rich.text import Text

    if isinstance(cell, str):
        text = Text.from_markup(cell).plain
    elif isinstance(cell, Text):
        text = cell.plain
    else:  # another renderable: let rich measure it later, ask for a modest width
        return TEXT_MIN_WIDTH, TEXT_MIN_WIDTH
    lines = text.splitlines() or [""]
    widest = max(cell_len(line) for line in lines)
    word = max((cell_len(w) for line in lines for w in line.split()), default=0)
    return word, widest


@dataclass
class FitTable:
    """A table that fits the console it is printed on without cutting a number (see the module docstring).

    Parameters
    ----------
    title : str or None
        Printed above the (first part of the) table.
    columns : list of Col
    keep : int
        The first ``keep`` columns identify a row; they are repeated in every part of a folded table.
    """

    title: str | None
    columns: list[Col]
    keep: int = 1
    caption: str | None = None
    show_header: bool = True
    rows: list[_Row] = field(default_factory=list)
    _measured: list[tuple[int, int, int]] | None = field(default=None, init=False, repr=False)
    _rows_measured: int = field(default=-1, init=False, repr=False)
    _stacked: bool = field(default=False, init=False, repr=False)

    def _header(self, col: Col) -> str:
        """The header on one line, or (when the table is too wide for that) 中文 over English."""
        return col.header.replace(" ", "\n", 1) if self._stacked and "\n" not in col.header else col.header

    def add_row(self, *cells: Any, style: Any = None, end_section: bool = False) -> None:
        self.rows.append(_Row(list(cells), style, end_section))
        self._measured = None

    # -- layout ------------------------------------------------------------------------------

    def _widths(self) -> list[tuple[int, int, int]]:
        """(minimum, whole words, natural) content width of each column."""
        if self._measured is not None and len(self.rows) == self._rows_measured:
            return self._measured
        out = []
        for k, col in enumerate(self.columns):
            h_word, h_line = _plain_width(self._header(col)) if self.show_header else (0, 0)
            h_word = min(h_word, HEADER_WORD_CAP)
            if self.rows:
                words, lines = zip(*(_plain_width(r.cells[k]) for r in self.rows), strict=True)
            else:
                words, lines = (0,), (0,)
            widest_line, widest_word = max(lines), max(words)
            if col.number:
                low = max(widest_line, h_word, 1)  # every digit on one line
            else:
                low = max(h_word, min(widest_line, max(TEXT_MIN_WIDTH, min(widest_word, 2 * TEXT_MIN_WIDTH))), 1)
            natural = max(low, widest_line, h_line)
            whole = natural if natural <= SHORT_TEXT else min(natural, max(low, widest_word))
            out.append((low, whole, natural))
        self._measured, self._rows_measured = out, len(self.rows)
        return out

    @staticmethod
    def _span(widths: Iterable[int]) -> int:
        ws = list(widths)
        return sum(ws) + 3 * len(ws) + 1  # padding 1+1 per column, a border between and around

    def _parts(self, max_width: int) -> list[list[int]]:
        """Column indexes of each part: all columns in one part when their minimum widths fit."""
        lows = [w[0] for w in self._widths()]
        everything = list(range(len(self.columns)))
        if self._span(lows) <= max_width or len(self.columns) <= 1:
            return [everything]
        keep = list(range(min(self.keep, len(self.columns) - 1)))
        parts: list[list[int]] = []
        current = list(keep)
        for k in everything[len(keep):]:
            if len(current) > len(keep) and self._span(lows[j] for j in [*current, k]) > max_width:
                parts.append(current)
                current = [*keep]
            current.append(k)
        parts.append(current)
        return parts

    def _allot(self, cols: list[int], max_width: int) -> list[int] | None:
        """Content widths of ``cols``: natural when they fit; else numbers whole, then text up to its longest
        word (an id or a code is not broken), then text sharing what is left in proportion to its length."""
        widths = [self._widths()[k] for k in cols]
        natural = [w[2] for w in widths]
        if self._span(natural) <= max_width:
            return None  # rich's own layout: everything at its natural width
        out = [w[0] for w in widths]
        for stage in (1, 2):
            spare = max_width - self._span(out)
            if spare <= 0:
                break
            give = [w[stage] - o for w, o in zip(widths, out, strict=True)]
            total = sum(give)
            if total <= 0:
                continue
            if total <= spare:
                out = [o + g for o, g in zip(out, give, strict=True)]
            else:
                out = [o + spare * g // total for o, g in zip(out, give, strict=True)]
                break
        return out

    def _table(self, cols: list[int], max_width: int, *, title: str | None, caption: str | None) -> Any:
        from rich.cells import cell_len
        from rich.table import Table
        from rich.text import Text

        widths = self._allot(cols, max_width)
        lows = [w[0] for w in self._widths()]
        heading = cell_len(Text.from_markup(title).plain) if title else 0
        t = Table(title=title, title_justify="left", caption=caption, caption_justify="left",
                  show_header=self.show_header, min_width=min(heading, max_width) or None)
        for j, k in enumerate(cols):
            col = self.columns[k]
            t.add_column(self._header(col), justify=(col.justify or ("right" if col.number else "left")),  # type: ignore[arg-type]
                         overflow="fold", style=col.style, width=None if widths is None else widths[j],
                         min_width=lows[k] if col.number else None)
        for r in self.rows:
            t.add_row(*[r.cells[k] for k in cols], style=r.style, end_section=r.end_section)
        return t

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        self._stacked, self._measured = False, None
        if self._span(w[2] for w in self._widths()) > options.max_width:
            self._stacked, self._measured = True, None  # 中文 over English keeps the columns narrow
        parts = self._parts(options.max_width)
        n = len(parts)
        for p, cols in enumerate(parts):
            title = self.title if p == 0 else (f"（续 continued {p + 1}/{n}）" if self.title else None)
            if n > 1 and p == 0 and self.title:
                title = f"{self.title}（1/{n}）"
            yield self._table(cols, options.max_width, title=title, caption=self.caption if p == n - 1 else None)


def grid(title: str | None, columns: Sequence[Col | str], *, keep: int = 1, caption: str | None = None) -> FitTable:
    """An empty :class:`FitTable`; a plain string column is a text column with that header."""
    cols = [c if isinstance(c, Col) else Col(c) for c in columns]
    return FitTable(title=title, columns=cols, keep=keep, caption=caption)


def kv_table(title: str | None, rows: Iterable[tuple[str, Any]] | Mapping[str, Any],
             labels: Mapping[str, str] | None = None) -> FitTable:
    """A two-column table 项目 item · 值 value; numbers right-aligned. Mapping keys are looked up in ``labels``."""
    labels = labels or {}
    table = FitTable(title=title, columns=[Col("项目 item", style="bold"), Col("值 value", justify="right")],
                     show_header=False)
    pairs = rows.items() if isinstance(rows, Mapping) else rows
    for key, value in pairs:
        rich = hasattr(value, "__rich_console__") or hasattr(value, "__rich__")
        table.add_row(labels.get(key, key), value if rich else fmt(value, key))
    return table


def records_table(title: str | None, rows: Sequence[Mapping[str, Any]], labels: Mapping[str, str] | None = None,
                  *, keys: Sequence[str] | None = None, style: Any = None, numbers: Collection[str] = (),
                  totals: Mapping[str, Any] | None = None, keep: int = 1, caption: str | None = None) -> FitTable:
    """A table of records (one row each), headers from ``labels``; numeric columns right-aligned, never cut.

    ``style``, if given, is called with each record and returns a rich style for its row (or None).
    ``numbers`` names columns holding numbers already formatted as text (``80.5%``); ``totals`` is a last,
    bold row; the first ``keep`` columns are repeated when a narrow terminal folds the table.
    """
    labels = labels or {}
    if keys is None:
        keys = list(rows[0].keys()) if rows else []
    cols = []
    for key in keys:
        present = [r.get(key) for r in rows if r.get(key) is not None]
        numeric = key in numbers or (bool(present) and all(is_number(v) for v in present))
        cols.append(Col(labels.get(key, key), number=numeric))
    table = FitTable(title=title, columns=cols, keep=keep, caption=caption)
    for r in rows:
        table.add_row(*[fmt(r.get(key), key) for key in keys], style=style(r) if style else None)
    if totals is not None and rows:
        if table.rows:
            table.rows[-1].end_section = True
        table.add_row(*[fmt(totals.get(key), key) if key in totals else "" for key in keys], style="bold")
    if not rows:
        table.caption = "（无 none）" if caption is None else caption
    return table


# --------------------------------------------------------------------------------------------
# Progress of long work
# --------------------------------------------------------------------------------------------


@contextmanager
def progress(description: str, *, out: Console | None = None) -> Iterator[Callable[[int, int | None], None]]:
    """A ``(done, total)`` callback drawing a progress bar on stderr, only when stderr is a terminal.

    >>> with progress("导入台账 importing ledger") as advance:   # doctest: +SKIP
    ...     for k, row in enumerate(rows, 1):
    ...         advance(k, len(rows))

    When stderr is not a terminal (a pipe, a log file, a test) nothing at all is written. ``out``
    draws on another console instead (tests); ``total`` may be ``None`` while it is unknown.
    """
    from rich.console import Console

    target = out if out is not None else Console(file=sys.stderr, stderr=True)
    if not target.is_terminal:

        def nothing(done: int, total: int | None = None) -> None:
            return None

        yield nothing
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=target, transient=False)
    task = bar.add_task(description, total=None)

    def advance(done: int, total: int | None = None) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield advance
