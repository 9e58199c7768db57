"""Issue 24 at the service layer: what a registration and an edit store (ciphertext naming its key,
blind indexes), what the model reads back, and SQL that would compare ciphertexts refused."""
import pytest
from sqlalchemy import select, text

from app.crypto import UndecryptableValue, is_sealed, key_id_of
from app.extensions import db
from app.models.complaint import Complaint, ComplaintEvent, name_index, phone_index
from app.models.identity import EncryptedComparisonError
from app.security import roles as r
from app.services import complaints as svc

COLUMNS = ("complainant_name", "complainant_phone", "complainant_id_number", "complainant_address", "principal_name")


def _raw(complaint_id):
    return db.session.execute(text(f"SELECT {', '.join(COLUMNS)}, phone_index, name_index FROM complaint "
                                   "WHERE id = :id"), {"id": complaint_id}).one()


def test_a_registration_stores_ciphertext_and_blind_indexes(app, users, make_complaint):
    case = make_complaint(users[r.COUNTER_STAFF], complainant_phone="+86 138-0013-8000", is_delegate=True,
                          principal_name="上官婉儿")
    raw = _raw(case.id)
    assert all(is_sealed(value) and key_id_of(value) == "ktest1" for value in raw[:5])
    assert raw[5] == phone_index("13800138000") and raw[6] == name_index("张三丰")
    db.session.expire_all()
    again = db.session.get(Complaint, case.id)
    assert (again.complainant_name, again.complainant_phone, again.principal_name) == ("张三丰", "13800138000", "上官婉儿")


def test_an_edit_keeps_its_old_and_new_contact_values_encrypted(app, users, make_complaint):
    office = users[r.DISCIPLINE_OFFICE]
    case = make_complaint(office)
    svc.edit(office, case.id, {"version": case.version, "complainant_phone": "13900001111",
                               "complainant_address": "演示县人民路2号"})
    raw = db.session.execute(text("SELECT CAST(payload AS TEXT) FROM complaint_event WHERE name = 'edit'")).scalar()
    for value in ("13812345678", "13900001111", "浙江省杭州市西湖区文三路1号", "演示县人民路2号"):
        assert value not in raw and value.encode("unicode_escape").decode() not in raw
    event = db.session.execute(select(ComplaintEvent).where(ComplaintEvent.name == "edit")).scalar_one()
    assert event.payload["changes"]["complainant_phone"] == ["13812345678", "13900001111"]
    assert db.session.get(Complaint, case.id).phone_index == phone_index("13900001111")


def test_sql_comparing_an_encrypted_column_is_refused_when_built(app):
    for build in (lambda: Complaint.complainant_phone == "13800138000",
                  lambda: Complaint.complainant_name.like("张%"),
                  lambda: Complaint.complainant_name.in_(["张三"]),
                  lambda: Complaint.complainant_name.desc(),
                  lambda: Complaint.complainant_id_number > "1"):
        with pytest.raises(EncryptedComparisonError):
            build()
    assert db.session.execute(select(Complaint.id).where(Complaint.complainant_phone.is_(None))).all() == []


def test_a_value_moved_to_another_column_does_not_open(app, users, make_complaint):
    """A DBA copying the ID number into the address (which a masked viewer sees more of) gets an
    error, not the number."""
    case = make_complaint(users[r.DISCIPLINE_OFFICE])
    db.session.execute(text("UPDATE complaint SET complainant_address = complainant_id_number WHERE id = :id"),
                       {"id": case.id})
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(UndecryptableValue) as error:
        db.session.get(Complaint, case.id).complainant_address
    assert "330102199001011234" not in str(error.value)
    db.session.rollback()
