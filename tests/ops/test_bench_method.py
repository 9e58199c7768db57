"""bench/run.py's measuring method (issue 9): the pages compared by the ours/stock targets are
sampled in turns, so that a slow spell of the machine weighs on each of them alike; the list
pages and the stock view as multiples of the render floor (issue 22)."""
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


def test_list_and_stock_as_multiples_of_the_render_floor(bench):
    """Our list page and the stock view per role as multiples of the render floor (medians); the
    target is our list page at most 3× the floor."""
    def item(median):
        return {"median_ms": median, "p95_ms": median, "errors": 0}

    result = {"complaints": 1_000_000, "items": {
        "list_discipline": item(60.0), "list_branchhead": item(90.0), "stock_admin": item(120.0),
        "render_floor_discipline": item(30.0), "render_floor_branchhead": item(20.0)}}
    assert bench.floor_multiples(result) == [
        ("list page ÷ render floor (discipline)", "2.00× (60.0 / 30.0 ms)"),
        ("stock ModelView ÷ render floor (discipline)", "4.00× (120.0 / 30.0 ms)"),
        ("list page ÷ render floor (branchhead)", "4.50× (90.0 / 20.0 ms)"),
        ("stock ModelView ÷ render floor (branchhead)", "6.00× (120.0 / 20.0 ms)"),
    ]
    verdicts = {row[0]: row[2] for row in bench.targets(result, None) if "render floor" in row[0]}
    assert verdicts == {"our list page ≤ 3× the render floor (discipline; target at 1M)": "PASS",
                        "our list page ≤ 3× the render floor (branchhead; target at 1M)": "FAIL"}


def test_to_do_search_remind_and_two_server_targets(bench):
    """Issue 22's targets: the to-do within 1.5× the list of the same role and its growth, the
    phone/name/number searches within 2× the list, `flask remind` within 5 s, and zero errors for
    each load profile on one server and on two."""
    def item(median, errors=0):
        return {"median_ms": median, "p95_ms": median, "errors": errors}

    def load(failures):
        return {"requests": {"Aggregated": {"requests": 100, "failures": failures}}}

    small = {"complaints": 10_000, "items": {"todo_discipline": item(20.0), "todo_branchhead": item(20.0),
                                              "list_discipline": item(20.0), "list_branchhead": item(20.0)}}
    result = {"complaints": 1_000_000, "items": {
        "list_discipline": item(20.0), "list_branchhead": item(40.0),
        "todo_discipline": item(29.0), "todo_branchhead": item(61.0),
        "search_phone_discipline": item(39.0), "search_phone_branchhead": item(81.0),
        "search_name_discipline": item(30.0), "search_number_discipline": item(10.0, errors=1)},
        "remind": {"seconds": 4.9, "open_cases": 26_000},
        "load": {"county": load(0), "province": load(0)},
        "load_two_servers": {"county": load(0), "province": load(2)}}
    verdicts = {row[0]: row[2] for row in bench.targets(result, small)}
    assert verdicts["to-do ≤ 1.5× the list page (discipline; target at 1M)"] == "PASS"
    assert verdicts["to-do ≤ 1.5× the list page (branchhead; target at 1M)"] == "FAIL"
    assert verdicts["list search box: phone typed with spaces · DisciplineOffice ≤ 2× the plain list"] == "PASS"
    assert verdicts["list search box: phone typed with spaces · BranchHead ≤ 2× the plain list"] == "FAIL"
    assert verdicts["list search box: part of a case number (mmdd-NNNN) · DisciplineOffice ≤ 2× the plain list"] == "FAIL"
    assert verdicts["`flask remind` ≤ 5 s, start-up included (target at 1M)"] == "PASS"
    assert verdicts["to-do median at 1,000,000 ≤ 1.5× at 10,000 (discipline)"] == "PASS"
    assert verdicts["to-do median at 1,000,000 ≤ 1.5× at 10,000 (branchhead)"] == "FAIL"
    assert verdicts["load province: zero errors"] == "PASS"
    assert verdicts["load province, two app servers: zero errors"] == "FAIL"
    assert verdicts["load county, two app servers: zero errors"] == "PASS"


def test_encryption_targets_compare_each_page_with_its_plain_text_twin(bench):
    """Issue 24: the list and case pages with the identity encrypted within 1.2× of the same
    pages over the plain-text twin; registration reported without a target."""
    def item(median, errors=0):
        return {"median_ms": median, "p95_ms": median, "errors": errors}

    result = {"complaints": 1_000_000, "items": {
        "list_encrypted": item(36.0), "list_plain": item(31.0), "case_encrypted": item(50.0),
        "case_plain": item(40.0), "register_encrypted": item(30.0), "register_plain": item(20.0)}}
    rows = {row[0]: row[1:] for row in bench.targets(result, None)}
    assert rows["complaint list with identity encrypted ≤ 1.2× in plain text (target at 1M)"] == ("1.16× (36.0 / 31.0 ms)", "PASS")
    assert rows["case page with identity encrypted ≤ 1.2× in plain text (target at 1M)"] == ("1.25× (50.0 / 40.0 ms)", "FAIL")
    assert rows["POST /api/v1/complaint/ (register) with identity encrypted ÷ in plain text (no target)"] == (
        "1.50× (30.0 / 20.0 ms)", "—")
    assert {key for key, _ in bench.ITEMS} >= {"list_encrypted", "list_plain", "case_encrypted", "case_plain",
                                               "register_encrypted", "register_plain"}
