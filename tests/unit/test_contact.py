"""Phone numbers and resident ID numbers as a bank checks them (app/domain/contact.py)."""
import pytest

from app.domain import contact
from app.domain.phones import normal_phone
from app.domain import payloads as p

MOBILE = [("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("138-1234-5678", "13812345678"),
          ("+86 138 1234 5678", "13812345678"), ("+8613812345678", "13812345678"), ("0086-13812345678", "13812345678"),
          ("19912345678", "19912345678"), (" 13812345678 ", "13812345678")]
LANDLINE = ["0571-87654321", "057187654321", "(0571)87654321", "010-12345678", "010 1234 5678", "0571-8765432",
            "0571-87654321-8001", "0571-87654321 转 8001", "0571-87654321 ext. 12", "+86 571 87654321", "+86-10-12345678"]
NOT_PHONES = ["12345678", "1381234567", "138123456789", "12812345678", "23812345678", "0571-1234", "0571-123456789",
              "00571-87654321", "13812345678-1", "abc", "一三八一二三四五六七八",
              "+1 415 555 0100", "0571—87654321"]


@pytest.mark.parametrize("entered, stored", MOBILE)
def test_mobile_numbers_are_kept_as_their_eleven_digits(entered, stored):
    assert contact.phone_number(entered) == stored


@pytest.mark.parametrize("entered", LANDLINE)
def test_landlines_are_stored_in_the_normal_form_the_search_uses(entered):
    assert contact.phone_number(entered) == normal_phone(entered)


def test_a_landline_loses_its_separators_and_keeps_its_extension():
    assert contact.phone_number("(0571) 8765-4321") == "057187654321"
    assert contact.phone_number("+86 571 87654321") == "057187654321"
    assert contact.phone_number("0571-87654321 转 8001") == "0571-87654321 转 8001"


@pytest.mark.parametrize("entered", NOT_PHONES)
def test_other_numbers_are_refused(entered):
    with pytest.raises(ValueError) as refused:
        contact.phone_number(entered)
    assert str(refused.value) == contact.PHONE_INVALID


def test_full_width_digits_typed_with_a_chinese_input_method_are_read_as_ascii():
    assert contact.phone_number("１３８１２３４５６７８") == "13812345678"
    assert contact.phone_number("138 1234 567８") == "13812345678"
    assert contact.phone_number("０５７１－８７６５４３２１") == "057187654321"


def test_an_empty_phone_is_none():
    assert contact.phone_number("   ") is None
    assert contact.resident_id(" ") is None


@pytest.mark.parametrize("entered, stored", [
    ("330102199001011234", "330102199001011234"),
    ("3301 0219 9001 0112 34", "330102199001011234"),
    ("11010519491231002x", "11010519491231002X"),  # the example of GB 11643 with its X
    ("330102198001191234", "330102198001191234"),  # born before 1983: the region code is read at any time
    ("810000199001011230", "810000199001011230"),  # a Hong Kong resident's residence permit
])
def test_valid_id_numbers(entered, stored):
    assert contact.resident_id(entered) == stored


@pytest.mark.parametrize("entered, why", [
    ("330102199001011235", contact.ID_CHECK_DIGIT),
    ("330102900101123", contact.ID_LENGTH),  # the old 15-digit form
    ("3301021990010112345", contact.ID_LENGTH),
    ("33010219900101123Y", contact.ID_FORMAT),
    ("3301021990010112X4", contact.ID_FORMAT),
    ("330102199013011231", contact.ID_BIRTH_DATE),
    ("999999199001011238", contact.ID_ADDRESS),
])
def test_invalid_id_numbers_say_what_is_wrong(entered, why):
    with pytest.raises(ValueError) as refused:
        contact.resident_id(entered)
    assert str(refused.value) == why


def test_the_register_schema_uses_both_checks():
    schema = p.RegisterSchema()
    base = {"channel": "phone", "complainant_name": "李娜", "branch_id": 1, "category": "fee", "facts": "多收手续费。"}
    loaded = schema.load({**base, "complainant_phone": "+86 139-0000-1111", "complainant_id_number": "11010519491231002x"})
    assert loaded["complainant_phone"] == "13900001111" and loaded["complainant_id_number"] == "11010519491231002X"
    errors = schema.validate({**base, "complainant_phone": "5551234", "complainant_id_number": "330102199001011235"})
    assert errors == {"complainant_phone": [contact.PHONE_INVALID], "complainant_id_number": [contact.ID_CHECK_DIGIT]}
    assert p.EditSchema().validate({"version": 1, "complainant_phone": "123"}) == {"complainant_phone": [contact.PHONE_INVALID]}


def test_the_schemas_hold_every_date_to_the_floor():
    import datetime as dt

    floor = dt.date(2000, 1, 1)
    errors = p.AppealSchema(floor=floor).validate({"applied_at": "1999-12-31", "content": "不服"})
    assert list(errors) == ["applied_at"] and errors["applied_at"][0].params == {"date": "2000-01-01"}
    errors = p.RequestExtensionSchema(floor=floor).validate({
        "reason": "x", "customer_informed_at": "1999-12-31T23:00:00", "customer_informed_by": "phone", "report": "",
        "requested_due_date": "1999-01-01"})
    assert {"customer_informed_at", "requested_due_date", "report"} <= set(errors)
    assert not p.AppealSchema().validate({"applied_at": "1999-12-31", "content": "不服"})  # without a floor


def test_grounds_count_characters_besides_spaces():
    errors = p.RejectSchema().validate({"reason": "ineligible", "note": "  不符合条件  "})
    assert errors["note"][0].params == {"min": p.MIN_GROUNDS, "count": 5}
    assert not p.RejectSchema().validate({"reason": "ineligible", "note": "不符合第四条受理条件。"})
