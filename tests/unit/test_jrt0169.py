"""JR/T 0169-2018 without an application (issue 23): the default code table's shape, the suggestion
mapping, validity on a day, which codes a case may carry, and the administrator's entry checks."""
from datetime import date
from pathlib import Path

import pytest

from app.domain import jrt0169 as j
from app.domain import states as s

ROOT = Path(__file__).resolve().parents[2]
D = date(2026, 12, 1)


def test_default_table_is_a_tree_per_dimension_parents_first():
    seen = {}
    for entry in j.DEFAULT_CODES:
        assert entry.code not in seen, entry.code
        assert j.CODE_PATTERN.fullmatch(entry.code) and entry.code[0] == entry.dimension
        if entry.parent is not None:
            assert entry.parent in seen, f"{entry.code}: parent after child"
            assert seen[entry.parent].dimension == entry.dimension
        assert entry.valid_from is None and entry.valid_to is None  # older cases can be classified too
        seen[entry.code] = entry
    assert {entry.dimension for entry in j.DEFAULT_CODES} == set(j.DIMENSIONS)
    # The order is the table's order: tree order keeps the declared order.
    assert [entry.code for entry in j.tree_order(j.DEFAULT_CODES)] == [entry.code for entry in j.DEFAULT_CODES]


def test_default_table_holds_the_standards_classes():
    names = {entry.code: entry.name for entry in j.DEFAULT_CODES}
    channel = [names[c] for c in ("A0101", "A0102", "A0103", "A0104", "A0199")]
    assert channel == ["营业现场", "自助机具", "电子渠道", "第三方渠道", "其他"]
    assert [e.name for e in j.DEFAULT_CODES if e.parent == "A0103"] == [
        "网银", "电话", "移动客户端", "网络公众平台", "短信", "其他"]
    assert [e.name for e in j.DEFAULT_CODES if e.dimension == "B"] == [
        "人民币储蓄类", "贷款类", "银行卡类", "支付结算类", "人民币管理类", "个人金融信息类", "其他类"]
    reasons = [e.name for e in j.DEFAULT_CODES if e.dimension == "C"]
    assert reasons[0] == "服务态度及服务质量" and reasons[9] == "消费者信息安全" and reasons[-1] == "其他"
    assert names["A02"] == "中、后台业务渠道"


def test_docs_regulatory_lists_every_default_code_with_its_status():
    text = (ROOT / "docs" / "regulatory.md").read_text(encoding="utf-8")
    for entry in j.DEFAULT_CODES:
        assert f"| {entry.code} | {entry.name} |" in text, entry.code


def test_the_suggestion_covers_every_channel_and_category_with_selectable_codes():
    carried = {d: {e.code for e in j.selectable(j.DEFAULT_CODES, d, D)} for d in j.DIMENSIONS}
    for channel in s.CHANNELS:
        for category in s.CATEGORIES:
            suggested = j.suggestion(channel, category)
            for dimension, code in suggested.items():
                assert code in carried[dimension], (channel, category, dimension, code)
    assert j.suggestion("hotline", "attitude") == {"A": "A0101", "B": "B01", "C": "C01"}
    assert j.suggestion("book", "fee") == {"A": "A0101", "B": "B04", "C": "C03"}
    assert j.suggestion("box", "other") == {"A": "A0101", "B": "B99", "C": "C99"}
    assert j.suggestion("unknown", "unknown") == {"A": None, "B": None, "C": None}


def test_a_case_carries_the_most_detailed_code_in_force_on_its_day():
    codes = list(j.DEFAULT_CODES)
    channel = [e.code for e in j.selectable(codes, "A", D)]
    assert "A01" not in channel and "A0103" not in channel  # parents with sub-codes in force
    assert "A010301" in channel and "A0101" in channel and "A02" in channel
    assert j.refusal(codes, "A", "A0101", D) is None
    assert j.refusal(codes, "A", "A9999", D) == j.UNKNOWN_CODE
    assert j.refusal(codes, "A", "B01", D) == j.WRONG_DIMENSION
    assert j.refusal(codes, "A", "A0103", D) == j.NOT_DETAILED
    # An expired code: readable, not carried by a case received after it ended …
    ended = [e if e.code != "A0102" else j.Code("A0102", e.name, "A", "A01", None, date(2026, 6, 30), e.position)
             for e in codes]
    assert j.refusal(ended, "A", "A0102", date(2026, 7, 1)) == j.NOT_IN_FORCE
    assert j.refusal(ended, "A", "A0102", date(2026, 6, 30)) is None  # … but by one received while in force
    # Once every sub-code of 电子渠道 has ended, 电子渠道 itself is the most detailed level again.
    no_items = [j.Code(e.code, e.name, e.dimension, e.parent, None, date(2026, 1, 1), e.position)
                if e.parent == "A0103" else e for e in codes]
    assert j.refusal(no_items, "A", "A0103", D) is None
    assert "A0103" in [e.code for e in j.selectable(no_items, "A", D)]


def test_validity_ends_are_inclusive_and_open_when_empty():
    code = j.Code("C11", "定价收费", "C", None, date(2026, 1, 1), date(2026, 3, 31))
    assert not j.valid_on(code, date(2025, 12, 31))
    assert j.valid_on(code, date(2026, 1, 1)) and j.valid_on(code, date(2026, 3, 31))
    assert not j.valid_on(code, date(2026, 4, 1))
    assert j.valid_during(code, date(2026, 3, 1), date(2026, 6, 30))
    assert not j.valid_during(code, date(2026, 4, 1), date(2026, 6, 30))
    assert j.valid_on(j.Code("C12", "x", "C"), date(1990, 1, 1))


def test_depths_and_ancestors():
    codes = list(j.DEFAULT_CODES)
    depth = j.depths(codes)
    assert (depth["A01"], depth["A0103"], depth["A010301"], depth["B01"]) == (0, 1, 2, 0)
    assert j.ancestors(codes, "A010399") == ["A0103", "A01"]
    assert j.ancestors(codes, "C01") == []


@pytest.mark.parametrize("entry, parent, errors", [
    (j.Code("A0105", "新渠道", "A"), None, {}),
    (j.Code("a0105", "x", "A"), None, {"code": j.BAD_CODE}),
    (j.Code("A-1", "x", "A"), None, {"code": j.BAD_CODE}),
    (j.Code("B0105", "x", "A"), None, {"code": j.CODE_DIMENSION}),
    (j.Code("A0105", "x", "A"), j.Code("B01", "人民币储蓄类", "B"), {"parent_id": j.PARENT_DIMENSION}),
    (j.Code("A0105", "x", "A", valid_from=date(2026, 2, 1), valid_to=date(2026, 1, 31)), None,
     {"valid_to": j.VALIDITY_ORDER}),
])
def test_entry_checks(entry, parent, errors):
    assert j.check_entry(entry, parent, {}, None) == errors


def test_a_code_is_never_placed_under_itself_or_a_descendant():
    parent_of = {1: None, 2: 1, 3: 2, 4: None}  # 1 ← 2 ← 3
    assert j.creates_loop(1, 1, parent_of)
    assert j.creates_loop(1, 3, parent_of)
    assert not j.creates_loop(3, 1, parent_of)
    assert not j.creates_loop(1, 4, parent_of)
    assert not j.creates_loop(1, None, parent_of)
    assert j.check_entry(j.Code("A01", "x", "A", id=1), j.Code("A010301", "y", "A", id=3), parent_of, 3) == {
        "parent_id": j.PARENT_LOOP}
