"""Shared fixtures: a fresh app and database per test, real users per role, logins.

Tests never mock security: users are created with real roles synced from the role table,
and log in through the real web form or the real API login.
"""
import re
from datetime import datetime
import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app import create_app
from app.extensions import db
from app.models import OrgUnit, Staff
from app.security import roles as r
from app.security.sync import sync_roles
from config import TestConfig
from tests import databases
from tests.databases import app_from_template, build_template, drop_template, empty_database_url

PASSWORD = "Test@12345"


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """Schema and synced roles built once; each test starts from a copy of it.

    SQLite: a template file. PostgreSQL (``TEST_DATABASE_URL=postgresql+psycopg://…``): a
    template database, dropped at the end of the session (see tests/databases.py).
    """
    template = build_template(str(tmp_path_factory.mktemp("template")))
    yield template
    drop_template(template)


@pytest.fixture
def app(template_db):
    """A new application over a new database: an in-memory SQLite copy of the template, or a
    PostgreSQL database created from the template (dropped after the test)."""
    with app_from_template(template_db) as application:
        yield application


@pytest.fixture
def built_once(request, template_db):
    """``built_once(name, build, factory=None)``: the cases a module's tests share, built once per test
    process and copied into each test's database (``tests/databases.py: built_once``)."""
    def run(name, build, factory=None):
        return databases.built_once(template_db, (request.module.__name__, name), build, factory)

    return run


@pytest.fixture
def empty_database(tmp_path):
    """URL of a new, empty database on the suite's backend (migrations, deploy, gunicorn)."""
    with empty_database_url(str(tmp_path)) as url:
        yield url


@pytest.fixture
def client(app):
    return app.test_client()


