"""Rulings as records (责任认定记录, §17–§19): the rulings list's interface and search filters
(pages and API), where each ruling stands, and the rulings of one staff member.

A ruling is seen exactly when its case is: every read here goes through the complaint scope rule
(``security.filters.CaseRecordScopeFilter`` / ``security.scope.case_id_clause``). Nothing here
reads or returns the complainant's identity.

Where a ruling stands (``standing``):

- ``final``: a re-ruling (§17: the higher body's ruling is final), or the case's effective ruling
  when the case marks its ruling final;
- ``replaced``: the committee's ruling once a re-ruling has been decided (it stays on record);
- ``requested``: the committee's ruling while a re-ruling request is pending;
- ``open``: the committee's ruling, no re-ruling requested (yet).
"""
from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import and_, false, not_, or_, select, true
from sqlalchemy.orm import selectinload

from ..domain import states as s
from ..domain import vocabulary as v
from ..extensions import db
from ..fab_filters import InvalidFilter
from ..i18n import label
from ..ids import row_id
from ..models.complaint import Complaint
from ..models.ruling import Ruling, ruled_staff
from ..models.staff import Staff
from ..security.scope import case_id_clause, staff_of
from .interfaces import CalendarFilterConverter, EagerInterface

KIND_RULING = "ruling"
KIND_RERULING = "reruling"
STANDINGS = tuple(v.RULING_STANDINGS)
MAX_TERM = 20


def standing(ruling) -> str:
    """Where ``ruling`` stands (see the module's docstring); reads the ruling's case."""
    case = ruling.complaint
    if ruling.kind == KIND_RERULING:
        return "final"
    if case.reruling_status == s.RERULING_DECIDED:
        return "replaced"
    if case.ruling_final:
        return "final"
    if case.reruling_status == s.RERULING_REQUESTED:
        return "requested"
    return "open"


def standing_condition(code: str):
    """The SQL condition of ``standing(ruling) == code`` (on ``Ruling``, its case by subquery)."""
    decided = Complaint.reruling_status == s.RERULING_DECIDED
    cases = {
        "replaced": decided,
        "final": and_(not_(decided), Complaint.ruling_final.is_(True)),
        "requested": and_(Complaint.reruling_status == s.RERULING_REQUESTED, Complaint.ruling_final.isnot(True)),
        "open": and_(Complaint.reruling_status == s.RERULING_NONE, Complaint.ruling_final.isnot(True)),
    }
    of_case = Ruling.complaint_id.in_(select(Complaint.id).where(cases[code]))
    if code == "final":
        return or_(Ruling.kind == KIND_RERULING, and_(Ruling.kind == KIND_RULING, of_case))
    return and_(Ruling.kind == KIND_RULING, of_case)


def category_label(code) -> str:
    return label(v.RULING_CATEGORIES, code)


def staff_names(ruling) -> str:
    return "、".join(member.name for member in ruling.staff) or "—"


# --- search filters (pages and API) --------------------------------------------------------------

def _term(value, ids=False) -> str:
    """The one value of a filter: a page sends a list of texts, the API any JSON value."""
    items = value if isinstance(value, (list, tuple)) else [value]
    if len(items) != 1:
        raise InvalidFilter(gettext("Enter one value."))
    item = items[0]
    if ids and isinstance(item, int) and not isinstance(item, bool):
        item = str(item)
    if not isinstance(item, str) or len(item) > MAX_TERM or "\x00" in item:
        raise InvalidFilter(gettext("A search value must be text."))
    return item.strip()


class RulingFilter(BaseFilter):
    """A filter of the rulings list. Like ``data.search.SearchFilter`` it stays out of FAB's
    global map of operator names (its names would replace FAB's own for every API); FAB finds it
    among its column's filters. It checks its value before any statement (``fab_filters``)."""

    ids = False

    def __init__(self, column_name, datamodel, is_related_view=False):
        self.column_name = column_name
        self.datamodel = datamodel
        self.model = datamodel.obj
        self.is_related_view = is_related_view

    def check_value(self, value) -> None:
        term = _term(value, ids=self.ids)
        if term and self.ids and row_id(term) is None:
            raise InvalidFilter(gettext("Enter the ID of a record."))

    def apply(self, query, value):
        term = _term(value, ids=self.ids)
        return query.filter(self.condition(term)) if term else query

    def condition(self, term):
        raise NotImplementedError


class FilterBranch(RulingFilter):
    """Rulings on the cases complained about at one branch (the unit's id)."""

    name = _l("Branch is")
    arg_name = "branch"
    ids = True

    def condition(self, term):
        return Ruling.complaint_id.in_(select(Complaint.id).where(Complaint.branch_id == row_id(term)))


def _held(staff_id):
    return Ruling.id.in_(select(ruled_staff.c.ruling_id).where(ruled_staff.c.staff_id == staff_id))


class FilterStaff(RulingFilter):
    """Rulings holding this staff member (the staff record's id) responsible."""

    name = _l("Includes")
    arg_name = "held"
    ids = True

    def condition(self, term):
        return _held(row_id(term))


class FilterMine(RulingFilter):
    """我的责任认定: rulings holding the caller's own staff record responsible (any value)."""

    name = _l("Is me")
    arg_name = "mine"

    def check_value(self, value) -> None:
        _term(value)

    def apply(self, query, value):
        staff = staff_of(getattr(g, "user", None))
        return query.filter(_held(staff.id) if staff is not None else false())


