"""Statistics and assessment (issue 7) against a real database: every figure equals a hand count
on the fixed data set of ``tests/report_data.py``, per role scope."""
from datetime import date
from decimal import Decimal

import pytest

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models.assessment import AssessmentRule
from app.reports import figures, statistics
from app.reports.period import parse_period
from app.reports.rules import DEFAULT_KEYS, ensure_default_rules, load_rules, score
from app.security import roles as r
from app.domain.calendar import WorkCalendar
from tests import report_data as rd

TODAY = rd.TODAY.date()


@pytest.fixture
def cases(users, factory, org, make_complaint, built_once):
    return built_once("report data", lambda: rd.build(users, factory, org, make_complaint), factory)


@pytest.fixture
def staff_names(users, cases):
    return {users[r.COUNTER_STAFF].staff_records[0].id: "counter", cases["counter2"].staff_records[0].id: "counter2"}


def summary(user, args=None):
    period = parse_period(user, args or rd.PERIOD, TODAY)
    return statistics.summary(user, period, TODAY)


@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.LEADERSHIP, r.COMMITTEE, r.ADMIN])
def test_whole_organisation_figures_equal_the_hand_count(app, users, cases, staff_names, role):
    rd.check_summary(summary(users[role]), rd.ALL, staff_names)


def test_branch_head_figures_cover_its_branch_only(app, users, cases, staff_names):
    data = summary(users[r.BRANCH_HEAD])
    rd.check_summary(data, rd.BRANCH_A1, staff_names)
    assert data["period"]["unit"] == "甲一分社"


def test_attention_lists_are_scoped_and_ignore_the_period(app, users, cases, org):
    for role, expected in ((r.DISCIPLINE_OFFICE, rd.ALL), (r.BRANCH_HEAD, rd.BRANCH_A1)):
        period = parse_period(users[role], rd.PERIOD, TODAY)
        lists = statistics.attention(users[role], period, TODAY)
        assert lists["overdue_count"] == expected["overdue_now"]
        assert lists["due_soon_count"] == expected["due_soon"]
    lists = statistics.attention(users[r.DISCIPLINE_OFFICE], parse_period(users[r.DISCIPLINE_OFFICE], rd.PERIOD, TODAY),
                                 TODAY)
    assert [row["number"] for row in lists["overdue"]] == [cases["c9"].number, cases["c5"].number]
    assert [row["number"] for row in lists["due_soon"]] == [cases["c8"].number]
    assert not any(key.startswith("complainant") for row in lists["overdue"] for key in row)


def test_unit_filter_takes_the_subtree(app, users, cases, org):
    data = summary(users[r.DISCIPLINE_OFFICE], {**rd.PERIOD, "unit_id": str(org["coop_a"].id)})
    assert data["received"] == 8
    assert {row["branch"] for row in data["by_branch"]} == {"甲一分社", "甲二分社"}
    assert data["repeat_complainants"] == {"complainants": 1, "complaints": 2}
    b1 = summary(users[r.DISCIPLINE_OFFICE], {**rd.PERIOD, "unit_id": str(org["b1"].id)})
    assert b1["received"] == 1 and b1["overdue"]["without_extension"] == 1


@pytest.mark.parametrize("unit", ["b1", "coop_a", "union"])
def test_unit_outside_the_scope_is_not_found(app, users, org, unit):
    with pytest.raises(NotFound):
        parse_period(users[r.BRANCH_HEAD], {**rd.PERIOD, "unit_id": str(org[unit].id)}, TODAY)


def test_unknown_unit_is_not_found(app, users):
    with pytest.raises(NotFound):
        parse_period(users[r.DISCIPLINE_OFFICE], {**rd.PERIOD, "unit_id": "99999"}, TODAY)


def test_counter_staff_without_a_unit_restriction_sees_its_own_cases_only(app, users, cases):
    data = summary(users[r.COUNTER_STAFF])
    # complaint_clause: registered by it or handled by it (c1, c2, c3, c4, c8), unit a1.
    assert data["received"] == 5


