"""Hypothesis against every web form (issue 17, item 14d).

Each role opens its pages as a person would — register, edit, the case page with one form per
transition and the upload, organisation units and staff, the calendar pages and file import,
the report forms, login, its own password, the users and roles admin forms — and every form
found on them (``<form>`` parsed from the page, so a new field or form is covered at once) is
sent generated bad values with a valid CSRF token: wrong types, huge numbers, 2**70, lone
surrogates, control characters, very long strings, impossible dates, SQL and HTML fragments,
mixed with the page's own values so the bad one reaches the checks behind the first. Bounded
(``EXAMPLES`` per form) and derandomized. Fails on any 5xx or a stack trace, SQL or database
driver text in the answer or the page it redirects to (where flashed messages show).
"""
import time
from collections import Counter
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.security import roles as r
from tests.conftest import PASSWORD, csrf_token, web_login
from tests.html_forms import Forms
from tests.fuzz.conftest import problem, restore_user

EXAMPLES = 4
# Every field of every form also gets each of these once (a deterministic sweep before the
# generated examples): the values that broke a form before.
SWEEP = ["²", "9" * 5000, str(2**70), "-1", "\ud800", "a\x00b", "9999-12-31T23:59", "0001-01-01", "1e400", "x" * 70_000]

BAD_TEXT = [
    "", " ", "0", "-1", "1.5", str(2**31), str(2**63), str(2**70), "-" + str(2**70), "9" * 5000, "1e400",
    "NaN", "Infinity", "²", "٣", "０１", "9999-12-31", "0000-00-00", "0001-01-01", "2026-02-30", "99999-01-01",
    "2026-12-01T25:61", "9999-12-31T23:59", "0001-01-01T00:00", "2026-12-01T10:00:00+14:00",
    "'; DROP TABLE complaint;--", "' OR '1'='1", "1) OR (1=1", "<script>alert(1)</script>", "{{7*7}}", "%s%n%x",
    "../../etc/passwd", "\ud800", "a\udfffb", "a\x00b", "\x1b[31m\x07", "\u202e\u200b", "true", "null", "[]", "{}",
    "y", "n", "是", "union", "branch", "x" * 70_000,
]
VALUES = st.one_of(
    st.sampled_from(BAD_TEXT),
    st.text(max_size=40),
    st.integers().map(str),
    st.dates().map(lambda d: d.isoformat()),
)


def forms_on(client, url):
    response = client.get(url)
    if response.status_code != 200:
        return []
    parser = Forms()
    parser.feed(response.get_data(as_text=True))
    found = []
    for form in parser.forms:
        action = form["action"] or url
        path = urlsplit(action).path
        if path.startswith(("/logout", "/lang/")) or "/delete/" in path:
            continue  # ends the session, switches language, deletes the fixtures
        found.append({**form, "action": action})
    return found


def field_values(form):
    """A strategy for the form's submission: each field its own value or a bad one."""
    def one(field):
        own = [field["value"], *field["options"][:5]] if (field["value"] or field["options"]) else [""]
        if field["name"] == "csrf_token":
            return st.just(None)  # filled in per request
        return st.one_of(st.sampled_from(own), VALUES)

    names = [f["name"] for f in form["fields"]]
    files = [f["name"] for f in form["fields"] if f["kind"] == "file"]
    return st.tuples(*[one(f) for f in form["fields"]]).map(lambda values: (list(zip(names, values)), files)), files


def send(client, form, pairs, files, token):
    pairs = [(name, token if name == "csrf_token" else value) for name, value in pairs]
    if not any(name == "csrf_token" for name, _ in pairs) and form["method"] == "post":
        pairs.append(("csrf_token", token))
    if form["method"] != "post":
        query = urlencode(pairs, encoding="utf-8", errors="surrogatepass")
        return client.get(form["action"] + ("&" if "?" in form["action"] else "?") + query, follow_redirects=True)
    if files or "multipart" in form["enctype"]:
        from io import BytesIO

        data = {}
        for name, value in pairs:
            text = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            if name in files:
                data[name] = (BytesIO(text.encode("utf-8")), (text[:40] or "x") + ".csv")
            else:
                data.setdefault(name, []).append(text)
        return client.post(form["action"], data=data, content_type="multipart/form-data", follow_redirects=True)
    body = urlencode(pairs, encoding="utf-8", errors="surrogatepass")
    return client.post(form["action"], data=body, content_type="application/x-www-form-urlencoded",
                       follow_redirects=True)


