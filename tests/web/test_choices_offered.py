"""Choices that can be taken: a role is offered only what the services accept from it, and the
services refuse what the forms do not offer. Staff selects list the staff of the unit chosen in the
same form (each option names its unit; static/forms.js filters), and a staff member of another unit
is refused. A branch head is never offered union level; the staff member complained about is never
offered as handler or transfer target; a transfer stays inside the county unless the discipline
office sends it up (here: to the municipal union above the county union)."""
import re
from datetime import datetime

import pytest

from app.errors import ValidationFailed
from app.extensions import db
from app.security import roles as r
from app.services import complaints as svc
from tests.web.test_form_errors import log_in_as, messages_of, page_forms

NOW = datetime(2026, 12, 1, 10, 0)


@pytest.fixture
def county(factory, org, users):
    """The test county under a municipal union, which has staff of its own; a second clerk in 甲一分社."""
    city = factory.unit("市联社", "union", code="SL")
    org["union"].parent = city
    db.session.commit()
    factory.user(r.COUNTER_STAFF, "citystaff", city, "manager", staff_name="市联社员工")
    colleague = factory.user(r.COUNTER_STAFF, "colleague", org["a1"], "counter_staff", staff_name="同事甲")
    return {"city": city, "colleague": colleague.staff_records[0], **org}


@pytest.fixture
def complained(users, make_complaint, county):
    """A processing case against 甲一分社 naming the colleague, handled by the clerk."""
    clerk = users[r.COUNTER_STAFF].staff_records[0]
    case = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00",
                          respondent_staff_id=county["colleague"].id)
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "accept", {"level": "branch", "handler_id": clerk.id}, now=NOW)
    return case


def options(html, form_id, name):
    """``[(value, label, data-unit)]`` of select ``name`` in the form of ``form_id`` on a page."""
    form = re.search(rf'id="{form_id}"(.*?)</form>', html, re.S).group(1)
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', form, re.S)
    return [(v, label.strip(), unit or None) for v, unit, label in
            re.findall(r'<option value="([^"]*)"\s*(?:data-unit="(\d+)")?[^>]*>([^<]*)</option>', select.group(1)) if v]


def select_tag(html, form_id, name):
    form = re.search(rf'id="{form_id}"(.*?)</form>', html, re.S).group(1)
    return re.search(rf'<select[^>]*name="{name}"[^>]*>', form, re.S).group(0)


@pytest.mark.parametrize("username, levels", [("discipline", ["branch", "union"]), ("branchhead", ["branch"])])
def test_union_level_is_offered_to_the_discipline_office_only(client, login, users, make_complaint, username, levels):
    case = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    log_in_as(client, login, username)
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert [v for v, _, _ in options(html, "form-accept", "level")] == levels


def test_the_staff_member_complained_about_is_never_offered_as_handler(client, login, users, complained, county):
    for username, form, field in (("discipline", "form-transfer", "to_staff_id"), ("branchhead", "form-transfer", "to_staff_id"),
                                  ("counter", "form-transfer", "to_staff_id")):
        log_in_as(client, login, username)
        html = client.get(f"/complaints/show/{complained.id}").get_data(as_text=True)
        offered = [label for _, label, _ in options(html, form, field)]
        assert offered and not any("同事甲" in label for label in offered), (username, offered)
    with pytest.raises(ValidationFailed) as refused:
        svc.apply(users[r.BRANCH_HEAD], complained.id, "transfer",
                  {"to_unit_id": county["a1"].id, "to_staff_id": county["colleague"].id, "reason": "换人承办。"}, now=NOW)
    assert refused.value.field == "to_staff_id"


def test_staff_options_carry_their_unit_and_follow_the_unit_select(client, login, users, complained, county):
    log_in_as(client, login, "discipline")
    html = client.get(f"/complaints/show/{complained.id}").get_data(as_text=True)
    assert 'data-follows="transfer-to_unit_id"' in select_tag(html, "form-transfer", "to_staff_id")
    staff = options(html, "form-transfer", "to_staff_id")
    clerk = users[r.COUNTER_STAFF].staff_records[0]
    assert (str(clerk.id), f"{clerk.name} · 甲一分社", str(county["a1"].id)) in staff
    assert all(unit for _, _, unit in staff)
    assert "forms.js" in html and re.search(r'<script src="[^"]*forms\.js" nonce="[^"]+">', html)
    # registration: the staff complained about follows the branch
    html = client.get("/complaints/add").get_data(as_text=True)
    assert 'data-follows="branch_id"' in html


