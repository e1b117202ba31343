"""The ``cleanheat`` command line: one Typer sub-app per command group, errors mapped to exit codes here.

Each command-group module (``policy``, ``engineering``, ``registry``, …) defines
``register(app)``. Command modules import heavy libraries inside the command functions, so
that ``cleanheat subsidy yanchi`` does not pay for pvlib or SQLAlchemy at start-up.
"""

from __future__ import annotations

import importlib
import sys

import click
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


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    """cleanheat command line."""
    if version:
        from cleanheat import __version__

        typer.echo(__version__)
        raise typer.Exit()


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
    """Entry point of the console script: run the app, never print a traceback for user error."""
    try:
        rc = app(args=argv, prog_name="cleanheat", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        print("Aborted.", file=sys.stderr)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except CleanheatError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(exit_code_for(exc))
    except BrokenPipeError:  # e.g. `cleanheat … | head`
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
    # without standalone mode, `raise typer.Exit(n)` comes back as the return value
    sys.exit(rc if isinstance(rc, int) and not isinstance(rc, bool) else 0)
