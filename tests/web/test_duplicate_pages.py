"""Duplicates on the pages (issue 23): the form on the case page, its refusals beside the field in
Chinese, the links both ways, the 重复 marker in the list and the note on the report pages."""
import re
from datetime import datetime
from html import unescape

from app.security import roles as r
from app.services import complaints as svc
from tests.conftest import csrf_token

NOW = datetime(2026, 12, 1, 10, 0)
REASON = "同一客户就同一事项再次来电投诉。"


def field_block(html, name):
    """The form group of field ``name`` in the open mark_duplicate form."""
    form = html[html.index('id="form-mark_duplicate"'):]
    start = form.index(f'data-field="{name}"') - 40  # the form group's own class (has-error)
    return unescape(form[start:form.index("</div>", start + 40)])


def test_the_form_refuses_beside_the_field_in_chinese_and_keeps_the_values(client, login, cases):
    login("discipline")
    case = cases["processing"]
    token = csrf_token(client, f"/complaints/show/{case.id}")
    response = client.post(f"/complaints/transition/{case.id}/mark_duplicate", data={
        "csrf_token": token, "original_number": case.number, "reason": REASON, "version": case.version})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    block = field_block(html, "original_number")
    assert "has-error" in block
    assert "投诉不能标记为其自身的重复投诉" in block and case.number in block
    response = client.post(f"/complaints/transition/{case.id}/mark_duplicate", data={
        "csrf_token": token, "original_number": "TS20990101-0001", "reason": REASON, "version": case.version})
    assert "在您可查看的投诉中没有此编号的投诉" in field_block(response.get_data(as_text=True), "original_number")
    response = client.post(f"/complaints/transition/{case.id}/mark_duplicate", data={
        "csrf_token": token, "original_number": "TS2099", "reason": "", "version": case.version})
    html = response.get_data(as_text=True)
    assert "请输入投诉编号" in field_block(html, "original_number")
    assert re.search(r"[\u4e00-\u9fff]", field_block(html, "reason").split("field-error", 1)[1])


def test_the_case_pages_link_both_ways_and_the_list_marks_the_duplicate(client, login, cases, users):
    case, original = cases["processing"], cases["closed"]
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "mark_duplicate",
              {"original_number": original.number, "reason": REASON}, now=NOW)
    login("discipline")
    html = client.get(f"/complaints/show/{case.id}").get_data(as_text=True)
    link = re.search(r'id="duplicate-of".*?</p>', html, re.S).group(0)
    assert "原投诉" in link and f'/complaints/show/{original.id}"' in link and original.number in link
    assert 'data-transition="unmark_duplicate"' in html and 'data-transition="follow_up"' not in html
    assert "标记为重复投诉" in html  # the timeline
    html = client.get(f"/complaints/show/{original.id}").get_data(as_text=True)
    links = re.search(r'id="duplicates".*?</p>', html, re.S).group(0)
    assert "并入本案的重复投诉" in links and f'/complaints/show/{case.id}"' in links and case.number in links
    assert "重复投诉并入本案" in html  # the original's timeline
    listed = client.get("/complaints/list/").get_data(as_text=True)
    row = next(part for part in listed.split("<tr") if case.number in part)
    assert "duplicate-mark" in row and "重复" in row  # still listed, marked
    # undone: both links gone, the original's timeline says so
    svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "unmark_duplicate", {"reason": "经核实并非同一事项。"}, now=NOW)
    html = client.get(f"/complaints/show/{original.id}").get_data(as_text=True)
    assert 'id="duplicates"' not in html and "重复投诉移出本案" in html
    assert 'id="duplicate-of"' not in client.get(f"/complaints/show/{case.id}").get_data(as_text=True)


def test_the_report_pages_say_how_many_duplicates_were_merged(client, login, cases, users):
    svc.apply(users[r.DISCIPLINE_OFFICE], cases["processing"].id, "mark_duplicate",
              {"original_number": cases["closed"].number, "reason": REASON}, now=NOW)
    login("discipline")
    for page in ("dashboard", "assessment"):
        html = client.get(f"/reports/{page}?start=2026-11-01&end=2026-12-31").get_data(as_text=True)
        note = re.search(r'id="duplicates-note">(.*?)</p>', html, re.S)
        assert note and "另有 1 件重复投诉" in unescape(note.group(1)), page
    html = client.get("/reports/dashboard?start=2026-01-01&end=2026-10-31").get_data(as_text=True)
    assert 'id="duplicates-note"' not in html
