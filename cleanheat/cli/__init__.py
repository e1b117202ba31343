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
    help="cleanheat — 清洁取暖 subsidies, funding rules, hourly heating simulation and programme registry.",
    no_args_is_help=True,
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

COMMAND_GROUPS = ("policy", "engineering", "registry", "monitoring", "web")


def _print_version(value: bool) -> None:
    if value:
        from cleanheat import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
    ),
) -> None:
    """cleanheat command line."""


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


_register_groups()


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
