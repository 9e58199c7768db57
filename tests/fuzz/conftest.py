"""Fixtures of the fuzz tests (issue 17, item 14): a county with complaints in every state,
the services' clock frozen, and the checks every answer must pass.

The tests in this folder carry the ``fuzz`` marker (``pytest -m fuzz`` runs them alone,
``-m 'not fuzz'`` skips them); ``make test`` and ``make test-postgres`` run them.
"""
import re
from datetime import datetime

import pytest

from app.security import roles as r

NOW = datetime(2026, 12, 1, 10, 0)
# What must never reach a client: a stack trace, the database layer's names, SQL or a driver's
# constraint message.
LEAKS = re.compile(r"Traceback|sqlalchemy|sqlalche\.me|psycopg|sqlite3|File \"/|\[SQL|constraint failed"
                   r"|violates [a-z ]*constraint|IntegrityError|DataError", re.IGNORECASE)


def pytest_collection_modifyitems(items):
    for item in items:
        if "/tests/fuzz/" in str(item.fspath):
            item.add_marker(pytest.mark.fuzz)


def problem(status, body) -> str:
    """Why an answer is unacceptable ("" when it is fine): any 5xx, or a leak in the body."""
    if status >= 500:
        return f"answered {status}"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    found = LEAKS.search(text)
    if found:
        return f"body shows {found.group(0)!r}"
    return ""


@pytest.fixture
def answers_500(app):
    """Unhandled errors become the 500 a user would see (the test app re-raises them)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.fixture
def cases(app, users, org, make_complaint, clock):
    """Complaints in different states (ids 1…8), so generated ids resolve: registered, rejected,
    processing, extension requested, replied, ruled and re-ruling requested, appealed, closed."""
    from app.services import complaints as svc

    office, counter = users[r.DISCIPLINE_OFFICE], users[r.COUNTER_STAFF]
    clerk = counter.staff_records[0]

    def new(**fields):
        return make_complaint(counter, received_at="2026-11-30T09:00:00", **fields)

    def do(user, complaint, name, **body):
        svc.apply(user, complaint.id, name, body, now=NOW)

    made = {"registered": new()}
    made["rejected"] = new()
    do(office, made["rejected"], "reject", reason="ineligible", note="不属于投诉受理范围。")
    for state in ("processing", "extension", "replied", "ruled", "appealed", "closed"):
        made[state] = new(category="fee", disputed_fee="50.00")
        do(office, made[state], "accept", level="branch", handler_id=clerk.id)
    do(counter, made["extension"], "request_extension", reason="需调取监控。", customer_informed_at="2026-12-01T09:30:00",
       customer_informed_by="phone", report="延期报告。", requested_due_date="2026-12-28")
    for state in ("replied", "ruled", "appealed", "closed"):
        do(counter, made[state], "reply", method="letter", content="已退还费用。", customer_received_on="2026-12-01")
    do(users[r.COMMITTEE], made["ruled"], "rule", result="responsible", category="18.4", verified=True,
       staff_ids=[clerk.id], fee_borne="50.00", basis="柜员操作错误多收费用,经核实属实。", members="赵丽华、孙明、李秀英")
    do(counter, made["ruled"], "request_reruling", reason="系统故障导致,非本人失误。")
    do(office, made["appealed"], "appeal", applied_at="2026-12-01", content="对处理结果不服。")
    do(counter, made["closed"], "close")
    return made