class Factory:
    """Builds org units, staff and users with real roles."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def _next(self):
        self._n += 1
        return self._n

    def unit(self, name=None, kind="branch", parent=None, code=None):
        n = self._next()
        unit = OrgUnit(name=name or f"单位{n}", code=code or f"U{n:04d}", kind=kind, parent=parent, active=True)
        db.session.add(unit)
        db.session.commit()
        return unit

    def user(self, role, username=None, unit=None, position="other", staff_name=None):
        """A login with ``role``; linked to a new staff record in ``unit`` when given."""
        n = self._next()
        username = username or f"{role.lower()}{n}"
        sm = self.app.appbuilder.sm
        user = sm.add_user(username, staff_name or username, "测试", f"{username}@test.invalid", sm.find_role(role), password=PASSWORD)
        assert user, "user creation failed"
        if unit is not None:
            staff = Staff(name=staff_name or f"员工{n}", employee_no=f"E{n:05d}", unit=unit, position=position, user=user, active=True)
            db.session.add(staff)
            db.session.commit()
        return user


    def body(self, kind, unit, members, name=None, term_from=None):
        """A ruling body at ``unit`` with ``members`` ([(user or staff, committee role)])."""
        from datetime import date

        from app.models.committee import BodyMember, RulingBody

        body = RulingBody(kind=kind, unit=unit, name=name or f"{unit.name}{kind}")
        db.session.add(body)
        for who, role in members:
            staff = who.staff_records[0] if hasattr(who, "staff_records") else who
            db.session.add(BodyMember(body=body, staff=staff, role=role, term_from=term_from or date(2020, 1, 1)))
        db.session.commit()
        return body


@pytest.fixture
def factory(app):
    return Factory(app)


@pytest.fixture
def org(factory):
    """A small county: union → discipline office, two cooperatives, three branches."""
    union = factory.unit("测试联社", "union", code="LS")
    office = factory.unit("纪检监察室", "department", union, code="JJ")
    coop_a = factory.unit("甲信用社", "cooperative", union, code="A")
    coop_b = factory.unit("乙信用社", "cooperative", union, code="B")
    branch_a1 = factory.unit("甲一分社", "branch", coop_a, code="A1")
    branch_a2 = factory.unit("甲二分社", "branch", coop_a, code="A2")
    branch_b1 = factory.unit("乙一分社", "branch", coop_b, code="B1")
    return dict(union=union, office=office, coop_a=coop_a, coop_b=coop_b, a1=branch_a1, a2=branch_a2, b1=branch_b1)


@pytest.fixture
def users(factory, org):
    """One user per role, each linked to a staff record where the role has a unit. The committee
    user chairs the union's responsibility-ruling committee and the re-ruling user the higher
    ruling body (each its only member, so a ruling needs only the recorder: ``present``)."""
    made = {
        r.ADMIN: factory.user(r.ADMIN, "admin"),
        r.DISCIPLINE_OFFICE: factory.user(r.DISCIPLINE_OFFICE, "discipline", org["office"], "discipline_officer"),
        r.COMMITTEE: factory.user(r.COMMITTEE, "committee", org["union"], "committee_member"),
        r.RERULING_BODY: factory.user(r.RERULING_BODY, "reruling", org["union"], "manager"),
        r.BRANCH_HEAD: factory.user(r.BRANCH_HEAD, "branchhead", org["a1"], "branch_head"),
        r.COUNTER_STAFF: factory.user(r.COUNTER_STAFF, "counter", org["a1"], "counter_staff"),
        r.LEADERSHIP: factory.user(r.LEADERSHIP, "leader", org["union"], "manager"),
    }
    factory.body("committee", org["union"], [(made[r.COMMITTEE], "chair")])
    factory.body("higher", org["union"], [(made[r.RERULING_BODY], "chair")])
    return made


def present(*users_):
    """The ``members`` of a ruling recorded by these users (staff ids: they sat)."""
    return [user.staff_records[0].id for user in users_]


def csrf_token(client, path="/login/"):
    """The CSRF token embedded in a rendered form (``path``, else the own-password form)."""
    for candidate in (path, "/resetmypassword/form"):
        html = client.get(candidate).get_data(as_text=True)
        for tag in re.findall(r"<input[^>]*>", html):
            if 'name="csrf_token"' in tag:
                return re.search(r'value="([^"]+)"', tag).group(1)
    raise AssertionError(f"no CSRF token on {path}")


def web_login(client, username, password=PASSWORD):
    """Log in through the real login form (CSRF included); returns the response."""
    token = csrf_token(client)
    return client.post("/login/", data={"username": username, "password": password, "csrf_token": token})


def api_token(client, username, password=PASSWORD):
    """A JWT access token from the real API login."""
    response = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": True},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def request_kwargs(url, method, headers, token):
    """Test-client arguments for ``method`` on ``url`` as a logged-in user: API routes get the
    bearer ``headers`` (and an empty JSON body when writing); pages the form's ``token``."""
    if url.startswith("/api/"):
        return {"headers": headers, **({"json": {}} if method != "GET" else {})}
    return {} if method == "GET" else {"data": {"csrf_token": token}}


