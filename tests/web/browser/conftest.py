"""Browser fixtures: the app served by uvicorn on 127.0.0.1 (a thread of the test process) over a copy of the
demo, and Debian's Chromium driven by Playwright (``executable_path``; Playwright never downloads a browser).

Without ``/usr/bin/chromium`` the browser tests skip, except under CI (``CLEANHEAT_REQUIRE_BROWSER=1``, set by
``.ci/run``), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CLEANHEAT_CHROMIUM", "/usr/bin/chromium")
REQUIRE = os.environ.get("CLEANHEAT_REQUIRE_BROWSER", "").strip().lower() not in ("", "0", "false", "no")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """uvicorn serving ``app`` on a free loopback port in a daemon thread."""

    def __init__(self, app) -> None:  # noqa: ANN001
        import uvicorn

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def live(web_demo_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app over this module's own copy of the demo, served on 127.0.0.1."""
    from tests.web.conftest import make_app

    path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    shutil.copy(web_demo_file, path)
    server = LiveServer(make_app(path))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if REQUIRE:
            pytest.fail(f"{CHROMIUM} is missing and CI requires the browser tests (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser) -> Iterator[object]:  # noqa: ANN001
    """A fresh browser context (no cookies) at 1366×768, failing the test on any page error."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
