"""A workflow transition is declared once, in ``TRANSITIONS`` (app/domain/transitions.py).

Fails when a declared transition lacks one of its pieces (payload schema with a form for each
field, handler, permission, grants, timeline label, row in docs/workflow.md), or when anything
names a transition the table does not declare: grants, Complaint permissions, templates, the API,
the services' events, demo and bench data, the tests (e2e included) and the docs. Places that name
a transition as text are scanned with the patterns they use; each pattern is first shown to find
what it should in a sample.
"""
import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from marshmallow import RAISE, Schema

from app.domain import payloads as p
from app.domain import states as s
from app.domain import transitions as t
from app.domain import vocabulary as v
from app.security import permissions as perm
from app.security import roles as r
from app.services import complaints as svc
from app.web import forms

ROOT = Path(__file__).resolve().parents[2]
DECLARED = set(t.BY_NAME)
NOT_TRANSITIONS = (perm.COMPLAINT_READ, perm.COMPLAINT_EDIT, perm.COMPLAINT_REGISTER)
# Timeline events that are not transitions: registration, an edit, evidence, a recomputed deadline, a reminder,
# and on an original, a duplicate merged into it or separated from it again (issue 23).
OTHER_EVENTS = {"register", "edit", "attach", "recompute_deadline", "remind", "duplicate_added", "duplicate_removed",
                "import"}
# Names the tests use on purpose to show that an undeclared transition is refused.
UNDECLARED_ON_PURPOSE = {"fly"}


def _sources(folder, pattern):
    return {path: path.read_text(encoding="utf-8") for path in sorted((ROOT / folder).glob(pattern))}


def _named(texts, regex, skip=()):
    """``{name: [file:line, …]}`` for each first group of ``regex`` in ``texts`` (path → text)."""
    found = {}
    for path, text in texts.items():
        if path in skip:
            continue
        for match in re.finditer(regex, text):
            line = text.count("\n", 0, match.start()) + 1
            found.setdefault(match.group(1), []).append(f"{path.relative_to(ROOT)}:{line}")
    return found


def _undeclared(found, allowed=()):
    return {name: where for name, where in found.items() if name not in DECLARED and name not in allowed}


def _form_fields(transition):
    return [name for name, field in transition.payload._declared_fields.items() if p.widget(field) is not None]


# --- the declaration and what is derived from it ------------------------------------------------

def test_each_declaration_is_complete():
    names = [tr.name for tr in t.TRANSITIONS]
    assert len(names) == len(DECLARED)
    for tr in t.TRANSITIONS:
        assert re.fullmatch(r"[a-z_]+", tr.name), tr.name
        assert tr.label and tr.permission, tr.name
        assert tr.sources and set(tr.sources) <= set(s.STATUSES), tr.name
        assert tr.target is None or tr.target in s.STATUSES, tr.name
        assert callable(tr.guard), tr.name
        assert isinstance(tr.payload, type) and issubclass(tr.payload, Schema), tr.name
        assert tr.payload.Meta.unknown == RAISE, tr.name
    assert len({tr.payload for tr in t.TRANSITIONS}) == len(names)  # one schema each


def test_every_payload_field_says_how_the_form_asks_for_it():
    for tr in t.TRANSITIONS:
        fields = tr.payload._declared_fields
        assert fields, tr.name
        assert _form_fields(tr) == list(fields), f"{tr.name}: a field without form(...) metadata"


def test_the_registration_and_edit_forms_leave_out_only_the_api_fields():
    assert [n for n, f in p.RegisterSchema._declared_fields.items() if p.widget(f) is None] == ["external_ref"]
    assert [n for n, f in p.EditSchema._declared_fields.items() if p.widget(f) is None] == ["version"]
    assert set(svc.EDITABLE_IDENTITY) <= set(p.EditSchema._declared_fields)


