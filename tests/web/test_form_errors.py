"""A refused form speaks the form's language: every form a role opens (registration, the edit, every
transition on the case page) is sent bad values field by field — empty required fields, text too
long, values no option has, dates that are no dates or lie before RECEIVED_AT_FLOOR, numbers that
are no numbers or out of range — and must come back with a message beside the field, in Chinese,
naming no field by its code, the values kept; nothing is written. marshmallow's own messages (every
default of its fields and validators) are translated, with the limits they name."""
import inspect
import re
from datetime import datetime
from html import unescape

import pytest
from flask_babel import force_locale
from marshmallow import fields as mfields, validate

from app.domain import payloads as p
from app.domain import transitions as t
from app.extensions import db
from app.i18n import translate_messages
from app.models.complaint import Complaint, ComplaintEvent
from app.security import roles as r
from tests.conftest import csrf_token
from tests.html_forms import Forms

NOW = datetime(2026, 12, 1, 10, 0)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _field_codes():
    """Every field name of every payload, as a client would send it (what a message must not show)."""
    schemas = [p.RegisterSchema, p.EditSchema, p.EligibilitySchema, *t.PAYLOADS.values()]
    return {name for schema in schemas for name in schema._declared_fields} | {"version"}


FIELD_CODES = _field_codes()


def offending(message):
    """Why ``message`` may not be shown to a clerk ("" when it may)."""
    if not CHINESE.search(message):
        return "not Chinese"
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", message):
        if word in FIELD_CODES:
            return f"names the field code {word!r}"
    return ""


# --- the forms as a browser sees them ---------------------------------------------------------

def page_forms(html):
    """The page's forms: ``{"action", "fields": {name: field}}`` (tests/html_forms.py)."""
    parser = Forms()
    parser.feed(html)
    return [{"action": form["action"], "fields": {f["name"]: f for f in form["fields"] if f["kind"] != "file"}}
            for form in parser.forms]


def bad_values(name, field):
    """``[(what, value, expect a message beside it)]`` for one field of a form."""
    kind = field["kind"]
    if kind in ("hidden", "checkbox", "radio") and name not in ("category",):
        return []
    if kind == "radio" or (kind == "select"):
        return [("no such option", "zzz-9", True)]
    if kind == "date":
        return [("no date", "2026-13-45", True), ("before the floor", "1999-12-31", True)]
    if kind == "datetime-local":
        return [("no time", "morgen früh", True), ("before the floor", "1999-12-31T10:00", True)]
    if kind == "number":
        return [("no number", "abc", True), ("negative", "-5", True), ("too large", "99999999999999", True)]
    if kind in ("text", "textarea"):
        return [("too long", "长" * 5001, True)]
    return []


def messages_of(html):
    """Every refusal shown on the page: beside a field ({name: [...]}) and above a form ([...])."""
    beside = {}
    for block in re.split(r'(?=<div class="form-group)|</form>', html):
        found = re.match(r'<div class="form-group has-error" data-field="([a-z_]+)">', block)
        if found:
            beside[found.group(1)] = [unescape(re.sub(r"<[^>]+>", "", m)).strip() for m in
                                      re.findall(r'<p class="help-block field-error">(.*?)</p>', block, re.S)]
    above = [unescape(re.sub(r"<[^>]+>", " ", m)).strip()
             for m in re.findall(r'<div class="alert alert-danger form-errors"[^>]*>(.*?)</div>\s*\n', html, re.S)]
    flashed = [unescape(re.sub(r"<[^>]+>", " ", m)).strip()
               for m in re.findall(r'<div class="alert alert-danger[^"]*">(.*?)</div>', html, re.S)
               if "form-errors" not in m]
    return beside, above, flashed


# --- cases in every state, and who acts on them -------------------------------------------------

USERNAMES = {r.DISCIPLINE_OFFICE: "discipline", r.COMMITTEE: "committee", r.RERULING_BODY: "reruling",
             r.BRANCH_HEAD: "branchhead", r.COUNTER_STAFF: "counter"}


def log_in_as(client, login, username):
    """Log out whoever is logged in, then log in as ``username`` (a logged-in session keeps its user)."""
    if client.get("/complaints/list/").status_code == 200:
        client.post("/logout/", data={"csrf_token": csrf_token(client, "/complaints/list/")})
    login(username)


def transition_forms(client, login, cases):
    """``{transition: (username, case page, form)}``: each transition's form as a role that may use it
    opens it on a case in the state it needs (the first found)."""
    found = {}
    for role, username in USERNAMES.items():
        log_in_as(client, login, username)
        for case in cases.values():
            page = f"/complaints/show/{case.id}"
            shown = client.get(page).get_data(as_text=True)
            for form in page_forms(shown):
                match = re.search(r"/complaints/transition/\d+/([a-z_]+)$", form["action"])
                if match and match.group(1) not in found:
                    found[match.group(1)] = (username, page, form)
            # a step with a page of its own (the classification): opened from the link on the case page
            for name in t.OWN_PAGE:
                own = f"/complaints/{name}/{case.id}"
                if name in found or f'href="{own}"' not in shown:
                    continue
                form = next((f for f in page_forms(client.get(own).get_data(as_text=True))
                             if f["action"].endswith(own)), None)
                if form is not None:
                    found[name] = (username, own, form)
    return found


