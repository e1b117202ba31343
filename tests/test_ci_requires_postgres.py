"""CI cannot silently skip the registry's PostgreSQL tests (code review finding 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_without_a_postgresql_url_stops_instead_of_skipping() -> None:
    drop = ("CLEANHEAT_TEST_POSTGRES_URL", "CLEANHEAT_REQUIRE_POSTGRES")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(CI="1", PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--co",
                          "tests/registry/test_public_names.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode != 0
    assert "CLEANHEAT_TEST_POSTGRES_URL is not set, and CI requires" in run.stdout + run.stderr


def test_ci_script_does_not_swallow_a_postgresql_that_fails_to_start() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "|| true" not in script
    assert 'CLEANHEAT_REQUIRE_POSTGRES="${CLEANHEAT_REQUIRE_POSTGRES:-1}"' in script
