"""The demo programme (27,000 households), loaded once per test run for every CLI test module that reads it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cleanheat.cli import main


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The full demo programme, loaded once through the CLI; tests only read it (writers use ``demo_copy``)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with pytest.raises(SystemExit) as exc:
        main(["demo", "load", "--seed", "0", "--database-url", f"sqlite:///{path}"])
    assert exc.value.code == 0
    return path


@pytest.fixture
def demo_copy(demo_file: Path, tmp_path: Path) -> Path:
    """A copy of the demo database a test may change."""
    path = tmp_path / "copy.sqlite3"
    shutil.copy(demo_file, path)
    return path
