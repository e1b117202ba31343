"""The ``cleanheat`` command line: one Typer sub-app per command group, errors mapped to exit codes here.

Each command-group module (``policy``, ``engineering``, ``registry``, …) defines
``register(app)``. Command modules import heavy libraries inside the command functions, so
that ``cleanheat subsidy yanchi`` does not pay for pvlib or SQLAlchemy at start-up.
"""

from __future__ import annotations

import importlib
import sys

import typer

from cleanheat.errors import CleanheatError, Conflict, DataQualityError, InputError, NotFound, ParameterError

__all__ = ["app", "main", "EXIT_CODES"]

app = typer.Typer(
    name="cleanheat",
    help="cleanheat — 清洁取暖 subsidies, funding rules, hourly heating simulation and programme registry.\n\n"
         "A township clerk starts with `cleanheat ledger template` and `cleanheat ledger import`, "
         "then `cleanheat status`, `household show`, `accept` and `pay`; `COMMAND -h` explains each command.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_CODES: dict[type[CleanheatError], int] = {
    InputError: 2,
    ParameterError: 2,
    NotFound: 3,
    Conflict: 4,
    DataQualityError: 5,
}
"""Exit code per error family: 2 bad input, 3 not found, 4 conflict, 5 data quality, 1 other."""

COMMAND_GROUPS = ("serve", "policy", "engineering", "registry")
"""The command-group modules (``cleanheat/cli/<name>.py`` or a package), each with ``register(app)``."""

PANELS: dict[str, tuple[str, ...]] = {
    "网页 web application": ("serve",),
    "项目台账 registry — daily work": ("status", "ledger", "household", "accept", "void", "pay", "payment",
                                       "duplicates", "enterprise", "assess", "ticket", "report"),
    "北京项目 Beijing projects": ("project",),
    "政策规则 rules": ("subsidy", "funding", "budget", "params"),
    "工程模拟 engineering": ("simulate", "check-equipment", "grid"),
    "数据库与审计 database and audit": ("db", "demo", "audit", "users"),
}
"""The top-level commands as ``cleanheat -h`` groups them (rich help panels)."""


def _print_version(value: bool) -> None:
    if value:
        from cleanheat import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
    ),
) -> None:
    """cleanheat command line; with no command, its help (exit 0)."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


def _register_groups() -> None:
    for name in COMMAND_GROUPS:
        module_name = f"{__name__}.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that command group is not built yet
            raise
        module.register(app)


def _group_panels() -> None:
    panel_of = {name: panel for panel, names in PANELS.items() for name in names}
    for info in app.registered_commands:
        name = info.name or (info.callback.__name__ if info.callback else "")
        if name in panel_of:
            info.rich_help_panel = panel_of[name]
    for group in app.registered_groups:
        if group.name in panel_of:
            group.rich_help_panel = panel_of[group.name]


TYPE_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "FILE", "datetime": "DATE",
              "bool": ""}
"""How an option's value is named in help (``TEXT``), instead of the Python type (``<str>``)."""


def _plain_metavars() -> None:
    """Help shows ``TEXT``/``INTEGER``/``FILE`` (``TEXT …`` for a repeatable option) where typer would print a
    Python type (``<bool>``, ``<list[str]>``), and nothing for a flag; an explicit ``metavar=`` wins."""
    from typer import core

    param_class = getattr(core, "_TyperParameter", None)
    original = getattr(param_class, "display_type", None)
    if param_class is None or original is None or getattr(original, "_cleanheat", False):
        return

    def display_type(self: object, ctx: object) -> str:
        text = str(original(self, ctx))
        label = text[1:-1] if text.startswith("<") and text.endswith(">") else text
        if label.startswith("list[") and label.endswith("]"):
            inner = label[5:-1]
            return f"{TYPE_WORDS.get(inner, inner.upper())} …"
        return TYPE_WORDS.get(label, label.upper() if label.isidentifier() else label)

    display_type._cleanheat = True  # type: ignore[attr-defined]
    param_class.display_type = display_type


_register_groups()
_group_panels()
_plain_metavars()


def exit_code_for(exc: CleanheatError) -> int:
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: run the app, never print a traceback for user error.

    Typer's standalone mode handles usage errors (exit 2 with the usage line), ``--help`` and
    ``typer.Exit``; our own error tree is mapped to exit codes here.
    """
    try:
        app(args=argv, prog_name="cleanheat", standalone_mode=True)
    except CleanheatError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(exit_code_for(exc))
    except BrokenPipeError:  # e.g. `cleanheat … | head`
        sys.exit(0)
