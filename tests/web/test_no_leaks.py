"""No other branch's case and no unmasked identity through any entry point (issue 6).

Unique marker strings are planted in a case of another branch (and a complainant identity in
a case of the user's own branch); every GET route of the app, enumerated from the URL map,
is requested with the case ids substituted, and every body is searched.
"""
import io
import re

import pytest

from app.security import roles as r
from tests.conftest import api_token, bearer, web_login

FACTS_MARKER = "FACTSMARKER7Q"
NAME_MARKER = "名标记甲乙"
PHONE_MARKER = "13900007777"
ID_MARKER = "110101199912318176"


def _bodies(app, client, headers, ids):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "static" in rule.endpoint or rule.endpoint.endswith(".download"):
            continue
        if rule.endpoint in ("AuthDBView.logout", "LocaleView.index", "UtilView.back"):
            continue
        urls = []
        if "<" in rule.rule:
            for case_id in ids:
                urls.append(re.sub(r"<(?:int:)?pk>", str(case_id), rule.rule))
            urls = [re.sub(r"<[^>]+>", "1", url) for url in urls]
        else:
            urls.append(rule.rule)
        for url in urls:
            if rule.endpoint.startswith("ReportApi") or "report" in url:
                url += ("&" if "?" in url else "?") + "start=2026-01-01&end=2026-12-31"
            response = client.get(url, headers=headers if url.startswith("/api/") else None)
            yield url, _text(response)


def _text(response):
    if response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.data), read_only=True)
        return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)
    return response.get_data(as_text=True)


@pytest.fixture
def planted(users, make_complaint, org):
    foreign = make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["b1"].id, facts=FACTS_MARKER,
                             complainant_name=NAME_MARKER, complainant_phone=PHONE_MARKER,
                             complainant_id_number=ID_MARKER)
    own = make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=org["a1"].id, complainant_name=NAME_MARKER,
                         complainant_phone=PHONE_MARKER, complainant_id_number=ID_MARKER)
    return foreign, own


@pytest.mark.parametrize("username", ["branchhead", "counter"])
def test_branch_users_never_see_another_branch(app, client, users, planted, username):
    foreign, _ = planted
    web_login(client, username)
    headers = bearer(api_token(client, username))
    leaks = [url for url, body in _bodies(app, client, headers, [foreign.id])
             if FACTS_MARKER in body or foreign.number in body or PHONE_MARKER in body]
    assert leaks == []


@pytest.mark.parametrize("username", ["committee", "leader", "admin", "counter"])
def test_masked_roles_never_see_full_identity(app, client, users, planted, username):
    web_login(client, username)
    headers = bearer(api_token(client, username))
    ids = [case.id for case in planted]
    leaks = [url for url, body in _bodies(app, client, headers, ids)
             if PHONE_MARKER in body or ID_MARKER in body or NAME_MARKER in body]
    assert leaks == []


def test_control_the_office_does_see_the_markers(app, client, users, planted):
    """Proves the sweep reaches the case pages: the discipline office sees the identity."""
    web_login(client, "discipline")
    headers = bearer(api_token(client, "discipline"))
    seen = {url for url, body in _bodies(app, client, headers, [planted[0].id]) if PHONE_MARKER in body}
    assert any(url.startswith("/complaints/show/") for url in seen)
    assert any(url.startswith("/api/v1/complaint/") for url in seen)