def test_payloads_handlers_and_permissions_cover_exactly_the_declared_transitions():
    assert p.PAYLOADS == {tr.name: tr.payload for tr in t.TRANSITIONS}
    assert set(svc.APPLY) == DECLARED
    assert len(set(svc.APPLY.values())) == len(DECLARED) and all(map(callable, svc.APPLY.values()))
    assert perm.COMPLAINT_TRANSITIONS == tuple(tr.permission for tr in t.TRANSITIONS)
    assert perm.COMPLAINT_PERMISSIONS == [f"can_{name}" for name in (*NOT_TRANSITIONS, *perm.COMPLAINT_TRANSITIONS)]
    assert len(set(perm.COMPLAINT_PERMISSIONS)) == len(perm.COMPLAINT_PERMISSIONS)


def test_an_undeclared_name_fails_where_it_is_written():
    with pytest.raises(ValueError, match="acept"):
        t.declared("acept")
    with pytest.raises(ValueError, match="acept"):
        perm.complaint_permission("acept")
    with pytest.raises(ValueError, match="acept"):
        svc.handles("acept")
    with pytest.raises(ValueError, match="two handlers"):
        svc.handles("accept")(lambda *args: None)
    assert svc.APPLY["accept"].__name__ == "_apply_accept"
    with pytest.raises(ValueError, match="acept"):
        forms.transition_fields("acept", None, None)
    handlers = dict(svc.APPLY)
    assert t.per_transition(handlers, "handlers") is handlers
    with pytest.raises(ValueError, match=r"none for \['close'\], undeclared \['shut'\]"):
        t.per_transition({**{k: h for k, h in handlers.items() if k != "close"}, "shut": None}, "handlers")


def test_the_form_widgets_and_choice_sources_are_checked_at_import():
    with pytest.raises(ValueError):
        p.form("Label", "slider")
    with pytest.raises(ValueError):
        p.form("Label", "select")  # no choices
    with pytest.raises(ValueError):
        p.form("Label", "text", choices=v.LEVELS)
    with pytest.raises(ValueError):
        p.form("Label", "select", choices="units_everywhere")
    assert set(forms.SOURCES) == set(p.CHOICE_SOURCES)


def test_every_transition_has_a_timeline_label():
    assert DECLARED <= set(v.EVENTS)
    assert set(v.EVENTS) - DECLARED == OTHER_EVENTS


# --- grants and permissions ---------------------------------------------------------------------

def test_roles_grant_only_declared_transitions():
    tree = ast.parse((ROOT / "app" / "security" / "roles.py").read_text(encoding="utf-8"))
    granted = [arg.value for node in ast.walk(tree)
               if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_complaint"
               for arg in node.args if isinstance(arg, ast.Constant)]
    assert {"accept", "rule", "decide_reruling"} <= set(granted)  # the scan finds the grants
    assert set(granted) - set(NOT_TRANSITIONS) <= DECLARED
    complaint_grants = {name for pairs in r.ROLE_PERMISSIONS.values() for name, view in pairs if view == perm.COMPLAINT}
    assert complaint_grants <= set(perm.COMPLAINT_PERMISSIONS)
    # Every declared transition is granted to a role (Admin aside, which holds everything).
    assert {f"can_{tr.permission}" for tr in t.TRANSITIONS} <= complaint_grants


def test_complaint_permissions_in_the_database_and_views_are_declared(app):
    from app.extensions import db

    sm = app.appbuilder.sm
    stored = {pv.permission.name for pv in db.session.query(sm.permissionview_model).all()
              if pv.view_menu is not None and pv.view_menu.name == perm.COMPLAINT}
    assert stored == set(perm.COMPLAINT_PERMISSIONS)
    views = [view for view in app.appbuilder.baseviews if getattr(view, "class_permission_name", None) == perm.COMPLAINT]
    assert len(views) >= 2
    for view in views:
        assert set(view.base_permissions) <= set(perm.COMPLAINT_PERMISSIONS), type(view).__name__
        for permission in (view.method_permission_name or {}).values():
            perm.complaint_permission(permission)


