"""bench/run.py's measuring method (issue 9): the pages compared by the ours/stock targets are
sampled in turns, so that a slow spell of the machine weighs on each of them alike."""
import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def bench():
    path = Path(__file__).resolve().parents[2] / "bench" / "run.py"
    spec = importlib.util.spec_from_file_location("bench_run", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Recorder:
    """A measured item that notes the order of the calls and answers like a page."""

    def __init__(self, name, log, status=200):
        self.name, self.log, self.status = name, log, status

    def __call__(self, i, context):
        self.log.append(self.name)
        return self.status, 10


def test_items_are_taken_in_rotating_turns(bench):
    log = []
    calls = {key: Recorder(key, log) for key in ("a", "b", "c")}
    results = bench.measure_in_turns(calls, requests=4, warmup=1, threads=0, throughput_requests=0)
    assert log == ["a", "b", "c",  # warm-up
                   "a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c"]
    assert list(results) == ["a", "b", "c"]
    for result in results.values():
        assert result["requests"] == 4 and result["errors"] == 0 and result["statements_max"] == 10


def test_an_item_in_turns_counts_its_own_errors(bench):
    log = []
    calls = {"ok": Recorder("ok", log), "bad": Recorder("bad", log, status=500)}
    results = bench.measure_in_turns(calls, requests=3, warmup=0, threads=2, throughput_requests=4)
    assert results["ok"]["errors"] == 0
    assert results["bad"]["errors"] == 3 + 4 and results["bad"]["statuses"] == {"500": 3}
    assert results["ok"]["throughput_requests"] == 4
