"""The work calendar (domain.md §5): exceptions to Monday–Friday and published years.

Only the dates that differ from the plain Monday–Friday rule, the named holidays and the
days an administrator confirmed are stored; every other date follows Monday–Friday. A year
is "published" when the calendar holds its official schedule; deadlines that touch an
unpublished year are provisional (临时).
"""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from ..domain.vocabulary import CALENDAR_SOURCES
from ..i18n import label

SOURCE_PACKAGE = "package"
SOURCE_ADMIN = "admin"
SOURCE_IMPORT = "import"
SOURCES = (SOURCE_PACKAGE, SOURCE_ADMIN, SOURCE_IMPORT)

_SOURCE_CHECK = "source IN ('package', 'admin', 'import')"


class WorkDay(Model):
    """One date whose status is stated explicitly: a holiday, a make-up working day (调休), or a confirmed day."""

    __tablename__ = "work_day"
    __table_args__ = (CheckConstraint(_SOURCE_CHECK, name="ck_work_day_source"),)

    id = Column(Integer, primary_key=True)
    date = Column(Date, nullable=False, unique=True)
    is_workday = Column(Boolean, nullable=False)
    name = Column(String(64))
    source = Column(String(16), nullable=False, index=True)
    updated_at = Column(DateTime, nullable=False)
    updated_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    updated_by = relationship(User, foreign_keys=[updated_by_id])

    def __repr__(self) -> str:
        return self.date.isoformat() if self.date else ""

    @property
    def source_label(self) -> str:
        return label(CALENDAR_SOURCES, self.source)


class CalendarYear(Model):
    """Whether a year's official schedule is in the calendar (published) and where it came from."""

    __tablename__ = "calendar_year"
    __table_args__ = (
        CheckConstraint(_SOURCE_CHECK, name="ck_calendar_year_source"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="ck_calendar_year_year"),
    )

    year = Column(Integer, primary_key=True, autoincrement=False)
    published = Column(Boolean, nullable=False, default=False)
    source = Column(String(16), nullable=False)
    note = Column(String(200))

    def __repr__(self) -> str:
        return str(self.year)

    @property
    def source_label(self) -> str:
        return label(CALENDAR_SOURCES, self.source)
