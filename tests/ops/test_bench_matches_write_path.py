"""The bulk seeder (bench/plugin/seed.py) writes what the one write path would have written.

A small sample is seeded in bulk (fixed seed and "now"; the rare stories made common so that a
few dozen cases hold every one of them). A handful of its cases, chosen so that together they
cover every final status, every transition of the table, both levels, extensions approved,
refused and pending, rulings, re-rulings and appeals, are then told again through
``services.complaints.register`` and ``apply`` on the same calendar: each step by a login of the
staff member the seeder names (who must be allowed to take it), with the body the seeder
recorded for it, at the time it recorded. The two cases must then agree field by field:

- every column of the complaint row (status, level, handling unit and handler, due dates and
  their provisional marks, extension, reply, appeal notice and window, close, follow-up,
  appeal, ruling and re-ruling fields, version), except the row's id, its number's sequence
  within the day (the day must agree), the external reference, the logins that acted (the
  seeder has none) and the shared-phone mark (the replay shares the seeded case's number);
- the timeline: every event's name, statuses, time, note and recorded body, in order;
- the rulings with the staff they hold responsible;
- the case's figures in the kept report months.

Afterwards the kept months equal a recount and the kept total the number of complaints.
"""
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.cli.demo import seed_demo
from app.extensions import db
from app.models import Staff
from app.models.complaint import Complaint, ComplaintEvent, ComplaintMonth
from app.models.ruling import Ruling
from app.reports import monthly
from app.security import roles as r
from app.services import complaints as svc
from app.services import totals
from app.domain import states as s
from app.domain import transitions as t
from bench.plugin import seed as bench_seed
from config import Config
from tests.conftest import PASSWORD

NOW = datetime(2026, 11, 27, 16, 30, 0)
SAMPLE = 96
# The rare stories made common (each probability per case, or per case that reached the step).
COMMON = {
    "P_REJECT": 0.08, "P_STALL_REGISTERED": 0.06, "P_TRANSFER": 0.35, "P_EXTENSION": 0.5,
    "P_EXTENSION_PENDING": 0.25, "P_EXTENSION_APPROVED": 0.6, "P_STALL_PROCESSING": 0.06,
    "P_LATE_REPLY": 0.2, "P_RULING": 0.6, "P_RERULING": 0.8, "P_RERULING_PENDING": 0.25,
    "P_RERULING_CHANGED": 0.5, "P_APPEAL": 0.3, "P_APPEAL_FROM_CLOSED": 0.5, "P_APPEAL_PENDING": 0.25,
    "P_STALL_REPLIED": 0.08, "P_SATISFIED": 0.6,
}
# Where the sample is seeded: the bench county alone, its own bodies configured; or as bench/run.py
# builds it, the demo county (flask seed-demo) beside the bench county with the bodies of the
# default configuration, which are superiors of the demo county's units only.
SETUPS = {
    "bench-county": bench_seed.BENCH_COUNTY_BODIES,
    "demo-and-bench": {key: getattr(Config, key)
                       for key in ("APPEAL_BODY_BRANCH_LEVEL", "APPEAL_BODY_UNION_LEVEL", "RERULING_BODY_UNIT")},
}
# Complaint columns that may differ: the row's id and number (compared by day), the external
# reference, the logins that acted, and the mark of a phone number another case shares.
NOT_COMPARED = {"id", "number", "external_ref", "created_by_id", "replied_by_id", "phone_shared"}
# Issue 23: the JR/T 0169 codes registration suggests; the bulk seeder (bench/, not changed with
# the classification) writes none, so its cases are counted as unclassified in the quarterly report.
NOT_COMPARED |= {"jrt_channel_id", "jrt_business_id", "jrt_reason_id", "jrt_confirmed"}
REGISTER_FIELDS = ("channel", "complainant_name", "complainant_phone", "complainant_id_number",
                   "complainant_address", "is_delegate", "principal_name", "branch_id", "respondent_staff_id",
                   "category", "disputed_fee", "facts", "customer_request")
ROLE_OF_POSITION = {"counter_staff": r.COUNTER_STAFF, "branch_head": r.BRANCH_HEAD,
                    "discipline_officer": r.DISCIPLINE_OFFICE, "committee_member": r.COMMITTEE,
                    "manager": r.RERULING_BODY}


@pytest.fixture(params=sorted(SETUPS))
def seeded(request, app, monkeypatch):
    """The sample, seeded in bulk (the bench organisation added); its case ids."""
    for name, value in COMMON.items():
        monkeypatch.setattr(bench_seed, name, value)
    for key, code in SETUPS[request.param].items():
        monkeypatch.setitem(app.config, key, code)
    if request.param == "demo-and-bench":
        seed_demo()
    report = bench_seed.seed(SAMPLE, seed=20, batch_size=SAMPLE, now=NOW, parallel=False)
    assert report.created_bench_tree and report.complaints == SAMPLE
    return db.session.execute(select(Complaint.id).order_by(Complaint.id)).scalars().all()


