"""Phone numbers in one normal form (app/domain/phones.py): how a clerk or the hotline types a
number never decides whether the same caller is found."""
import pytest

from app.domain.phones import looks_like_phone, normal_phone


@pytest.mark.parametrize("typed, stored", [
    ("13800138000", "13800138000"),
    (" 138 0013 8000 ", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("138–0013—8000", "13800138000"),  # en and em dashes
    ("(138) 0013.8000", "13800138000"),
    ("１３８ ００１３ ８０００", "13800138000"),  # full-width digits and space
    ("+86 138 0013 8000", "13800138000"),
    ("+86-13800138000", "13800138000"),
    ("0086 13800138000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("＋８６１３８００１３８０００", "13800138000"),
    ("0579-8888 1234", "057988881234"),
    ("+86 579 8888 1234", "057988881234"),  # a landline regains its trunk prefix
    ("+86 0579 8888 1234", "057988881234"),
    ("8888-1234", "88881234"),
    ("+852 9123 4567", "+85291234567"),  # abroad: the + stays
    ("86", "86"), ("+86", "+86"),
    ("138 0013 8000 转 123", "138 0013 8000 转 123"),  # not a number: kept as typed, trimmed
    (' =HYPERLINK("x") ', '=HYPERLINK("x")'),
    ("", None), ("   ", None), (" - ", None), ("（ ）", None), (None, None),
])
def test_normal_form(typed, stored):
    assert normal_phone(typed) == stored


def test_normal_form_is_idempotent():
    for typed in ("+86 579 8888 1234", "138-0013-8000", "+852 9123 4567", "0086 13800138000"):
        assert normal_phone(normal_phone(typed)) == normal_phone(typed)


@pytest.mark.parametrize("term, phone", [
    ("138 0013 8000", True), ("+86 138-0013-8000", True), ("0579-8888 1234", True), ("8888 1234", True),
    ("888 1234", True), ("+852 9123 4567", True),
    ("0004", False), ("1201-0002", False), ("20261201", True), ("TS20261201-0002", False), ("张三", False),
    ("138001380001", False), ("", False), ("1380013800", False),
])
def test_what_the_search_box_tries_as_a_phone_number(term, phone):
    assert looks_like_phone(term) is phone


@pytest.mark.parametrize("term, part", [
    ("0004", True), ("-0004", True), ("ts2026", True), ("TS20261201-0004", True), ("1201-00", True),
    ("13800138000", False), ("张三", False), ("0004 ", False), ("TS_", False), ("", False),
])
def test_what_could_be_part_of_a_case_number(term, part):
    from app.data.search import could_be_in_number

    assert could_be_in_number(term) is part
