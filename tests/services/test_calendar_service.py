"""The work calendar in the database (domain.md §5): package import, days, years, CSV files.

Only the years a test needs are imported (2025/2026), to keep the suite fast.
"""
import importlib.machinery
import sys
import types
from datetime import date, timedelta

import chinese_calendar
import pytest
from sqlalchemy import func, select

from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models.calendar import CalendarYear, WorkDay
from app.services import calendar as service
from app.services import calendar_import
from app.domain.calendar import handling_deadline


def _all_days(*years):
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            yield day
            day += timedelta(days=1)


def _snapshot():
    """Everything the calendar stores, for "nothing changed" checks."""
    days = db.session.execute(
        select(WorkDay.date, WorkDay.is_workday, WorkDay.name, WorkDay.source).order_by(WorkDay.date)
    ).all()
    years = db.session.execute(
        select(CalendarYear.year, CalendarYear.published, CalendarYear.source).order_by(CalendarYear.year)
    ).all()
    return [tuple(r) for r in days], [tuple(r) for r in years]


@pytest.fixture
def hook_calls(monkeypatch):
    """Record every call of the change hook, with what the session could see at that moment."""
    calls = []

    def record(changed_dates, user):
        calls.append({
            "dates": set(changed_dates),
            "user": user,
            "in_transaction": db.session().in_transaction(),
            "rows": db.session.execute(select(func.count(WorkDay.id))).scalar(),
        })

    monkeypatch.setattr(service, "on_calendar_changed", record)
    return calls


@pytest.fixture
def calendar_2025_2026(app):
    calendar_import.import_from_package([2025, 2026])


# --- the chinesecalendar package -------------------------------------------------------------------

def test_2025_and_2026_in_the_database_agree_day_by_day_with_chinesecalendar(app):
    changes = calendar_import.import_from_package([2025, 2026])
    assert changes.years_published == [2025, 2026]
    calendar = service.load_calendar()
    for day in _all_days(2025, 2026):
        assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
        assert calendar.is_published(day)
    assert not calendar.is_published(date(2027, 1, 1))
    years = {y.year: (y.published, y.source) for y in db.session.query(CalendarYear)}
    assert years == {2025: (True, "package"), 2026: (True, "package")}


def test_package_import_stores_only_differing_or_named_days_with_chinese_names(app):
    calendar_import.import_from_package([2025])
    rows = {row.date: row for row in db.session.query(WorkDay)}
    for day, row in rows.items():
        assert row.source == "package"
        assert row.is_workday != (day.weekday() < 5) or row.name, day
    assert (rows[date(2025, 10, 1)].is_workday, rows[date(2025, 10, 1)].name) == (False, "国庆节")
    assert (rows[date(2025, 9, 28)].is_workday, rows[date(2025, 9, 28)].name) == (True, "国庆节调休")
    assert rows[date(2025, 10, 4)].name == "国庆节"  # a Saturday holiday: stored for its name
    assert rows[date(2025, 10, 6)].name == "中秋节"
    assert rows[date(2025, 1, 29)].name == "春节"
    assert date(2025, 3, 3) not in rows  # a plain Monday is not stored
    assert len(rows) == len([d for d in chinese_calendar.holidays if d.year == 2025]) + 5


def test_package_import_is_idempotent_and_keeps_administrators_days(app, hook_calls):
    calendar_import.import_from_package([2025])
    day = db.session.query(WorkDay).filter_by(date=date(2025, 10, 8)).one()
    service.update_day(day.id, date(2025, 10, 8), True, "本社上班")
    again = calendar_import.import_from_package([2025])
    assert again.empty
    row = db.session.query(WorkDay).filter_by(date=date(2025, 10, 8)).one()
    assert (row.is_workday, row.name, row.source) == (True, "本社上班", "admin")
    assert len(hook_calls) == 2  # an empty import writes nothing and calls no hook


def test_package_import_keeps_a_year_the_administrator_unpublished(app):
    calendar_import.import_from_package([2025])
    service.set_year_published(2025, False)
    assert calendar_import.import_from_package([2025]).empty
    assert db.session.get(CalendarYear, 2025).published is False


def test_a_year_the_package_does_not_cover_is_refused_and_nothing_changes(app):
    before = _snapshot()
    for year in (2027, 2003, 1999):
        with pytest.raises(ValidationFailed):
            calendar_import.import_from_package([2026, year])
        with pytest.raises(ValidationFailed):
            calendar_import.package_schedule(year)
    assert _snapshot() == before


def test_default_import_covers_every_package_year():
    assert calendar_import.package_years()[0] == 2004
    assert calendar_import.package_years()[-1] == 2026


# --- load_calendar and the per-request cache -------------------------------------------------------