# --- what is compared --------------------------------------------------------------------------

def case_row(complaint):
    values = {c.name: getattr(complaint, c.name) for c in Complaint.__table__.columns if c.name not in NOT_COMPARED}
    values["number_day"] = complaint.number[2:10]
    return values


def timeline(complaint_id):
    events = db.session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint_id)
                                .order_by(ComplaintEvent.id)).scalars()
    return [(e.name, e.from_status, e.to_status, e.at, e.note, e.payload) for e in events]


def rulings(complaint_id):
    found = db.session.execute(select(Ruling).where(Ruling.complaint_id == complaint_id)
                               .order_by(Ruling.id)).scalars()
    return [(x.kind, x.result, x.category, x.verified, x.basis, x.members, x.fee_borne, x.ruled_on,
             x.recorded_at, sorted(link.staff_id for link in x.links), x.body_id,
             [(seat.staff_id, seat.role) for seat in x.present]) for x in found]


def month_figures(complaint_id):
    """The case's part of the kept report months, as the rows ``complaint_month`` holds."""
    stored = monthly._stored(db.session, [Complaint.id == complaint_id])
    return monthly._rows(stored, sorted(stored))


def kept_months():
    return {(row.month, row.branch_id): (row.counts, row.fees, row.reply_days, row.staff)
            for row in db.session.execute(select(ComplaintMonth)).scalars()}


def everything(complaint_id):
    db.session.expire_all()
    return {"case": case_row(db.session.get(Complaint, complaint_id)), "timeline": timeline(complaint_id),
            "rulings": rulings(complaint_id), "months": month_figures(complaint_id)}


# --- which cases are told again ----------------------------------------------------------------

def features(complaint_id):
    case = db.session.get(Complaint, complaint_id)
    steps = timeline(complaint_id)
    names = [name for name, *_ in steps]
    return ({("status", case.status), ("level", case.level), ("extension", case.extension_status),
             ("reruling", case.reruling_status), ("ruling", case.ruling_result), ("final", case.ruling_final),
             ("appeal", case.appeal_decision), ("appeal_level", case.level if case.appeal_applied_on else None),
             ("reply", case.reply_method), ("receipt", case.reply_received_on is not None),
             ("late", case.replied_at is not None and case.replied_at.date() > case.due_date),
             ("follow_up", case.follow_up_satisfied), ("closed_twice", names.count("close") > 1),
             ("fee_borne", any(ruling[6] is not None for ruling in rulings(complaint_id))),
             ("provisional", case.due_date_provisional or case.appeal_decision_due_provisional)}
            | {("event", name) for name in names}
            | {("transfer", "up" if "level" in body else "to the head") for name, *_, body in steps if name == "transfer"})


def chosen(case_ids):
    """The first case of each story feature not yet covered: one per final status, transition …"""
    covered, out = set(), []
    for complaint_id in case_ids:
        new = features(complaint_id) - covered
        if new:
            covered |= new
            out.append(complaint_id)
    return out, covered


# --- the replay --------------------------------------------------------------------------------

class Staffing:
    """Logins for the bench staff, made when a step needs one; who may take which step."""

    def __init__(self, app):
        self.sm = app.appbuilder.sm
        self.staff = db.session.execute(select(Staff.id, Staff.name, Staff.unit_id, Staff.position)
                                        .order_by(Staff.id)).all()
        self.by_id = {member.id: member for member in self.staff}

    def login(self, member):
        staff = db.session.get(Staff, member.id)
        if staff.user is None:
            role = self.sm.find_role(ROLE_OF_POSITION[member.position])
            user = self.sm.add_user(f"bench{member.id}", member.name, "", f"bench{member.id}@test.invalid", role,
                                    password=PASSWORD)
            assert user, member
            staff.user = user
            db.session.commit()
        return staff.user

    def in_unit(self, unit_id, *positions):
        return [m for m in self.staff if m.unit_id == unit_id and (not positions or m.position in positions)]

    def positioned(self, position):
        return [m for m in self.staff if m.position == position]

    def heads_of(self, branch_id):
        return self.in_unit(branch_id, "branch_head")

    def candidates(self, name, case, body):
        """Who may take step ``name`` (recorded with ``body``) on ``case`` (the service checks again)."""
        if name == "register":  # the first handler, unless the one registering is complained about
            holder = body["assigned"]["handler_id"]
            return [self.by_id[holder]] if holder is not None else self.in_unit(body["assigned"]["unit_id"])
        # A case given to a unit without a named handler is that unit's to take (a transfer up to the office).
        handler = [self.by_id[case.handler_id]] if case.handler_id is not None else self.in_unit(case.handling_unit_id)
        officers = self.positioned("discipline_officer")
        if name in ("transfer", "request_extension", "reply", "record_receipt", "close"):
            return handler
        if name in ("accept", "follow_up"):
            return self.heads_of(case.branch_id) + officers
        if name in ("reject", "decide_extension", "appeal"):
            return officers
        if name == "rule":
            return self.positioned("committee_member")
        if name == "request_reruling":
            ruled = [self.by_id[member.id] for member in case.ruled_staff]
            return ruled + [head for m in ruled for head in self.heads_of(m.unit_id)]
        if name == "decide_reruling":
            return self.in_unit(case.reruling_unit_id)
        if name == "decide_appeal":
            return self.in_unit(case.appeal_unit_id)
        raise AssertionError(f"unknown step {name}")

    def actor(self, event_name, actor_name, case, body):
        named = [m for m in self.candidates(event_name, case, body) if m.name == actor_name]
        assert named, f"{case.number}: the seeder has {actor_name} {event_name}, who may not do it"
        return self.login(named[0])