def test_a_staff_member_of_another_unit_is_refused_beside_the_field(client, login, users, complained, county):
    log_in_as(client, login, "discipline")
    from tests.conftest import csrf_token

    token = csrf_token(client, f"/complaints/show/{complained.id}")
    office_staff = users[r.DISCIPLINE_OFFICE].staff_records[0]
    response = client.post(f"/complaints/transition/{complained.id}/transfer", data={
        "csrf_token": token, "version": str(complained.version), "to_unit_id": str(county["a2"].id),
        "to_staff_id": str(office_staff.id), "reason": "转甲二分社处理。"})
    assert response.status_code == 400
    beside, _, _ = messages_of(response.get_data(as_text=True))
    assert beside == {"to_staff_id": ["该员工必须属于接收单位。"]}


def test_transfer_units_stay_in_the_county_unless_the_office_sends_the_case_up(client, login, users, complained, county):
    log_in_as(client, login, "branchhead")
    html = client.get(f"/complaints/show/{complained.id}").get_data(as_text=True)
    head = {label for _, label, _ in options(html, "form-transfer", "to_unit_id")}
    assert head == {"甲一分社", "测试联社", "纪检监察室"}
    log_in_as(client, login, "discipline")
    html = client.get(f"/complaints/show/{complained.id}").get_data(as_text=True)
    office = {label for _, label, _ in options(html, "form-transfer", "to_unit_id")}
    assert "市联社" in office and head < office
    # the services refuse what the head is not offered, and take it from the office
    with pytest.raises(ValidationFailed) as refused:
        svc.apply(users[r.BRANCH_HEAD], complained.id, "transfer", {"to_unit_id": county["city"].id, "reason": "上交市联社。"},
                  now=NOW)
    assert refused.value.field == "to_unit_id"
    svc.apply(users[r.DISCIPLINE_OFFICE], complained.id, "transfer", {"to_unit_id": county["city"].id,
                                                                     "reason": "涉及市联社系统,上交处理。"}, now=NOW)
    assert complained.handling_unit_id == county["city"].id and complained.level == "union"


def test_a_branch_head_never_raises_a_case_to_union_level_itself(users, make_complaint, complained, county):
    registered = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    with pytest.raises(ValidationFailed) as refused:
        svc.apply(users[r.BRANCH_HEAD], registered.id, "accept", {"level": "union"}, now=NOW)
    assert refused.value.field == "level"
    with pytest.raises(ValidationFailed) as refused:
        svc.apply(users[r.BRANCH_HEAD], complained.id, "transfer",
                  {"to_unit_id": county["a1"].id, "to_staff_id": users[r.BRANCH_HEAD].staff_records[0].id,
                   "level": "union", "reason": "改为联社权限。"}, now=NOW)
    assert refused.value.field == "level"
    # up to the union it becomes union-level, as §12(三) says
    svc.apply(users[r.BRANCH_HEAD], complained.id, "transfer", {"to_unit_id": county["office"].id,
                                                               "reason": "案情复杂,上交联社。"}, now=NOW)
    assert complained.level == "union"


def test_a_branch_head_names_no_staff_outside_its_scope(users, complained, county):
    """Sending a case up, the head leaves the handler to the receiving unit."""
    with pytest.raises(ValidationFailed) as refused:
        svc.apply(users[r.BRANCH_HEAD], complained.id, "transfer",
                  {"to_unit_id": county["office"].id, "to_staff_id": users[r.DISCIPLINE_OFFICE].staff_records[0].id,
                   "reason": "上交联社。"}, now=NOW)
    assert refused.value.field == "to_staff_id"


def test_the_accept_form_shows_the_branch_staff_before_a_unit_is_chosen(client, login, users, make_complaint, county):
    case = make_complaint(users[r.COUNTER_STAFF], received_at="2026-11-30T09:00:00")
    log_in_as(client, login, "discipline")
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    assert f'data-default-unit="{county["a1"].id}"' in select_tag(html, "form-accept", "handling_unit_id")
    assert 'data-follows="accept-handling_unit_id"' in select_tag(html, "form-accept", "handler_id")
    assert page_forms(html)