def zh_role(role):
    """The Chinese name of ``role`` as the pages show it."""
    from flask_babel import force_locale

    from app.domain.vocabulary import ROLES
    from app.i18n import label

    with force_locale("zh"):
        return label(ROLES, role)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def login(client):
    def _login(username, password=PASSWORD):
        response = web_login(client, username, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login


@pytest.fixture
def api(client):
    """``api(username)`` → headers carrying that user's token."""
    cache = {}

    def _headers(username, password=PASSWORD):
        if username not in cache:
            cache[username] = bearer(api_token(client, username, password))
        return cache[username]

    return _headers


@contextmanager
def count_queries():
    """Count SQL statements executed inside the block: ``with count_queries() as q: …; q.count``."""

    class Counter:
        count = 0
        statements = []

    counter = Counter()
    counter.statements = []
    engine = db.engine
    # Tests share one session with the requests they make; start from a cold identity map so
    # the count is what a production request (fresh session) issues.
    db.session.expire_all()

    def before(conn, cursor, statement, parameters, context, executemany):
        counter.count += 1
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


class SmtpServer:
    """A real SMTP server on loopback (aiosmtpd), started by a test: what it received, and how to
    point the application at it. ``refuse`` makes it answer every message 554."""

    def __init__(self):
        import socket

        from aiosmtpd.controller import Controller

        self.messages = []  # email.message.EmailMessage, with ``envelope_to`` set
        self.refuse = False
        with socket.socket() as probe:  # a free loopback port
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        if self.refuse:
            return "554 Transaction failed: refused by the test"
        message = message_from_bytes(envelope.content, policy=policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def configure(self, app, monkeypatch):
        """Mail on, to this server (the test's config only)."""
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", self.port)
        monkeypatch.setitem(app.config, "MAIL_FROM", "complaints@test.invalid")
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port for the test; stopped afterwards."""
    server = SmtpServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


@pytest.fixture
def make_complaint(app, org):
    """``make_complaint(user, **fields)`` registers a complaint through the service."""
    from app.services import complaints as svc

    def _make(user, now=None, **fields):
        """Registered at ``now`` (default: 2026-12-01 09:00, so tests never depend on today)."""
        data = {
            "channel": "phone",
            "complainant_name": "张三丰",
            "complainant_phone": "13812345678",
            "complainant_id_number": "330102199001011234",
            "complainant_address": "浙江省杭州市西湖区文三路1号",
            "branch_id": org["a1"].id,
            "category": "attitude",
            "facts": "柜员态度恶劣,拒绝解释手续费。",
        }
        data.update(fields)
        complaint, _ = svc.register(user, data, now=now or datetime(2026, 12, 1, 9, 0, 0))
        return complaint

    return _make


@pytest.fixture
def clock(monkeypatch):
    """Freeze the services' clock: ``clock["now"] = datetime(...)`` moves it."""
    from app import clock as clock_module

    state = {"now": datetime(2026, 12, 1, 10, 0, 0)}
    monkeypatch.setattr(clock_module, "now", lambda: state["now"])
    return state


@pytest.fixture
def cases(app, users, org, make_complaint, clock, built_once):
    """Complaints in every state a transition starts from (ids 1…10, so generated ids resolve):
    registered, rejected, processing, extension requested, replied (a letter, received), ruled and
    re-ruling requested, appealed, closed, a letter whose receipt is not recorded yet, ruled.
    Built once per module and test process (``built_once``)."""
    return built_once("cases in every state", lambda: _cases_in_every_state(users, make_complaint))


def _cases_in_every_state(users, make_complaint):
    from app.services import complaints as svc

    office, counter = users[r.DISCIPLINE_OFFICE], users[r.COUNTER_STAFF]
    clerk = counter.staff_records[0]
    now = datetime(2026, 12, 1, 10, 0)

    def new(**fields):
        return make_complaint(counter, received_at="2026-11-30T09:00:00", **fields)

    def do(user, complaint, name, **body):
        svc.apply(user, complaint.id, name, body, now=now)

    made = {"registered": new()}
    made["rejected"] = new()
    do(office, made["rejected"], "reject", reason="ineligible", note="不属于投诉受理范围。")
    states = ("processing", "extension", "replied", "ruled", "appealed", "closed", "letter", "ruled_only")
    for state in states:
        made[state] = new(category="fee", disputed_fee="50.00")
        do(office, made[state], "accept", level="branch", handler_id=clerk.id)
    do(counter, made["extension"], "request_extension", reason="需调取监控。", customer_informed_at="2026-12-01T09:30:00",
       customer_informed_by="phone", report="延期报告。", requested_due_date="2026-12-28")
    for state in ("replied", "ruled", "appealed", "closed", "ruled_only"):
        do(counter, made[state], "reply", method="letter", content="已退还费用。", customer_received_on="2026-12-01")
    do(counter, made["letter"], "reply", method="letter", content="已退还费用。")
    for state in ("ruled", "ruled_only"):
        do(users[r.COMMITTEE], made[state], "rule", result="responsible", category="18.4", verified=True,
           staff_ids=[clerk.id], fee_borne="50.00", basis="柜员操作错误多收费用,经核实属实。", members=present(users[r.COMMITTEE]))
    do(counter, made["ruled"], "request_reruling", reason="系统故障导致,非本人失误。")
    do(office, made["appealed"], "appeal", applied_at="2026-12-01", content="对处理结果不服。")
    do(counter, made["closed"], "close")
    return made
