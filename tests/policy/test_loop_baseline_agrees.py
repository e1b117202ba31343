"""Two independent implementations of the Yanchi rules agree: the vectorised rules and the
per-record loop of the benchmark (``benchmarks/bench_policy.py``), on a synthetic programme."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from cleanheat.demo.yanchi import generate_households
from cleanheat.policy.decide import decide

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_policy.py"


def test_loop_baseline_decides_the_same():
    spec = importlib.util.spec_from_file_location("bench_policy", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    households = generate_households(seed=11, n=3000)
    assert bench.loop_yanchi(households) == decide("yanchi", households).to_records()