def test_period_bounds_are_inclusive_days(app, users, cases):
    last_day = summary(users[r.DISCIPLINE_OFFICE], {"start": "2026-11-30", "end": "2026-11-30"})
    assert last_day["received"] == 1  # c10 at 23:30
    october = summary(users[r.DISCIPLINE_OFFICE], {"start": "2026-10-01", "end": "2026-10-31"})
    assert october["received"] == 1 and october["by_category"]["conduct"] == 1
    both = summary(users[r.DISCIPLINE_OFFICE], {"start": "2026-10-01", "end": "2026-11-30"})
    assert [(row["month"], row["received"]) for row in both["by_month"]] == [("2026-10", 1), ("2026-11", 9)]


@pytest.mark.parametrize("args, field", [
    ({"start": "2026-13-01", "end": "2026-11-30"}, "start"),
    ({"start": "yesterday", "end": "2026-11-30"}, "start"),
    ({"start": "2026-11-01", "end": "30/11/2026"}, "end"),
    ({"start": "2026-11-30", "end": "2026-11-01"}, "end"),
    ({"start": "2020-01-01", "end": "2026-11-30"}, "end"),
    ({"start": "2023-11-01", "end": "2026-11-01"}, "end"),
    ({"start": "2026-11-01", "end": "2026-11-30", "unit_id": "abc"}, "unit_id"),
])
def test_bad_periods_are_refused_with_a_field_error(app, users, args, field):
    with pytest.raises(ValidationFailed) as error:
        parse_period(users[r.DISCIPLINE_OFFICE], args, TODAY)
    assert error.value.field == field


def test_three_years_is_the_longest_period_and_is_configurable(app, users):
    assert parse_period(users[r.DISCIPLINE_OFFICE], {"start": "2023-11-01", "end": "2026-10-31"}, TODAY)
    app.config["REPORT_MAX_YEARS"] = 1
    with pytest.raises(ValidationFailed):
        parse_period(users[r.DISCIPLINE_OFFICE], {"start": "2025-11-01", "end": "2026-11-01"}, TODAY)


def test_default_period_is_the_year_to_date(app, users):
    period = parse_period(users[r.DISCIPLINE_OFFICE], {}, TODAY)
    assert (period.start, period.end) == (date(2026, 1, 1), TODAY)


def test_average_working_days_uses_the_calendar():
    # Received Wed 2026-09-30, replied Fri 2026-10-09: 1-8 October are holidays, 10-09 is worked.
    holidays = {date(2026, 10, d): False for d in range(1, 9)}
    calendar = WorkCalendar(overrides=holidays)
    pairs = [(date(2026, 9, 30), date(2026, 10, 9), 2), (date(2026, 9, 30), date(2026, 9, 30), 1)]
    assert figures.average_working_days(pairs, calendar) == round(2 / 3, 2)
    assert figures.average_working_days([], calendar) is None


def test_reply_days_kept_per_month_give_the_average_of_the_pairs():
    """The kept reply days (net replies per day, by month of receipt) add up to the same
    average as counting working days pair by pair, whatever the calendar."""
    import random

    rng = random.Random(7)
    holidays = {date(2026, 10, d): False for d in range(1, 9)}
    holidays[date(2026, 10, 10)] = True  # a make-up working Saturday
    calendar = WorkCalendar(overrides=holidays)
    pairs = []
    for _ in range(400):
        received = date(2026, 8, 1).toordinal() + rng.randrange(120)
        pairs.append((date.fromordinal(received), date.fromordinal(received + rng.randrange(40)), rng.randrange(1, 4)))

    def by_pairs():
        days = 0
        for received, replied, n in pairs:
            span = (received.toordinal() + step for step in range(1, replied.toordinal() - received.toordinal() + 1))
            days += n * sum(1 for day in span if calendar.is_workday(date.fromordinal(day)))
        return round(days / sum(n for _, _, n in pairs), 2)

    months = {}
    for received, replied, n in pairs:
        months.setdefault(received.replace(day=1), figures.ReplyDays()).add_pairs([(received, replied, n)])
    read = figures.ReplyDays()
    for month, days in months.items():
        read.add_kept(month, days.kept(month))
    assert read.total == sum(n for _, _, n in pairs)
    assert read.average(calendar) == figures.average_working_days(pairs, calendar) == by_pairs()


