"""``flask deploy`` does everything (issue 20): calendar years from chinesecalendar, settings seeded
from the environment once, and a second deploy changes nothing an administrator set."""
from datetime import date

from app import create_app
from app.domain import calendar as cal
from app.extensions import db
from app.models.calendar import CalendarYear, WorkDay
from app.models.settings import UnionSettings
from app.services import calendar as calendar_service
from app.services import calendar_import, settings
from config import TestConfig


def _app(url, **extra):
    config = type("DeployConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, **extra})
    return create_app(config)


def test_deploy_imports_the_calendar_seeds_settings_once_and_keeps_admin_changes(empty_database):
    app = _app(empty_database, DUE_SOON_WORKING_DAYS=4, RERULING_WINDOW_DAYS=21)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["deploy"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        years = {row.year for row in db.session.query(CalendarYear).filter_by(published=True)}
        assert set(calendar_import.package_years()) <= years
        # National Day 2025 (10-01…10-08 off, Sunday 09-28 and Saturday 10-11 worked): 10 working
        # days after Friday 2025-09-26 are 09-28, 29, 30, 10-09, 10, 11, 13, 14, 15, 16 (Monday to
        # Friday alone would give 10-10).
        due = cal.add_working_days(calendar_service.load_calendar(), date(2025, 9, 26), 10)
        assert due.date == date(2025, 10, 16) and not due.provisional
        row = db.session.get(UnionSettings, 1)
        assert (row.due_soon_working_days, row.reruling_window_days) == (4, 21)
        package_day = db.session.query(WorkDay).filter_by(date=date(2025, 10, 8)).one()
        admin_day = calendar_service.update_day(package_day.id, date(2025, 10, 8), True, "管理员调整")
        settings.update({"due_soon_working_days": 6}, None)
        admin_day_id = admin_day.id

    # The environment changes; a second deploy keeps what the administrator set.
    app = _app(empty_database, DUE_SOON_WORKING_DAYS=9, RERULING_WINDOW_DAYS=30)
    result = app.test_cli_runner().invoke(args=["deploy"])
    assert result.exit_code == 0, result.output
    assert "Settings written" not in result.output
    with app.app_context():
        row = db.session.get(UnionSettings, 1)
        assert (row.due_soon_working_days, row.reruling_window_days) == (6, 21)
        day = db.session.get(WorkDay, admin_day_id)
        assert day.is_workday and day.name == "管理员调整"
