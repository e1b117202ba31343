"""``cleanheat serve``: the web application (uvicorn) over the registry, ready on a fresh machine."""

from __future__ import annotations

import os

import typer

from cleanheat.cli.registry.common import DB_URL, PROGRESS, database_url_of, progress_bar

__all__ = ["register"]


def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
          port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
          workers: int | None = typer.Option(
              None, "--workers", min=1, max=64, show_default="one per processor core, at most 4",
              help="Server processes (uvicorn workers). One process serves a page at a time (Python's GIL); "
                   "on a 2-core machine two serve 20 clients about twice as fast."),
          demo: bool = typer.Option(True, "--demo/--no-demo",
                                    help="Load the demonstration programme into an empty database first."),
          database_url: str | None = DB_URL, progress: bool = PROGRESS) -> None:
    """Run the web application: an empty embedded database gets the schema, the demo programme and an
    administrator whose generated password is printed once."""
    import uvicorn

    from cleanheat.web.bootstrap import prepare

    workers = workers or default_workers()
    url = database_url_of(database_url)
    typer.echo(f"数据库 database: {url}", err=True)
    with progress_bar("载入演示项目 loading the demo programme", progress, False) as update:
        ready = prepare(url, demo=demo, progress=update)
    if ready.demo_loaded:
        typer.echo("演示项目已载入 demo programme loaded (27,000 households)", err=True)
    if ready.admin_password:
        typer.echo(f"管理员 administrator: admin  密码 password: {ready.admin_password}\n"
                   "  (shown once; change it with `cleanheat users set-password admin --password-stdin`)")
    typer.echo(f"cleanheat 网页 web application: http://{host}:{port}/", err=False)
    if workers == 1:
        from cleanheat.config import Settings
        from cleanheat.web import create_app
        from cleanheat.web.app import server_process

        app = create_app(Settings(database_url=url), engine=ready.engine)
        server_process()
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)
    else:
        ready.engine.dispose()
        os.environ["CLEANHEAT_DATABASE_URL"] = url
        uvicorn.run("cleanheat.web.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                    log_level="info", proxy_headers=True)


def default_workers() -> int:
    """Server processes when ``--workers`` is not given: one per processor core this process may use, at most 4
    (each holds its own caches and database connections; beyond four a county office gains little)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``cleanheat`` app."""
    app.command("serve")(serve)