def registration(seeded_case):
    data = {name: getattr(seeded_case, name) for name in REGISTER_FIELDS}
    if data["disputed_fee"] is not None:
        data["disputed_fee"] = str(data["disputed_fee"])
    data["received_at"] = seeded_case.received_at.isoformat()
    return data


def replay(staffing, complaint_id):
    """Tell the seeded case's story again through the services; the new case's id."""
    seeded_case, case = db.session.get(Complaint, complaint_id), None
    actors = db.session.execute(select(ComplaintEvent.actor_name).where(ComplaintEvent.complaint_id == complaint_id)
                                .order_by(ComplaintEvent.id)).scalars().all()
    for (name, _, _, at, _, body), actor_name in zip(timeline(complaint_id), actors, strict=True):
        user = staffing.actor(name, actor_name, case, body)
        if name == "register":
            case, created = svc.register(user, registration(seeded_case), now=at)
            assert created
        else:  # the body as the request sends it; the service records holders and deadlines itself
            sent = {k: v for k, v in (body or {}).items() if k not in RECORDED_BY_THE_SERVICE}
            case = svc.apply(user, case.id, name, sent, now=at)
    return case.id


#: Steps the bench data does not take: marking a duplicate (issue 23) joins two cases the seed
#: writes apart; the marks are rare and leave the seeded case's own rows as they were. Confirming the
#: JR/T 0169 classification (issue 23) is not seeded either.
NOT_SEEDED = ("mark_duplicate", "unmark_duplicate", "classify")

#: Keys of an event's payload that the service adds from the change it made (not sent by a client).
RECORDED_BY_THE_SERVICE = ("assigned", "previous", "deadline", "member_roles")


def test_seeded_cases_are_what_the_services_write(app, seeded):
    replayed_ids, covered = chosen(seeded)
    # Together they hold every final status and take every step of the transition table.
    assert {("status", status) for status in s.STATUSES} <= covered
    assert {("event", tr.name) for tr in t.TRANSITIONS if tr.name not in NOT_SEEDED} <= covered
    assert {("level", "branch"), ("level", "union"), ("ruling", s.RESPONSIBLE), ("ruling", s.NOT_RESPONSIBLE),
            ("extension", s.EXT_REQUESTED), ("extension", s.EXT_APPROVED), ("extension", s.EXT_REFUSED),
            ("reruling", s.RERULING_REQUESTED), ("reruling", s.RERULING_DECIDED), ("closed_twice", True),
            ("receipt", True), ("receipt", False), ("appeal", "upheld"), ("appeal", "changed"),
            ("appeal_level", "branch"), ("appeal_level", "union"), ("late", True),
            ("transfer", "up"), ("transfer", "to the head")} <= covered
    assert len(replayed_ids) < SAMPLE / 2

    staffing = Staffing(app)
    before = {complaint_id: everything(complaint_id) for complaint_id in replayed_ids}
    for complaint_id in replayed_ids:
        again = everything(replay(staffing, complaint_id))
        expected = before[complaint_id]
        number = expected["case"]["number_day"], complaint_id
        assert again["case"] == expected["case"], number
        assert again["timeline"] == expected["timeline"], number
        assert again["rulings"] == expected["rulings"], number
        assert again["months"] == expected["months"], number

    # The seeded rows and the service's writes keep the same months and total.
    db.session.expire_all()
    stored = kept_months()
    with db.session.begin_nested() as savepoint:
        monthly.rebuild()
        rebuilt = kept_months()
        savepoint.rollback()
    assert stored == rebuilt
    assert totals.total() == db.session.execute(select(func.count()).select_from(Complaint)).scalar()

