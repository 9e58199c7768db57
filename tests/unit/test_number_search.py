"""A search by part of a case number lists, from the day counters, exactly the numbers that
contain the term (app/data/search.py: number_candidates) — compared with every number written out."""
import pytest
from hypothesis import given, settings, strategies as st

from app.data import search

DAYS = [("20241231", 3), ("20250101", 12), ("20250102", 0), ("20261201", 274), ("20261202", 1000),
        ("20261203", 10234), ("20261206", 4)]


def all_numbers():
    for day, last in DAYS:
        width = max(4, len(str(last)))
        for n in range(1, last + 1):
            yield f"TS{day}-{n:0{width}d}"


NUMBERS = list(all_numbers())


@pytest.fixture(autouse=True)
def counters(monkeypatch):
    monkeypatch.setattr(search, "_day_counters", lambda: DAYS)


def listed(term):
    found = search.number_candidates(term)
    if found is None:
        return None
    numbers, ranges = found
    assert len(numbers) == len(set(numbers))
    in_ranges = {n for n in NUMBERS for first, last in ranges if first <= n <= last + "~"}
    return set(numbers) | in_ranges


def check(term):
    got = listed(term)
    if got is None:  # too many to list: the index is scanned instead
        assert sum(term in n for n in NUMBERS) > search.MAX_EXACT_NUMBERS or len(term) <= 2
        return
    assert got == {n for n in NUMBERS if term in n}, term


@pytest.mark.parametrize("term", ["0004", "-0004", "1206-0004", "TS20261206-0004", "TS2026", "2026", "1201",
                                  "0102-", "1231-0003", "12-01", "10234", "-10234", "1023", "0274", "274", "999",
                                  "20261203-1", "S20250101-001", "TS20250102-0001", "9999", "0000"])
def test_typical_terms(term):
    check(term)


@settings(max_examples=300, deadline=None)
@given(number=st.sampled_from(NUMBERS), data=st.data())
def test_any_part_of_any_number(number, data):
    start = data.draw(st.integers(0, len(number) - 3))
    end = data.draw(st.integers(start + 3, len(number)))
    check(number[start:end])


@settings(max_examples=200, deadline=None)
@given(term=st.text(alphabet="TS0123456789-", min_size=3, max_size=16))
def test_any_term_of_number_characters(term):
    check(term)


def test_a_term_in_every_day_is_ranges_of_whole_days():
    assert search.number_candidates("0") == ([], [["TS20241231-", "TS20250101-"], ["TS20261201-", "TS20261206-"]])


def test_a_term_matching_too_many_numbers_falls_back_to_the_index_scan(monkeypatch):
    monkeypatch.setattr(search, "MAX_EXACT_NUMBERS", 100)
    assert search.number_candidates("7") is None
    assert search.number_candidates("0102-") is not None