class FilterStanding(RulingFilter):
    """Rulings of one kind (``ruling``, ``reruling``) or that stand so (``final``, ``replaced``,
    ``requested``, ``open``): one filter, so the page offers one choice list."""

    name = _l("Is")
    arg_name = "standing"

    def check_value(self, value) -> None:
        term = _term(value)
        if term and term not in KIND_OR_STANDING:
            raise InvalidFilter(gettext("Choose one of: %(values)s.", values=", ".join(KIND_OR_STANDING)))

    def condition(self, term):
        if term in v.RULING_KINDS:
            return Ruling.kind == term
        return standing_condition(term)


KIND_OR_STANDING = (*v.RULING_KINDS, *STANDINGS)

# Each searchable column's filters, in the order the page offers them (``_flt_<index>_<column>``);
# the date's are FAB's ("year is", equal, after, before, not equal).
SEARCH_FILTERS = {
    "complaint": [FilterBranch],
    "staff": [FilterStaff, FilterMine],
    "kind": [FilterStanding],
    "result": [FilterEqual],
    "category": [FilterEqual],
}
SEARCH_COLUMNS = ["kind", "result", "category", "complaint", "staff", "ruled_on"]
ORDER_COLUMNS = ["ruled_on", "kind", "result", "category", "fee_borne"]


def list_argument(column: str, filter_class) -> str:
    """The page's request argument for ``filter_class`` on ``column``."""
    return f"_flt_{SEARCH_FILTERS[column].index(filter_class)}_{column}"


class RulingFilterConverter(CalendarFilterConverter):
    """FAB's filters by column type ("year is" on dates), this module's on the columns above."""

    def convert(self, col_name):
        classes = SEARCH_FILTERS.get(col_name)
        if classes is not None:
            return [cls(col_name, self.datamodel) for cls in classes]
        return super().convert(col_name)


class RulingInterface(EagerInterface):
    """The rulings list's interface (pages and API): its case and its staff loaded with the page
    (the case's branch comes from the session: ``scope.all_units`` loads every unit first), and
    the computed column ``standing``."""

    filter_converter_class = RulingFilterConverter
    COMPUTED = {"standing": standing}

    def __init__(self, session=None, eager=("complaint", "staff")):
        super().__init__(Ruling, session, eager)

    def _get_attr_value(self, item, col):
        compute = self.COMPUTED.get(col)
        if compute is not None:
            return compute(item)
        return super()._get_attr_value(item, col)


# --- reads ----------------------------------------------------------------------------------------

def scoped_select(user):
    """Every ruling ``user`` may see (its case in the user's scope), newest first."""
    return (select(Ruling).where(case_id_clause(user, Ruling.complaint_id))
            .order_by(Ruling.ruled_on.desc(), Ruling.id.desc()))


def rulings_of_staff(user, staff_id):
    """The rulings holding ``staff_id`` responsible whose case ``user`` may see, and the
    committee rulings on those cases replaced by a re-ruling that no longer names the staff
    member (the re-ruling outcome): newest first, each with its case and staff loaded."""
    named_cases = select(ruled_staff.c.complaint_id).where(ruled_staff.c.staff_id == staff_id)
    query = (scoped_select(user)
             .where(Ruling.complaint_id.in_(named_cases))
             .options(selectinload(Ruling.complaint), selectinload(Ruling.staff)))
    return db.session.execute(query).scalars().all()


def ruled_staff_choices(user):
    """The staff members held responsible by a ruling ``user`` may see (the staff filter's
    choices): one statement."""
    visible = select(Ruling.id).where(case_id_clause(user, Ruling.complaint_id))
    held = select(ruled_staff.c.staff_id).where(ruled_staff.c.ruling_id.in_(visible))
    return db.session.execute(select(Staff).where(Staff.id.in_(held)).order_by(Staff.name, Staff.id)).scalars().all()


def ruling_dict(ruling) -> dict:
    """A ruling as the API answers it: codes with their labels, the case by id and number, the
    staff held responsible by id and name; nothing about the complainant."""
    case = ruling.complaint
    return {
        "id": ruling.id,
        "complaint_id": ruling.complaint_id,
        "number": case.number,
        "branch_id": case.branch_id,
        "branch": case.branch.name if case.branch is not None else None,
        "kind": ruling.kind,
        "kind_label": label(v.RULING_KINDS, ruling.kind),
        "result": ruling.result,
        "result_label": label(v.RULING_RESULTS, ruling.result),
        "category": ruling.category,
        "category_label": category_label(ruling.category),
        "verified": bool(ruling.verified),
        "staff": [{"id": member.id, "name": member.name} for member in ruling.staff],
        "fee_borne": str(ruling.fee_borne) if ruling.fee_borne is not None else None,
        "members": ruling.members_present,
        "present": [{"staff_id": m.staff_id, "name": m.staff.name, "role": m.role} for m in ruling.present],
        "ruled_on": ruling.ruled_on.isoformat() if ruling.ruled_on else None,
        "standing": standing(ruling),
        "standing_label": label(v.RULING_STANDINGS, standing(ruling)),
    }


def export_rows(rulings):
    """The rulings list's rows for the Excel export (headers first), as the page shows them."""
    headers = [gettext(v.RULING_LABELS[name]) for name in
               ("number", "kind", "result", "category", "branch", "staff", "fee_borne", "ruled_on", "members",
                "standing")]
    rows = [[
        ruling.complaint.number,
        label(v.RULING_KINDS, ruling.kind),
        label(v.RULING_RESULTS, ruling.result),
        category_label(ruling.category),
        ruling.complaint.branch.name if ruling.complaint.branch is not None else "",
        staff_names(ruling) if ruling.staff else "",
        ruling.fee_borne,
        ruling.ruled_on,
        ruling.members_present,
        label(v.RULING_STANDINGS, standing(ruling)),
    ] for ruling in rulings]
    return headers, rows
