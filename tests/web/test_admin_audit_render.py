"""The admin audit page shows before → after in the viewer's language and escapes every value
(a role or user name is typed by an administrator and must never become markup)."""
from app.web.admin_audit import describe_changes


def test_changes_render_escaped_one_line_each(app):
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        html = str(describe_changes({
            "username": {"from": "old", "to": "<script>alert(1)</script>"},
            "roles": {"added": ["<b>x</b>"], "removed": []},
            "fields": ["username", "email"],
        }))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert html.count("<br>") == 2
    assert "old → " in html
    assert "&amp;lt;" not in html  # escaped once, not twice


def test_no_changes_show_a_dash(app):
    with app.test_request_context():
        assert str(describe_changes({})) == "—"