def check_submissions(client, page, form, label):
    """Send ``form`` (from ``page``) every bad value of every field; every answer is a refusal shown
    on the form as the form words it. Returns the problems found."""
    problems, token = [], csrf_token(client, page)
    base = {"csrf_token": token, **{name: f["value"] for name, f in form["fields"].items() if f["kind"] == "hidden"}}
    base.pop("confirmed", None)
    attempts = [("all empty", None, None)]
    for name, field in form["fields"].items():
        for what, value, expect in bad_values(name, field):
            attempts.append((what, name, value))
    for what, name, value in attempts:
        data = dict(base)
        if name is not None:
            data[name] = value
        response = client.post(form["action"], data=data)
        html = response.get_data(as_text=True)
        where = f"{label} [{what}{' in ' + name if name else ''}]"
        if response.status_code not in (400, 403, 409) and "confirm-summary" not in html:
            problems.append(f"{where}: answered {response.status_code}")
            continue
        beside, above, flashed = messages_of(html)
        if flashed:
            problems.append(f"{where}: flashed {flashed}")
        for shown in [*above, *(m for ms in beside.values() for m in ms)]:
            why = offending(shown)
            if why:
                problems.append(f"{where}: {shown!r} {why}")
        if response.status_code == 200 and "confirm-summary" in html:
            continue  # nothing wrong in what was sent (a step with no required field): its summary
        if name is None:
            required = [n for n, f in form["fields"].items() if f["required"]]
            missing = [n for n in required if not beside.get(n)]
            if missing:
                problems.append(f"{where}: no message beside required {missing} (beside: {sorted(beside)}, above: {above})")
        else:
            if not beside.get(name):
                problems.append(f"{where}: no message beside {name} (beside: {sorted(beside)}, above: {above})")
            kind = form["fields"][name]["kind"]
            if kind in ("text", "number", "date") and f'value="{value}"' not in html:
                problems.append(f"{where}: the value entered is not kept")
            if kind == "textarea" and value not in html:
                problems.append(f"{where}: the text entered is not kept")
    return problems


def test_every_transition_form_refuses_bad_values_beside_the_field_in_chinese(client, login, cases, users,
                                                                             make_complaint):
    # A case marked as a duplicate (issue 23): the undo's form is on its page.
    from app.services import complaints as svc

    marked = make_complaint(users[r.COUNTER_STAFF])
    svc.apply(users[r.DISCIPLINE_OFFICE], marked.id, "mark_duplicate",
              {"original_number": cases["closed"].number, "reason": "同一客户就同一事项再次投诉。"}, now=NOW)
    forms_found = transition_forms(client, login, {**cases, "duplicate": marked})
    assert set(forms_found) == set(t.BY_NAME), sorted(set(t.BY_NAME) - set(forms_found))
    before = (db.session.query(ComplaintEvent).count(), [c.version for c in db.session.query(Complaint).order_by(Complaint.id)])
    problems = []
    for name, (username, page, form) in sorted(forms_found.items()):
        log_in_as(client, login, username)
        problems += check_submissions(client, page, form, f"{name} as {username}")
    assert not problems, "\n".join(problems[:40])
    db.session.expire_all()
    after = (db.session.query(ComplaintEvent).count(), [c.version for c in db.session.query(Complaint).order_by(Complaint.id)])
    assert after == before  # nothing written


@pytest.mark.parametrize("username", ["counter", "branchhead", "discipline"])
def test_register_and_edit_forms_refuse_bad_values_beside_the_field_in_chinese(client, login, cases, username):
    login(username)
    problems = []
    for page in ("/complaints/add", f"/complaints/edit/{cases['processing'].id}"):
        form = next(f for f in page_forms(client.get(page).get_data(as_text=True)) if f["action"].startswith(page))
        problems += check_submissions(client, page, form, f"{page} as {username}")
    assert not problems, "\n".join(problems[:40])