# --- where transitions are named as text --------------------------------------------------------

# Templates: the case page's button, its form's id and the form's action.
TEMPLATE_PATTERNS = [
    r"""data-transition=["']([a-z_]+)["']""",
    r"""(?:id|href)=["']#?form-([a-z_]+)["']""",
    r"""ComplaintView\.transition['"][^)]*?name=["']([a-z_]+)["']""",
    r"""(?:tr|transition)\.name\s*==\s*["']([a-z_]+)["']""",
    r"""transitions?/([a-z_]+)""",
]
# Python: routes, the declaration's lookups, a handler, an applied transition.
CODE_PATTERNS = [
    r"""transitions/([a-z_]+)""",
    r"""/complaints/transition/[^/"']+/([a-z_]+)""",
    r"""(?:BY_NAME|PAYLOADS|APPLY)\[["']([a-z_]+)["']\]""",
    r"""(?:declared|handles|transition_fields|transition_body)\(["']([a-z_]+)["']""",
    r"""\bapply\([^,()]+,\s*[^,()]+,\s*["']([a-z_]+)["']""",
]
# The end-to-end tests open a transition's form and fill its fields by id (#<transition>-<field>).
E2E_PATTERNS = [
    r"""open_transition\(\w+,\s*["']([a-z_]+)["']""",
    r"""data-transition=\\?["']([a-z_]+)""",
]
E2E_FIELD = r"""form\.locator\(f?["']#([a-z_]+)-([a-z_]+)["']\)"""


@pytest.mark.parametrize("pattern, sample", [
    (TEMPLATE_PATTERNS[0], '<a data-transition="acept">'),
    (TEMPLATE_PATTERNS[1], '<a href="#form-acept">'),
    (TEMPLATE_PATTERNS[2], "url_for('ComplaintView.transition', pk=complaint.id, name='acept')"),
    (TEMPLATE_PATTERNS[3], '{% if tr.name == "acept" %}'),
    (CODE_PATTERNS[0], 'f"/api/v1/complaint/{cid}/transitions/acept"'),
    (CODE_PATTERNS[1], 'f"/complaints/transition/{case.id}/acept"'),
    (CODE_PATTERNS[2], 'PAYLOADS["acept"]'),
    (CODE_PATTERNS[3], '@handles("acept")'),
    (CODE_PATTERNS[4], 'svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "acept", {})'),
    (E2E_PATTERNS[0], 'form = open_transition(page, "acept")'),
    (E2E_PATTERNS[1], """page.locator('[data-transition="acept"]')"""),
    (E2E_FIELD, 'form.locator("#acept-level")'),
])
def test_each_scan_pattern_finds_what_it_should(pattern, sample):
    assert re.search(pattern, sample).group(1) == "acept"


def test_templates_name_only_declared_transitions():
    texts = _sources("app/templates", "**/*.html")
    assert texts
    for pattern in TEMPLATE_PATTERNS:
        assert _undeclared(_named(texts, pattern)) == {}, pattern


def test_application_code_names_only_declared_transitions():
    """The API (complaint.py, openapi.py), the pages, the services, the CLI and demo code."""
    texts = _sources("app", "**/*.py")
    assert ROOT / "app" / "api" / "complaint.py" in texts and ROOT / "app" / "api" / "openapi.py" in texts
    for pattern in CODE_PATTERNS:
        assert _undeclared(_named(texts, pattern)) == {}, pattern


