"""Work calendar pages (domain.md §5): days, years, month view and file import.

Everyone reads; only Admin writes. Every write goes through ``app.services.calendar`` (the
data interfaces, data/interfaces.py, route FAB's add/edit/delete there), so the due dates of open cases are
recomputed in the same transaction.
"""
import base64
import binascii
import calendar as pycalendar
from datetime import date

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired

from ..errors import Conflict, DomainError
from ..extensions import db
from ..models.calendar import CalendarYear, WorkDay
from ..security import permissions as p
from ..services import calendar as service
from ..services import calendar_import
from .. import clock
from ..data.interfaces import CalendarYearInterface, WorkDayInterface, acting_user
from ..domain import vocabulary as v
from ..i18n import label, lazy_choices, lazy_labels

WEEKDAYS = [_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")]
DAY_KIND = {True: _l("Working day"), False: _l("Day off")}
MODE_REPLACE = "replace"
MODE_MERGE = "merge"


def _bool_choice(value):
    if isinstance(value, bool):
        return value
    return str(value) in {"1", "True", "true"}


def _format_date(value):
    if value is None:
        return ""
    return f"{value.isoformat()} {WEEKDAYS[value.weekday()]}"


def _format_kind(value):
    return str(DAY_KIND.get(bool(value), "")) if value is not None else ""


class WorkDayView(ModelView):
    """§5: the stored calendar days (holidays, make-up working days, confirmed days)."""

    exclude_route_methods = {"download", "action", "action_post"}

    datamodel = WorkDayInterface(WorkDay)
    class_permission_name = p.WORK_DAY
    method_permission_name = p.MODEL_VIEW_READ_WRITE

    list_title = _l("Work days")
    show_title = _l("Work day")
    add_title = _l("Add work day")
    edit_title = _l("Edit work day")
    label_columns = lazy_labels(v.WORK_DAY_LABELS)
    list_template = "calendar/work_days.html"

    list_columns = ["date", "is_workday", "name", "source", "updated_at"]
    show_columns = ["date", "is_workday", "name", "source", "updated_at", "updated_by"]
    add_columns = ["date", "is_workday", "name"]
    edit_columns = add_columns
    search_columns = ["date", "is_workday", "source", "name"]
    order_columns = ["date", "is_workday", "source"]
    base_order = ("date", "desc")
    description_columns = {
        "is_workday": _l("A make-up working day (调休) on a weekend is a working day; a holiday is a day off."),
        "name": _l("For example 国庆节 or 国庆节调休."),
    }
    formatters_columns = {
        "date": _format_date,
        "is_workday": _format_kind,
        "source": lambda value: label(v.CALENDAR_SOURCES, value),
    }
    _kind_choices = [("1", _l("Working day")), ("0", _l("Day off"))]
    add_form_extra_fields = {
        "is_workday": SelectField(_l("Working day"), choices=_kind_choices, coerce=_bool_choice,
                                  validators=[InputRequired()]),
    }
    edit_form_extra_fields = add_form_extra_fields
    search_form_extra_fields = {
        "date": StringField(_l("Date")),
        "is_workday": SelectField(_l("Working day"), choices=_kind_choices),
        "source": SelectField(_l("Source"), choices=lazy_choices(v.CALENDAR_SOURCES)),
    }

    def pre_add(self, item):
        service.check_day(item.date, item.is_workday, item.name)

    def pre_update(self, item):
        service.check_day(item.date, item.is_workday, item.name, row_id=item.id)

    def render_template(self, template, **kwargs):
        if template == self.list_template:
            kwargs["calendar_years"] = _known_years()
        return super().render_template(template, **kwargs)


class CalendarYearView(ModelView):
    """§5: which years' official schedules are in the calendar (published)."""

    datamodel = CalendarYearInterface(CalendarYear)
    class_permission_name = p.CALENDAR_YEAR
    method_permission_name = p.MODEL_VIEW_READ_WRITE
    exclude_route_methods = {"delete", "action", "action_post", "download"}

    list_title = _l("Calendar years")
    show_title = _l("Calendar year")
    add_title = _l("Add calendar year")
    edit_title = _l("Edit calendar year")
    label_columns = lazy_labels(v.CALENDAR_YEAR_LABELS)

    list_columns = ["year", "published", "source", "note"]
    show_columns = list_columns
    add_columns = ["year", "published", "note"]
    edit_columns = ["published", "note"]
    search_columns = ["year", "published", "source"]
    order_columns = ["year", "published"]
    base_order = ("year", "desc")
    description_columns = {
        "published": _l("Published: the year's official schedule is in the calendar. "
                        "Deadlines that reach an unpublished year are provisional."),
    }
    formatters_columns = {
        "published": lambda value: gettext("Yes") if value else gettext("No"),
        "source": lambda value: label(v.CALENDAR_SOURCES, value),
        "note": lambda value: value or "",
    }
    # A yes/no column is "required" in FAB's generated form, so an unticked box could not be saved.
    add_form_extra_fields = {"published": BooleanField(_l("Published"), default=True)}
    edit_form_extra_fields = {"published": BooleanField(_l("Published"))}
    search_form_extra_fields = {
        "published": SelectField(_l("Published"), choices=[("1", _l("Yes")), ("0", _l("No"))]),
        "source": SelectField(_l("Source"), choices=lazy_choices(v.CALENDAR_SOURCES)),
    }

    def pre_add(self, item):
        service.check_new_year(item.year)


def _known_years():
    """Years that have stored days or a year entry, newest first."""
    years = set(db.session.execute(select(CalendarYear.year)).scalars())
    first_last = db.session.execute(select(db.func.min(WorkDay.date), db.func.max(WorkDay.date))).one()
    if first_last[0] is not None:
        years.update(range(first_last[0].year, first_last[1].year + 1))
    return sorted(years, reverse=True)


# --- month view and file import -----------------------------------------------------------------

class CalendarFileForm(FlaskForm):
    """Upload step of the calendar file import."""

    file = FileField(_l("Calendar file (CSV)"))
    mode = RadioField(
        _l("Import mode"),
        choices=[
            (MODE_REPLACE, _l("The file is the whole schedule of each year it contains (other stored days of those years are removed)")),
            (MODE_MERGE, _l("Only add or change the days listed in the file")),
        ],
        default=MODE_REPLACE,
        validate_choice=False,  # an unknown mode falls back to "replace" below
    )
    publish = BooleanField(_l("Mark the years in the file as published"), default=True)


class CalendarConfirmForm(FlaskForm):
    """Confirmation step: the previewed file travels back in a hidden field and is validated again."""

    content = HiddenField()
    mode = HiddenField()
    publish = HiddenField()
    fingerprint = HiddenField()


def _month_arg(name, default, low, high):
    try:
        value = int(request.args.get(name, default))
    except (TypeError, ValueError):
        return default
    return value if low <= value <= high else default


class WorkCalendarView(BaseView):
    """§5: the calendar as a month grid (everyone) and the calendar file import (Admin)."""

    route_base = "/calendar"
    default_view = "month"
    class_permission_name = p.WORK_DAY
    method_permission_name = p.CALENDAR_PAGES_READ_WRITE

    @expose("/month")
    @has_access
    def month(self):
        """Working days and days off of one month; dates of an unpublished year are marked provisional."""
        today = clock.now().date()
        year = _month_arg("year", today.year, service.MIN_YEAR, service.MAX_YEAR)
        month = _month_arg("month", today.month, 1, 12)
        calendar = service.load_calendar()
        first = date(year, month, 1)
        last = date(year, month, pycalendar.monthrange(year, month)[1])
        rows = {
            row.date: row
            for row in db.session.execute(
                select(WorkDay).where(WorkDay.date >= first, WorkDay.date <= last)
            ).scalars()
        }
        weeks = [
            [
                {
                    "date": day,
                    "in_month": day.month == month,
                    "is_workday": calendar.is_workday(day),
                    "name": rows[day].name if day in rows else None,
                    "stored": day in rows,
                    "today": day == today,
                }
                for day in week
            ]
            for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        ]
        previous = (year, month - 1) if month > 1 else (year - 1, 12)
        following = (year, month + 1) if month < 12 else (year + 1, 1)
        workdays = sum(1 for week in weeks for cell in week if cell["in_month"] and cell["is_workday"])
        return self.render_template(
            "calendar/month.html",
            title=gettext("Work calendar %(year)d-%(month)02d", year=year, month=month),
            weeks=weeks,
            weekdays=WEEKDAYS,
            year=year,
            month=month,
            published=calendar.is_published(first),
            workdays=workdays,
            previous=previous if previous[0] >= service.MIN_YEAR else None,
            following=following if following[0] <= service.MAX_YEAR else None,
        )

    def _render_import(self, form, changes=None, confirm=None):
        return self.render_template(
            "calendar/import.html",
            title=gettext("Import calendar file"),
            form=form,
            changes=changes,
            confirm=confirm,
            max_kb=calendar_import.MAX_CSV_BYTES // 1024,
            day_kind=DAY_KIND,
        )

    def _confirm_form(self, content, mode, publish, changes):
        confirm = CalendarConfirmForm(formdata=None)
        confirm.content.data = base64.b64encode(content).decode("ascii")
        confirm.mode.data = mode
        confirm.publish.data = "1" if publish else "0"
        confirm.fingerprint.data = changes.fingerprint()
        return confirm

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def import_file(self):
        """Upload a calendar file and preview what it changes; nothing is written here."""
        form = CalendarFileForm()
        if request.method == "GET":
            return self._render_import(form)
        if not form.validate_on_submit():
            flash(gettext("The form has expired; please try again."), "danger")
            return self._render_import(form)
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", ""):
            flash(gettext("Choose a calendar file to upload."), "danger")
            return self._render_import(form)
        content = upload.read(calendar_import.MAX_CSV_BYTES + 1)
        mode = form.mode.data if form.mode.data in (MODE_REPLACE, MODE_MERGE) else MODE_REPLACE
        publish = bool(form.publish.data)
        return self._preview(form, content, mode, publish, gettext("The file matches the calendar; there is "
                                                                   "nothing to change."))

    def _preview(self, form, content, mode, publish, nothing_to_change=None):
        """The import page with the file's changes and a confirmation form, or only the form (with
        ``nothing_to_change`` flashed) when the file changes nothing or is refused."""
        try:
            changes = calendar_import.preview_csv(content, replace=mode == MODE_REPLACE, publish=publish)
        except DomainError as error:
            flash(str(error), "danger")
            return self._render_import(form)
        if changes.empty:
            if nothing_to_change:
                flash(nothing_to_change, "info")
            return self._render_import(form)
        return self._render_import(form, changes, self._confirm_form(content, mode, publish, changes))

    @expose("/import/confirm", methods=["POST"])
    @has_access
    def import_confirm(self):
        """Apply a previewed file: validated again, refused if the calendar changed since the preview."""
        confirm = CalendarConfirmForm()
        form = CalendarFileForm(formdata=None)
        if not confirm.validate_on_submit():
            flash(gettext("The form has expired; please try again."), "danger")
            return self._render_import(form)
        try:
            content = base64.b64decode(confirm.content.data or "", validate=True)
        except (binascii.Error, ValueError):
            content = b""
        mode = confirm.mode.data if confirm.mode.data in (MODE_REPLACE, MODE_MERGE) else MODE_REPLACE
        publish = confirm.publish.data == "1"
        try:
            changes = calendar_import.import_csv(
                content, user=acting_user(), replace=mode == MODE_REPLACE, publish=publish,
                expected_fingerprint=confirm.fingerprint.data or "",
            )
        except Conflict as error:
            flash(str(error), "warning")
            return self._preview(form, content, mode, publish)
        except DomainError as error:
            flash(str(error), "danger")
            return self._render_import(form)
        flash(
            gettext(
                "Calendar file imported: %(added)d days added, %(changed)d changed, %(removed)d removed.",
                added=len(changes.added), changed=len(changes.changed), removed=len(changes.removed),
            ),
            "success",
        )
        return redirect(url_for("WorkDayView.list"))