def test_load_calendar_is_cached_and_sees_every_change(app, calendar_2025_2026):
    first = service.load_calendar()
    assert service.load_calendar() is first
    saturday = date(2026, 3, 7)
    assert not first.is_workday(saturday)

    row = service.add_day(saturday, True, "加班日")
    after_add = service.load_calendar()
    assert after_add is not first and after_add.is_workday(saturday)

    service.update_day(row.id, saturday, False, "加班取消")
    assert not service.load_calendar().is_workday(saturday)

    service.remove_day(row.id)
    assert saturday not in service.load_calendar().overrides

    service.set_year_published(2027, True)
    assert service.load_calendar().is_published(date(2027, 6, 1))


def test_deadlines_use_the_database_calendar(app, calendar_2025_2026):
    calendar = service.load_calendar()
    assert handling_deadline(calendar, date(2025, 9, 26), "branch") == (date(2025, 10, 16), False)
    assert handling_deadline(calendar, date(2026, 12, 18), "branch") == (date(2027, 1, 1), True)


# --- single days and the change hook ---------------------------------------------------------------

def test_day_changes_call_the_hook_once_in_the_transaction_with_the_affected_dates(app, users, hook_calls):
    admin = users["Admin"]
    saturday = date(2026, 3, 7)
    row = service.add_day(saturday, True, "加班日", user=admin)
    assert hook_calls[-1]["dates"] == {saturday}
    assert hook_calls[-1]["user"] is admin
    assert hook_calls[-1]["in_transaction"] and hook_calls[-1]["rows"] == 1  # flushed, not yet committed
    assert (row.source, row.updated_by_id) == ("admin", admin.id)

    service.update_day(row.id, saturday, True, "加班")  # only the name: no working-day change
    assert hook_calls[-1]["dates"] == set()

    sunday = date(2026, 3, 8)
    service.update_day(row.id, sunday, True, "加班")  # moved: both dates change
    assert hook_calls[-1]["dates"] == {saturday, sunday}

    service.remove_day(row.id)
    assert hook_calls[-1]["dates"] == {sunday}
    assert len(hook_calls) == 4


def test_a_failing_hook_rolls_the_change_back(app, monkeypatch):
    def boom(changed_dates, user):
        raise ValidationFailed("recompute refused")

    monkeypatch.setattr(service, "on_calendar_changed", boom)
    with pytest.raises(ValidationFailed):
        service.add_day(date(2026, 3, 7), True, "加班日")
    db.session.rollback()
    assert db.session.query(WorkDay).count() == 0
    assert not service.load_calendar().is_workday(date(2026, 3, 7))


def test_hook_delegates_to_the_deadlines_module_when_it_exists(app, monkeypatch):
    received = []
    fake = types.ModuleType("app.services.deadlines")
    fake.__spec__ = importlib.machinery.ModuleSpec("app.services.deadlines", None)
    fake.recompute_for_dates = lambda dates, user: received.append((dates, user))
    monkeypatch.setitem(sys.modules, "app.services.deadlines", fake)
    service.add_day(date(2026, 3, 7), True, "加班日", user=None)
    assert received == [({date(2026, 3, 7)}, None)]


BAD_DAYS = [
    (None, True, None, "date"),
    ("2026-03-07", True, None, "date"),
    (date(1999, 12, 31), True, None, "date"),
    (date(2101, 1, 1), True, None, "date"),
    (date(2026, 3, 7), None, None, "is_workday"),
    (date(2026, 3, 7), "yes", None, "is_workday"),
    (date(2026, 3, 7), True, "长" * 65, "name"),
    (date(2026, 3, 7), True, 42, "name"),
]


def test_bad_days_are_refused_and_nothing_changes(app, hook_calls):
    for day, is_workday, name, field in BAD_DAYS:
        with pytest.raises(ValidationFailed) as error:
            service.add_day(day, is_workday, name)
        assert error.value.field == field, (day, is_workday, name)
    assert db.session.query(WorkDay).count() == 0
    assert hook_calls == []


def test_a_date_is_listed_once(app):
    service.add_day(date(2026, 3, 7), True, "加班日")
    with pytest.raises(ValidationFailed) as error:
        service.add_day(date(2026, 3, 7), False, None)
    assert error.value.field == "date"
    other = service.add_day(date(2026, 3, 8), True, None)
    with pytest.raises(ValidationFailed):
        service.update_day(other.id, date(2026, 3, 7), True, None)
    assert db.session.get(WorkDay, other.id).date == date(2026, 3, 8)


def test_missing_days_are_not_found(app):
    with pytest.raises(NotFound):
        service.update_day(999, date(2026, 3, 7), True, None)
    with pytest.raises(NotFound):
        service.remove_day(999)


# --- years -----------------------------------------------------------------------------------------