def test_events_written_are_transitions_or_the_known_others():
    from app.services.deadlines import ASSIGNING_EVENTS

    texts = _sources("app", "**/*.py")
    written = _named(texts, r"""record_event\(\s*\w+,\s*["']([a-z_]+)["']""")
    # … and the rows written in bulk (deadlines.remind: the columns of its INSERT … SELECT by name)
    written = {**written, **_named(texts, r"""["']name["']:\s*(?:literal\()?["']([a-z_]+)["']\)?,\s*["']from_status["']""")}
    assert {"register", "edit", "attach", "remind"} <= set(written)  # the scan finds the services' events
    assert set(written) <= set(v.EVENTS), written
    assert set(ASSIGNING_EVENTS) <= set(v.EVENTS)
    # The bench's generated history (bench/plugin/) writes the same events.
    simulated = _named(_sources("bench", "**/*.py"), r"""\.emit(?:_side)?\([^"']*?,\s*["']([a-z_]+)["']""")
    assert {"accept", "reply", "close"} <= set(simulated)
    assert set(simulated) <= set(v.EVENTS), simulated


def test_demo_data_applies_only_declared_transitions():
    from app.cli.demo import DEMO_COMPLAINTS

    applied = {name for *_, steps in DEMO_COMPLAINTS for _, name, _ in steps}
    assert applied and applied <= DECLARED


def test_tests_name_only_declared_transitions_and_form_fields():
    texts = _sources("tests", "**/*.py")
    this = Path(__file__).resolve()
    for pattern in CODE_PATTERNS + E2E_PATTERNS:
        found = _named(texts, pattern, skip={this})
        assert _undeclared(found, UNDECLARED_ON_PURPOSE) == {}, pattern
    opened = _named(texts, E2E_PATTERNS[0], skip={this})
    assert {"accept", "decide_reruling"} <= set(opened)  # the e2e scenarios are scanned
    for path, text in texts.items():
        if path == this:
            continue
        for match in re.finditer(E2E_FIELD, text):
            name, field = match.groups()
            where = f"{path.relative_to(ROOT)}: #{name}-{field}"
            assert name in DECLARED, where
            assert field in _form_fields(t.BY_NAME[name]), where


# --- the docs -----------------------------------------------------------------------------------

def _table_rows(text, first_header):
    """The rows of the markdown table whose header starts with ``first_header`` (cells stripped)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} "))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _codes(cell):
    return re.findall(r"`([^`]+)`", cell)


def test_docs_workflow_lists_exactly_the_declared_transitions():
    with open(ROOT / "translations" / "zh" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = {m.id: m.string for m in read_po(handle) if m.id}
    rows = _table_rows((ROOT / "docs" / "workflow.md").read_text(encoding="utf-8"), "`name`")
    assert [_codes(row[0])[0] for row in rows] == [tr.name for tr in t.TRANSITIONS]
    for row, tr in zip(rows, t.TRANSITIONS):
        name, label, chinese, sources, target, permission, granted, body = row
        assert label == tr.label and chinese == catalog[tr.label], tr.name
        assert _codes(sources) == list(tr.sources), tr.name
        assert _codes(target) == ([tr.target] if tr.target else []), tr.name
        assert _codes(permission) == [f"can_{tr.permission}"], tr.name
        holders = [role for role, pairs in r.ROLE_PERMISSIONS.items() if (f"can_{tr.permission}", perm.COMPLAINT) in pairs]
        assert [role.strip() for role in granted.split(",")] == holders, tr.name
        fields = tr.payload._declared_fields
        assert body == ", ".join(f"`{n}`" + ("" if f.required else "?") for n, f in fields.items()), tr.name


def test_readme_points_to_the_workflow_page():
    assert "docs/workflow.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_spec_names_only_declared_transitions():
    """``../shared/spec/api.md`` (read-only here) lists the bodies it specifies; the additions since
    (``record_receipt``) are in docs/workflow.md."""
    spec = ROOT.parent / "shared" / "spec" / "api.md"
    if not spec.exists():
        pytest.skip("the shared spec is not beside this checkout")
    rows = _table_rows(spec.read_text(encoding="utf-8"), "`name`")
    named = {_codes(row[0])[0] for row in rows}
    assert "accept" in named and named <= DECLARED