def pages_for(role, cases, users, org, app):
    """The pages with forms a person in ``role`` opens (None: not logged in)."""
    if role is None:
        return ["/login/"]
    own = ["/resetmypassword/form", "/userinfoeditview/form"]
    case_pages = [f"/complaints/show/{c.id}" for c in cases.values()]
    edit_pages = [f"/complaints/edit/{cases[s].id}" for s in ("registered", "processing", "replied")]
    reports = ["/reports/dashboard", "/reports/assessment", "/complaints/list/", "/reports/regulatory"]
    staff = users[r.COUNTER_STAFF].staff_records[0]
    if role == r.ADMIN:
        return [*own, "/orgunitview/add", f"/orgunitview/edit/{org['a1'].id}", "/staffview/add",
                f"/staffview/edit/{staff.id}", "/workdayview/add", "/calendaryearview/add", "/calendar/import",
                "/calendar/month", "/users/add", f"/users/edit/{users[r.LEADERSHIP].id}", "/roles/add",
                f"/roles/edit/{app.appbuilder.sm.find_role(r.LEADERSHIP).id}",
                f"/resetpassword/form?pk={users[r.LEADERSHIP].id}", "/assessmentruleview/edit/1", "/complaints/list/",
                "/jrt-codes/add", "/jrt-codes/edit/4", "/reports/regulatory", "/ledger/"]
    if role in (r.DISCIPLINE_OFFICE, r.BRANCH_HEAD, r.COUNTER_STAFF):
        # Issue 23: the JR/T 0169 classification's own form page; the ledger import (the office's).
        classify_pages = [f"/complaints/classify/{cases[s].id}" for s in ("processing", "closed")]
        ledger = ["/ledger/"] if role == r.DISCIPLINE_OFFICE else []
        return [*own, "/complaints/add", *edit_pages, *case_pages, *classify_pages, *reports, *ledger]
    return [*own, *case_pages, *reports]


ROLES = [*r.ROLE_NAMES, None]


@pytest.mark.parametrize("role", ROLES, ids=[name or "anonymous" for name in ROLES])
def test_no_form_answers_500_to_bad_values(answers_500, client, users, org, cases, role):
    app = answers_500
    username = users[role].username if role else None
    failures, statuses, sent_forms = [], Counter(), 0
    started = time.monotonic()
    for page in pages_for(role, cases, users, org, app):
        if username and web_login(client, username).status_code != 302:
            restore_user(app, role, username, PASSWORD)
            web_login(client, username)
        token = csrf_token(client, page) if username else csrf_token(client)
        for form in forms_on(client, page):
            if not form["fields"]:
                continue
            sent_forms += 1
            strategy, files = field_values(form)

            def check(pairs, file_names):
                try:
                    response = send(client, form, pairs, file_names, token)
                    status, body = response.status_code, response.get_data()
                except Exception as error:  # noqa: BLE001 -- the app raised: a 500 for the user
                    status, body = 500, repr(error).encode()
                statuses[status] += 1
                why = problem(status, body)
                if why:
                    shown = [(n, v if v is None or len(v) < 60 else v[:60] + "…") for n, v in pairs if n != "csrf_token"]
                    failures.append(f"{page} → {form['method'].upper()} {form['action']} {shown}: {why}: {body[:200]!r}")

            names = [f["name"] for f in form["fields"]]
            for turn in range(len(SWEEP)):
                check([(name, SWEEP[(turn + i) % len(SWEEP)]) for i, name in enumerate(names)], files)

            @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(submission=strategy)
            def run(submission):
                check(*submission)

            run()
    elapsed = time.monotonic() - started
    print(f"forms {role or 'anonymous'}: {sent_forms} forms, {sum(statuses.values())} submissions in {elapsed:.1f} s; "
          f"answers {dict(sorted(statuses.items()))}")
    assert sent_forms, "no form found"
    assert not failures, f"{len(failures)} submissions failed:\n" + "\n".join(failures[:30])