def test_register_form_wording_of_the_clerks_mistakes(client, users, login, org):
    """Bad phone, wrong check digit, a delegate without principal: each said beside its field."""
    login("counter")
    token = csrf_token(client, "/complaints/add")
    data = {"csrf_token": token, "channel": "phone", "complainant_name": "李娜", "complainant_phone": "1381234567",
            "complainant_id_number": "330102199001011235", "is_delegate": "y", "branch_id": str(org["a1"].id),
            "category": "attitude", "facts": "柜员态度生硬。"}
    response = client.post("/complaints/add", data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    beside, above, _ = messages_of(html)
    assert beside["complainant_phone"] == ["电话号码格式不正确:手机号码为11位数字,以13至19开头;固定电话为以0开头的区号加7至8位号码(例如0571-87654321)。"]
    assert beside["complainant_id_number"] == ["校验码(最后一位)不符,请对照身份证核对号码。"]
    assert beside["principal_name"] and not above
    for value in ("李娜", "1381234567", "330102199001011235", "柜员态度生硬。"):
        assert value in html
    assert 'name="is_delegate" value="y" checked' in html
    assert db.session.query(Complaint).count() == 0


def test_a_refused_transition_keeps_its_form_open_with_the_values(client, login, cases):
    """The acceptance refused for its §4 checklist: the case page again, that form open, the level
    and the ticked items kept, the message beside the checklist."""
    login("discipline")
    case = cases["registered"]
    token = csrf_token(client, f"/complaints/show/{case.id}")
    response = client.post(f"/complaints/transition/{case.id}/accept", data={
        "csrf_token": token, "version": str(case.version), "level": "branch", "eligibility.direct_interest": "y",
        "note": "资费争议"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="form-accept" class="panel-collapse collapse in"' in html
    assert 'id="form-reject" class="panel-collapse collapse"' in html
    beside, above, flashed = messages_of(html)
    assert beside == {"eligibility": ["该投诉不符合第四条受理条件,请作不予受理处理。"]} and not above and not flashed
    assert re.search(r'<option value="branch"\s+selected>', html)
    assert 'name="eligibility.direct_interest" value="y" checked' in html
    assert 'name="eligibility.service_standard" value="y" >' in html
    assert ">资费争议</textarea>" in html


def test_a_stale_form_says_so_above_the_form(client, login, cases):
    login("discipline")
    case = cases["registered"]
    token = csrf_token(client, f"/complaints/show/{case.id}")
    response = client.post(f"/complaints/transition/{case.id}/accept",
                           data={"csrf_token": token, "version": str(case.version - 1), "level": "branch"})
    assert response.status_code == 409
    beside, above, _ = messages_of(response.get_data(as_text=True))
    assert above == ["该投诉已被他人修改,请刷新后重试。"] and not beside


def test_api_keeps_its_json_400(client, api, cases):
    response = client.post(f"/api/v1/complaint/{cases['registered'].id}/transitions/reject",
                           json={"reason": "ineligible", "note": "太短"}, headers=api("discipline"))
    assert response.status_code == 400
    assert response.get_json() == {"message": {"note": ["至少应填写10个字(现有2个字)。"]}}


# --- marshmallow's own messages ------------------------------------------------------------------

def _marshmallow_defaults():
    """Every default message of marshmallow's fields and validators, formatted as marshmallow does."""
    found = set()
    for _, cls in inspect.getmembers(mfields, inspect.isclass):
        if issubclass(cls, mfields.Field):
            for klass in cls.__mro__:
                for message in getattr(klass, "default_error_messages", {}).values():
                    found.add(message.format_map(_Values(input="x", obj_type="datetime", awareness="naive")))
    found |= {
        str(error.messages[0]) for error in (
            _error(validate.Length(min=3), "a"), _error(validate.Length(max=2), "abc"),
            _error(validate.Length(min=1, max=2), "abc"), _error(validate.Length(equal=2), "abc"),
            _error(validate.Range(min=1, max=5), 9), _error(validate.Range(min=1), 0), _error(validate.Range(max=1), 3),
            _error(validate.Range(min=1, min_inclusive=False), 1), _error(validate.Range(max=1, max_inclusive=False), 1),
            _error(validate.Range(min=1, max=5, min_inclusive=False, max_inclusive=False), 9),
            _error(validate.OneOf(["a", "b"]), "c"), _error(validate.Equal(3), 4), _error(validate.Email(), "x"),
            _error(validate.URL(), "x"), _error(validate.Regexp("a"), "b"), _error(validate.NoneOf(["a"]), "a"),
            _error(validate.ContainsOnly(["a"]), ["b"]), _error(validate.ContainsNoneOf(["a"]), ["a"]),
            _error(validate.Predicate("isdigit"), "a"),
        )
    }
    return found


class _Values(dict):
    def __missing__(self, key):
        return "a, b"


def _error(validator, value):
    try:
        validator(value)
    except Exception as error:  # noqa: BLE001 -- marshmallow's ValidationError
        return error
    raise AssertionError(f"{validator!r} accepted {value!r}")


def test_every_marshmallow_message_reads_in_chinese_with_its_limits(app):
    with app.test_request_context(), force_locale("zh"):
        shown = {message: translate_messages(message) for message in _marshmallow_defaults()}
        untranslated = {m: s for m, s in shown.items() if not CHINESE.search(s)}
        assert not untranslated
        assert shown["Length must be between 1 and 2."] == "应填写1至2个字符。"
        assert shown["Longer than maximum length 2."] == "最多可填写2个字符。"
        assert shown["Must be greater than or equal to 1 and less than or equal to 5."] == "应不小于1且不大于5。"
        assert shown["Must be greater than 1."] == "应大于1。"
        assert translate_messages(p.Message("Must not be before %(date)s.", date="2000-01-01")) == "不能早于2000-01-01。"