def test_publish_flag_switches_provisional_deadlines(app, calendar_2025_2026, hook_calls):
    assert handling_deadline(service.load_calendar(), date(2026, 12, 18), "union").provisional

    year = service.set_year_published(2027, True, note="国办发明电〔2026〕")
    assert (year.published, year.source, year.note) == (True, "admin", "国办发明电〔2026〕")
    assert hook_calls[-1]["dates"] == set(_all_days(2027))
    assert not handling_deadline(service.load_calendar(), date(2026, 12, 18), "union").provisional

    service.set_year_published(2027, True)  # no change
    assert hook_calls[-1]["dates"] == set()
    assert db.session.get(CalendarYear, 2027).note == "国办发明电〔2026〕"

    service.set_year_published(2027, False)
    assert hook_calls[-1]["dates"] == set(_all_days(2027))
    assert handling_deadline(service.load_calendar(), date(2026, 12, 18), "union").provisional


def test_bad_year_flags_are_refused(app):
    for year, published in [(1999, True), (2101, True), ("2027", True), (2027, "yes")]:
        with pytest.raises(ValidationFailed):
            service.set_year_published(year, published)
    with pytest.raises(ValidationFailed):
        service.set_year_published(2027, True, note="长" * 201)
    assert db.session.query(CalendarYear).count() == 0


# --- CSV files -------------------------------------------------------------------------------------

SCHEDULE_2027 = (
    "date,is_workday,name\n"
    "2027-01-01,0,元旦\n"
    "2027-02-06,1,春节调休\n"
    "2027-02-08,否,春节\n"
    "2027-02-09,false,春节\n"
    "2027-2-10,0,春节\n"
    "2027/02/20,是,春节调休\n"
)


def test_csv_import_loads_next_year_and_publishes_it(app, calendar_2025_2026, hook_calls):
    changes = calendar_import.import_csv(SCHEDULE_2027.encode("utf-8"))
    assert [c.date for c in changes.added] == [
        date(2027, 1, 1), date(2027, 2, 6), date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10), date(2027, 2, 20),
    ]
    assert changes.years_published == [2027]
    assert len(hook_calls) == 1
    calendar = service.load_calendar()
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2027, 2, 6)) and calendar.is_workday(date(2027, 2, 20))
    assert calendar.is_published(date(2027, 1, 1))
    assert db.session.get(CalendarYear, 2027).source == "import"
    assert {r.source for r in db.session.query(WorkDay).filter(WorkDay.date >= date(2027, 1, 1))} == {"import"}
    # The provisional deadline of the turn of the year is final now and skips 元旦.
    assert handling_deadline(calendar, date(2026, 12, 18), "branch") == (date(2027, 1, 4), False)


def test_csv_with_a_bad_row_is_refused_as_a_whole_naming_the_row(app, calendar_2025_2026, hook_calls):
    before = _snapshot()
    content = "date,is_workday,name\n2027-01-01,0,元旦\n2027-02-06,1,春节调休\n2027-02-30,0,春节\n2027-02-09,0,春节\n"
    with pytest.raises(calendar_import.CalendarFileError) as error:
        calendar_import.import_csv(content.encode("utf-8"))
    assert [row for row, _ in error.value.errors] == [4]
    assert "4" in str(error.value) and "2027-02-30" in str(error.value)
    assert _snapshot() == before
    assert hook_calls == []
    with pytest.raises(calendar_import.CalendarFileError):
        calendar_import.preview_csv(content)


BAD_FILES = [
    ("2027-01-01,0,元旦\n2027-01-02,maybe,\n2027-01-03,0\n2027-01-01,1,重复\n", [2, 4]),
    ("2027-01-01\n", [1]),
    ("2027-01-01,0,a,extra\n", [1]),
    ("2027-01-01,0," + "长" * 65 + "\n", [1]),
    ("1999-01-01,0,\n2101-01-01,0,\n", [1, 2]),
    ("date,is_workday,name\n\n2027-01-01,1,\nnot a date,1,\n", [4]),
]


def test_every_bad_row_is_named(app):
    for content, rows in BAD_FILES:
        with pytest.raises(calendar_import.CalendarFileError) as error:
            calendar_import.parse_csv(content.encode("utf-8"))
        assert [row for row, _ in error.value.errors] == rows, content
    assert db.session.query(WorkDay).count() == 0


def test_empty_unreadable_or_huge_files_are_refused(app):
    for content in (b"", b"date,is_workday,name\n", b"\xff\xfe\x00\x01garbage\x00", b"x" * (300 * 1024)):
        with pytest.raises(calendar_import.CalendarFileError):
            calendar_import.preview_csv(content)