# --- assessment ------------------------------------------------------------------------------

def test_deploy_writes_the_default_rules_and_reading_never_does(app):
    rules = load_rules()
    assert [rule.key for rule in rules] == list(DEFAULT_KEYS)
    assert all(rule.label and rule.basis.startswith("§") and rule.active for rule in rules)
    rule = db.session.query(AssessmentRule).filter_by(key="complaint").one()
    rule.points = Decimal("-0.5")
    db.session.delete(db.session.query(AssessmentRule).filter_by(key="appeal_changed").one())
    db.session.commit()
    # Reading (every report and page does) writes nothing back.
    assert "appeal_changed" not in {x.key for x in load_rules()}
    # flask deploy writes the missing defaults and leaves the administrator's values.
    assert ensure_default_rules() == 1
    rules = load_rules()
    assert len(rules) == len(DEFAULT_KEYS)
    assert next(x for x in rules if x.key == "complaint").points == Decimal("-0.5")
    assert ensure_default_rules() == 0


def test_assessment_per_branch_and_staff(app, users, cases, staff_names):
    period = parse_period(users[r.DISCIPLINE_OFFICE], rd.PERIOD, TODAY)
    report = statistics.assessment(users[r.DISCIPLINE_OFFICE], period, TODAY, load_rules())
    assert {row["branch"]: row["points"] for row in report["branches"]} == rd.ASSESSMENT_BRANCHES
    a1 = next(row for row in report["branches"] if row["branch"] == "甲一分社")
    assert a1["responsible_by_category"]["18.4"] == 1 and a1["fees_borne"] == 90.0
    assert a1["overdue_without_extension"] == 2 and a1["appeals_changed"] == 1 and a1["follow_up_unsatisfied"] == 1
    staff = {staff_names[row["staff_id"]]: (row["points"], row["fees_borne"], row["named"]) for row in report["staff"]}
    assert staff == rd.ASSESSMENT_STAFF


def test_assessment_follows_the_configured_rules(app, users, cases, staff_names):
    rules = load_rules()
    for rule in rules:
        if rule.key == "complaint":
            rule.points = Decimal("-1")
        if rule.key == "overdue_without_extension":
            rule.active = False
    db.session.commit()
    period = parse_period(users[r.DISCIPLINE_OFFICE], rd.PERIOD, TODAY)
    report = statistics.assessment(users[r.DISCIPLINE_OFFICE], period, TODAY, load_rules())
    points = {row["branch"]: row["points"] for row in report["branches"]}
    assert points == {"甲一分社": -6 - 2 - 1 - 0.5, "甲二分社": -2.0, "乙一分社": -1.0}
    staff = {staff_names[row["staff_id"]]: row["points"] for row in report["staff"]}
    assert staff == {"counter": -2.0, "counter2": -3.0}


def test_score_ignores_inactive_and_unknown_rules():
    rules = [AssessmentRule(key="a", points=Decimal("-2"), active=True),
             AssessmentRule(key="b", points=Decimal("5"), active=False)]
    assert score(rules, {"a": 3, "b": 4, "c": 9}) == Decimal("-6")


def test_branch_head_assessment_is_its_branch(app, users, cases):
    period = parse_period(users[r.BRANCH_HEAD], rd.PERIOD, TODAY)
    report = statistics.assessment(users[r.BRANCH_HEAD], period, TODAY, load_rules())
    assert [row["branch"] for row in report["branches"]] == ["甲一分社"]


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("a\x00b\x07c", "abc"), ("张三", "张三"), (-5, -5), (Decimal("1.50"), 1.5),
])
def test_export_cells_are_neutralised(value, expected):
    from app.reports.export import neutralise

    assert neutralise(value) == expected