def test_csv_accepts_gbk_and_utf8_with_bom(app):
    assert calendar_import.parse_csv(SCHEDULE_2027.encode("gbk"))[0].name == "元旦"
    assert calendar_import.parse_csv(b"\xef\xbb\xbf" + SCHEDULE_2027.encode("utf-8"))[0].name == "元旦"


def test_preview_shows_added_changed_removed_and_writes_nothing(app, calendar_2025_2026, hook_calls):
    before = _snapshot()
    # 2026's schedule with one day changed, one added, and 2026-01-01 … left out.
    rows = [
        (d, r.is_workday, r.name) for d, r in sorted(
            (row.date, row) for row in db.session.query(WorkDay).filter(WorkDay.date >= date(2026, 1, 1))
        )
    ]
    kept = [r for r in rows if r[0] != date(2026, 1, 1)]
    lines = ["date,is_workday,name"]
    for day, is_workday, name in kept:
        if day == date(2026, 10, 10):
            is_workday, name = False, "国庆节"
        lines.append(f"{day.isoformat()},{int(is_workday)},{name or ''}")
    lines.append("2026-12-31,0,本社年终结算")
    content = "\n".join(lines).encode("utf-8")

    preview = calendar_import.preview_csv(content)
    assert [c.date for c in preview.added] == [date(2026, 12, 31)]
    assert [(c.date, c.old.is_workday, c.new.is_workday) for c in preview.changed] == [(date(2026, 10, 10), True, False)]
    assert [(c.date, c.old.name, c.old_source) for c in preview.removed] == [(date(2026, 1, 1), "元旦", "package")]
    assert preview.years_published == []  # 2026 is already published
    assert _snapshot() == before and hook_calls == []

    merge = calendar_import.preview_csv(content, replace=False)
    assert merge.removed == [] and len(merge.added) == 1 and len(merge.changed) == 1

    applied = calendar_import.import_csv(content, expected_fingerprint=preview.fingerprint())
    assert applied.fingerprint() == preview.fingerprint()
    # Jan 1 2026 is a Thursday: removed from the calendar, it becomes a working day.
    assert hook_calls[-1]["dates"] == {date(2026, 12, 31), date(2026, 10, 10), date(2026, 1, 1)}
    calendar = service.load_calendar()
    assert calendar.is_workday(date(2026, 1, 1)) is True  # removed: Monday–Friday again
    assert not calendar.is_workday(date(2026, 10, 10))
    assert not calendar.is_workday(date(2026, 12, 31))
    assert db.session.query(WorkDay).filter_by(date=date(2026, 10, 10)).one().source == "import"


def test_confirm_is_refused_when_the_calendar_changed_since_the_preview(app, calendar_2025_2026):
    preview = calendar_import.preview_csv(SCHEDULE_2027)
    service.add_day(date(2027, 1, 1), True, "上班")
    before = _snapshot()
    with pytest.raises(Conflict):
        calendar_import.import_csv(SCHEDULE_2027, expected_fingerprint=preview.fingerprint())
    assert _snapshot() == before


def test_csv_merge_without_publishing(app):
    changes = calendar_import.import_csv("2027-01-01,0,元旦\n", replace=False, publish=False)
    assert changes.years_published == []
    assert not service.load_calendar().is_published(date(2027, 1, 1))
    assert calendar_import.preview_csv("2027-01-01,0,元旦\n", replace=False, publish=False).empty


# --- command line ----------------------------------------------------------------------------------

def test_cli_import_publish_unpublish(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "import", "--year", "2026"])
    assert result.exit_code == 0, result.output
    assert "published: 2026" in result.output
    result = runner.invoke(args=["calendar", "import", "--year", "2026"])
    assert result.exit_code == 0 and "0 added, 0 changed, 0 removed" in result.output

    result = runner.invoke(args=["calendar", "import", "--year", "2027"])
    assert result.exit_code != 0 and "2027" in result.output
    assert "Traceback" not in result.output

    assert runner.invoke(args=["calendar", "publish", "2027"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(CalendarYear, 2027).published is True
    assert runner.invoke(args=["calendar", "unpublish", "2027"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(CalendarYear, 2027).published is False
    assert runner.invoke(args=["calendar", "publish", "1900"]).exit_code != 0


def test_cli_import_csv_dry_run_and_bad_file(app, tmp_path):
    good = tmp_path / "2027.csv"
    good.write_text(SCHEDULE_2027, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "import-csv", "--dry-run", str(good)])
    assert result.exit_code == 0 and "6 added" in result.output
    db.session.expire_all()
    assert db.session.query(WorkDay).count() == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-01-01,0,元旦\n2027-01-32,0,\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "import-csv", str(bad)])
    assert result.exit_code != 0 and "2" in result.output
    result = runner.invoke(args=["calendar", "import-csv", str(good)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.query(WorkDay).count() == 6
