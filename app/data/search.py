"""Finding a case: the complaint list's search filters (pages and API) and the same caller's
other cases (the case page).

The filters, by column of the complaint list (``SEARCH_FILTERS``; FAB's operator names):

- ``number``: ``search`` — the list's search box: a term that could be part of a case number
  finds the numbers containing it; a phone number (however grouped, ``domain.phones``) finds
  that caller's cases; anything else finds complainants whose name is it, and
  cases whose facts, customer request or reply contain it. Then ``ct`` (any part of the number)
  and FAB's own text filters;
- ``complainant_phone``: ``eq`` on the normal form; ``complainant_name``: ``eq`` (the whole name);
- ``facts``: ``ct`` — words in the facts, the customer's request or the reply;
- ``phone_shared``: ``same`` — the cases of the caller of case <id>; ``repeat`` — the cases of
  the callers with more than one complaint received in a period (the dashboard's figure).

Phone and name are stored encrypted (issue 24, ``app/crypto.py``): they are found by their blind
indexes (``Complaint.phone_index``, ``Complaint.name_index``: a keyed hash of the normal form),
so only whole values are found. A name is no longer found by its first characters: any index of
a part of a name (the surname, a prefix) takes few values with a known, very uneven frequency,
which would give the surnames away to whoever holds the database (README "Rules as implemented").

Phone and name are identity (§16, domain.md §7): only ``masking.IDENTITY_SEARCH_ROLES`` may
search them — others get a 400 in their language — and a search finds only the cases whose
identity the searcher sees in full (``masking.identity_clause``). Pages and API write each such
search to the identity access log (``identity_searched``). Every filter is applied within the
list's scope filter, and every value is checked before a statement runs (``check_value``).
"""
import re
from bisect import bisect_right
from datetime import date, datetime, time, timedelta
from typing import List, NamedTuple, Optional, Tuple

from flask import g
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (
    FilterEndsWith,
    FilterEqual,
    FilterIn,
    FilterNotContains,
    FilterNotEndsWith,
    FilterNotEqual,
    FilterNotIn,
    FilterNotStartsWith,
    FilterStartsWith,
    SQLAFilterConverter,
)
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import aliased

from ..domain.phones import looks_like_phone
from ..extensions import db
from ..fab_filters import InvalidFilter
from ..ids import row_id
from ..models.complaint import Complaint, NumberCounter, name_index, not_a_duplicate, phone_index
from ..security.masking import identity_clause, may_search_identity
from ..security.request_cache import request_cache
from ..security.scope import complaint_clause, subtree_ids
from ..services import complaints as svc
from ..services.bulk import on_postgresql

MAX_TERM = 100  # characters of one search value
SAME_CALLER_LIMIT = 20  # the case page lists at most this many of the caller's other cases
# Case numbers are TS<yyyymmdd>-<NNNN> (services.complaints.next_number): letters T and S,
# digits and one hyphen, no run of more than eight digits (the day's counter would need
# 10⁸ cases in one day).
_NUMBER_CHARACTERS = re.compile(r"[TS0-9-]+")
_LONG_DIGIT_RUN = re.compile(r"\d{9,}")


class IdentitySearchRefused(InvalidFilter):
    """A search by phone number or name from a role that sees complainants masked."""


def _actor():
    return svc.actor_for(getattr(g, "user", None))


def _record_identity_search() -> None:
    request_cache()["identity_search"] = True


def identity_searched() -> bool:
    """Whether this request's list searched by phone number or name (then the page or API
    writes the search to the identity access log)."""
    return bool(request_cache().get("identity_search"))


# --- conditions --------------------------------------------------------------------------------

def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(column, term: str):
    """``column`` contains ``term``; Latin letters in any case (SQLite's LIKE already ignores it)."""
    pattern = f"%{_like_escape(term)}%"
    if on_postgresql():
        return column.ilike(pattern, escape="\\")
    return column.like(pattern, escape="\\")


def could_be_in_number(term: str) -> bool:
    """Whether ``term`` could be part of a case number (then the number is searched)."""
    text = term.upper()
    return _NUMBER_CHARACTERS.fullmatch(text) is not None and _LONG_DIGIT_RUN.search(text) is None


# A number search becomes a list of the exact numbers and whole days it can match, read from the
# day counters (``number_counter``: one row a day, its last number) instead of scanning every
# number. Above these sizes the number's index is scanned as before.
MAX_EXACT_NUMBERS = 5000
MAX_DAY_RANGES = 400
_NUMBER_HEAD = len("TSyyyymmdd-")


def _counters(term: str, width: int) -> List[int]:
    """The counters (1 … 10^width − 1, as ``width`` digits) that contain a term of digits, or —
    for a term with the number's hyphen — begin with what follows it; ascending."""
    if "-" in term:
        after = term[term.index("-") + 1:]
        if not after.isdigit() or len(after) > width:
            return []
        room = width - len(after)
        return list(range(max(int(after) * 10**room, 1), (int(after) + 1) * 10**room))
    if len(term) > width:
        return []
    return [n for n in range(1, 10**width) if term in f"{n:0{width}d}"]


def _day_counters():
    """(day, last) of every day a number was handed out, once per request (the list's count and
    page both search)."""
    memo = request_cache()
    if "number_counters" not in memo:
        memo["number_counters"] = db.session.execute(
            select(NumberCounter.day, NumberCounter.last).order_by(NumberCounter.day)).all()
    return memo["number_counters"]


def number_candidates(term: str):
    """``(numbers, day_ranges)`` that contain ``term`` — exact numbers, and ranges of whole days
    whose numbers all contain it (``term`` inside "TSyyyymmdd-") — or None when there are too many
    to list (a term of one or two digits)."""
    # Where the term can lie: inside "TSyyyymmdd-" (every number of such a day); across the
    # hyphen, which fixes where it starts (what precedes the hyphen ends the day's head); or, a
    # term of digits, inside the counter.
    spans_hyphen = "-" in term and term.count("-") == 1 and term.index("-") < _NUMBER_HEAD
    before = term[:term.index("-")] if spans_hyphen else None
    in_counter = spans_hyphen or term.isdigit()
    matching = {}  # width → counters matching the term
    numbers, ranges = [], []
    previous_matched = False
    for day, last in _day_counters():
        head = f"TS{day}-"
        if not last:
            previous_matched = False
            continue
        if term in head:  # every number of the day
            if previous_matched:
                ranges[-1][1] = head
            else:
                ranges.append([head, head])
            previous_matched = True
            continue
        previous_matched = False
        if not in_counter or (spans_hyphen and not head[:-1].endswith(before)):
            continue
        width = max(4, len(str(last)))
        if width not in matching:
            matching[width] = _counters(term, width)
        counters = matching[width]
        numbers += [f"{head}{n:0{width}d}" for n in counters[:bisect_right(counters, last)]]
        if len(numbers) > MAX_EXACT_NUMBERS:
            return None
    if len(ranges) > MAX_DAY_RANGES:
        return None
    return numbers, ranges


def number_contains(term: str):
    """The case numbers containing ``term``. Read from the day counters where they can be listed
    (every number is ``TS<day>-<counter>`` with the counter at most the day's last, so the
    numbers containing the term are known without reading the cases): exact numbers and ranges
    of whole days, each a search of the number's unique index (1M cases: 180 ms → a few ms).
    Otherwise the ids read from the number's own (narrow, unique) index scanned once."""
    term = term.upper()
    candidates = number_candidates(term)
    if candidates is not None:
        numbers, ranges = candidates
        parts = [Complaint.number.in_(numbers)] if numbers else []
        # "~" sorts after every digit and the hyphen: the range holds every number of those days.
        parts += [and_(Complaint.number >= first, Complaint.number <= last + "~") for first, last in ranges]
        return or_(*parts) if parts else false()
    other = aliased(Complaint)
    return Complaint.id.in_(select(other.id).where(other.number.like(f"%{_like_escape(term)}%", escape="\\")))


def text_contains(term: str):
    """Words in the facts, the customer's request or the reply."""
    return or_(contains(Complaint.facts, term), contains(Complaint.customer_request, term),
               contains(Complaint.reply_content, term))


def phone_is(actor, term: str):
    """The caller's cases: the blind index of the number's normal form (``ix_complaint_phone_index``)."""
    index = phone_index(term)
    if index is None:
        return false()
    return and_(Complaint.phone_index == index, identity_clause(actor, Complaint))


def name_is(actor, term: str):
    """The complainant's whole name (``crypto.normal_name``: spaces and letter case aside), by its
    blind index (``ix_complaint_name_index``)."""
    index = name_index(term)
    if index is None:
        return false()
    return and_(Complaint.name_index == index, identity_clause(actor, Complaint))


def keyword(actor, term: str):
    """The search box: what the term can be, searched at once (see the module's docstring)."""
    in_number = could_be_in_number(term)
    phone = looks_like_phone(term)
    identity = may_search_identity(actor)
    parts = []
    if in_number:
        parts.append(number_contains(term))
    if phone and identity:
        parts.append(phone_is(actor, term))
    if not in_number and not phone and identity:
        parts.append(name_is(actor, term))
    if not keyword_by_index(actor, term):
        parts.append(text_contains(term))
    searched_identity = identity and (phone or not in_number)
    return or_(*parts), searched_identity


def keyword_by_index(actor, term: str) -> bool:
    """Whether the search box finds ``term``'s cases through an index only (part of a number, or a
    phone number for a role that may search it), not by reading the words of the facts."""
    return could_be_in_number(term) or (looks_like_phone(term) and may_search_identity(actor))


# --- FAB filters -------------------------------------------------------------------------------

def _terms(value, ids=False) -> List[str]:
    """The texts of a filter value: a page sends a list of texts, the API any JSON value (a row
    id may come as a number when ``ids``)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    if ids:
        items = [str(item) if isinstance(item, int) and not isinstance(item, bool) else item for item in items]
    if not all(isinstance(item, str) for item in items):
        raise InvalidFilter(gettext("A search value must be text."))
    if any(len(item) > MAX_TERM for item in items):
        raise InvalidFilter(gettext("A search value can be at most %(count)d characters long.", count=MAX_TERM))
    return [item.strip() for item in items]


class SearchFilter(BaseFilter):
    """A filter of this module. Unlike FAB's filters it does not enter FAB's global map of
    operator names (``map_args_filter``): its ``eq``/``sw``/``ct`` would replace FAB's own for
    every API. ``api/complaint.py`` looks the operators up per column instead."""

    identity = False  # searches by phone number or name
    by_index = False  # finds its few cases through an index (phone, name, case number, same caller)

    def __init__(self, column_name, datamodel, is_related_view=False):
        self.column_name = column_name
        self.datamodel = datamodel
        self.model = datamodel.obj
        self.is_related_view = is_related_view

    def check_value(self, value) -> None:
        """Raise ``InvalidFilter`` (400) for a value this filter cannot search by, or for an
        identity search by a role that may not make one (``fab_filters`` calls this first)."""
        _terms(value)
        if self.identity and not may_search_identity(_actor()):
            raise IdentitySearchRefused(gettext(
                "Your role sees complainants' identity masked: searching by phone number or name is not available."))

    def apply(self, query, value):
        (term,) = _terms(value)
        if not term:
            return query
        if self.identity:
            _record_identity_search()
        return query.filter(self.condition(_actor(), term))

    def condition(self, actor, term):
        raise NotImplementedError

    def narrows_by_index(self, value) -> bool:
        """Whether this search, with ``value``, finds its cases through an index: then the list
        tests each found case against the scope rather than collecting the scope's ids
        (``ComplaintInterface``)."""
        try:
            (term,) = _terms(value, ids=True)
        except (InvalidFilter, ValueError):
            return False
        return bool(term) and self.finds_by_index(term)

    def finds_by_index(self, term) -> bool:
        return self.by_index


class FilterKeyword(SearchFilter):
    name = _l("Keyword")
    arg_name = "search"

    def finds_by_index(self, term) -> bool:
        return keyword_by_index(_actor(), term)

    def apply(self, query, value):
        (term,) = _terms(value)
        if not term:
            return query
        condition, searched_identity = keyword(_actor(), term)
        if searched_identity:
            _record_identity_search()
        return query.filter(condition)


def _filter(class_name: str, label, operator: str, search, doc: str, identity=False, by_index=False):
    """A filter of this module whose condition is ``search(actor, term)``."""
    return type(class_name, (SearchFilter,), {
        "__doc__": doc, "__module__": __name__, "name": label, "arg_name": operator, "identity": identity,
        "by_index": by_index, "condition": lambda self, actor, term: search(actor, term),
    })


FilterNumberContains = _filter("FilterNumberContains", _l("Contains"), "ct", lambda actor, term: number_contains(term),
                               "Any part of the case number.", by_index=True)
FilterPhoneEqual = _filter("FilterPhoneEqual", _l("Is (spaces and dashes ignored)"), "eq", phone_is,
                           "The phone number, both sides in the normal form.", identity=True, by_index=True)
FilterNameEqual = _filter("FilterNameEqual", _l("Equal to"), "eq", name_is, "The complainant's whole name.",
                          identity=True, by_index=True)
FilterTextContains = _filter("FilterTextContains", _l("Facts, request or reply contain"), "ct",
                             lambda actor, term: text_contains(term), "Words of the facts, the request or the reply.")


class FilterSameCaller(SearchFilter):
    """The cases of the caller of case <id> (that case included): by its stored number, never
    shown. A case outside the user's scope finds nothing."""

    name = _l("Same caller as case (ID)")
    arg_name = "same"
    by_index = True

    def check_value(self, value) -> None:
        for term in _terms(value, ids=True):
            if term and row_id(term) is None:
                raise InvalidFilter(gettext("Enter the ID of a case."))

    def apply(self, query, value):
        (term,) = _terms(value, ids=True)
        return query.filter(self.condition(None, term)) if term else query

    def condition(self, actor, term):
        other = aliased(Complaint)
        phone = (select(other.phone_index)
                 .where(other.id == row_id(term), complaint_clause(getattr(g, "user", None), other))
                 .scalar_subquery())
        return Complaint.phone_index == phone


class RepeatPeriod(NamedTuple):
    start: date
    end: date
    unit_id: Optional[int]


def parse_repeat_period(term: str) -> Optional[RepeatPeriod]:
    """``YYYY-MM-DD..YYYY-MM-DD`` or ``YYYY-MM-DD..YYYY-MM-DD@<unit id>``, else None."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})(?:@(\d{1,10}))?", term)
    if match is None:
        return None
    try:
        start, end = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
    except ValueError:
        return None
    unit_id = row_id(match.group(3)) if match.group(3) else None
    if end < start or not (1900 <= start.year and end.year <= 2100) or (match.group(3) and unit_id is None):
        return None
    return RepeatPeriod(start, end, unit_id)


def repeat_conditions(user, model, period: RepeatPeriod) -> list:
    """The cases ``reports.statistics`` counts for the repeat complainants of ``period``: in the
    user's scope, received in the period, of the unit's subtree, marked as sharing their number, not
    a duplicate (issue 23: its matter is counted with the original's)."""
    conditions = [
        complaint_clause(user, model), model.phone_shared == true(), model.phone_index.isnot(None),
        not_a_duplicate(model),
        model.received_at >= datetime.combine(period.start, time.min),
        model.received_at < datetime.combine(period.end + timedelta(days=1), time.min),
    ]
    if period.unit_id is not None:
        actor = svc.actor_for(user)
        units = subtree_ids(period.unit_id) if actor.covers(period.unit_id) else frozenset()
        conditions.append(model.branch_id.in_(sorted(units)) if units else false())
    return conditions


class FilterRepeatCallers(SearchFilter):
    """The cases of the callers with more than one complaint received in the period (in the
    user's scope and the unit's subtree): the cases behind the dashboard's repeat complainants."""

    name = _l("Repeat callers in the period (start..end)")
    arg_name = "repeat"

    def check_value(self, value) -> None:
        for term in _terms(value):
            if term and parse_repeat_period(term) is None:
                raise InvalidFilter(gettext("Enter the period as YYYY-MM-DD..YYYY-MM-DD."))

    def condition(self, actor, term):
        user = getattr(g, "user", None)
        period = parse_repeat_period(term)
        other = aliased(Complaint)
        repeated = (select(other.phone_index).where(*repeat_conditions(user, other, period))
                    .group_by(other.phone_index).having(func.count() > 1))
        return and_(*repeat_conditions(user, Complaint, period), Complaint.phone_index.in_(repeated))


# The filters of each searchable column, in the order the page's filter menu offers them (the
# first is the default). The page names a filter by its index here: ``_flt_<index>_<column>``.
SEARCH_FILTERS = {
    "number": [FilterKeyword, FilterNumberContains, FilterEqual, FilterStartsWith, FilterEndsWith,
               FilterNotStartsWith, FilterNotEndsWith, FilterNotContains, FilterNotEqual, FilterIn, FilterNotIn],
    "complainant_phone": [FilterPhoneEqual],
    "complainant_name": [FilterNameEqual],
    "facts": [FilterTextContains],
    "phone_shared": [FilterSameCaller, FilterRepeatCallers],
}
IDENTITY_COLUMNS = ("complainant_phone", "complainant_name")


def list_argument(column: str, filter_class) -> str:
    """The page's request argument for ``filter_class`` on ``column`` (``_flt_<i>_<column>``)."""
    return f"_flt_{SEARCH_FILTERS[column].index(filter_class)}_{column}"


KEYWORD_ARGUMENT = list_argument("number", FilterKeyword)
SAME_CALLER_ARGUMENT = list_argument("phone_shared", FilterSameCaller)
REPEATS_ARGUMENT = list_argument("phone_shared", FilterRepeatCallers)


def repeats_value(start: date, end: date, unit_id: Optional[int] = None) -> str:
    """The value of ``REPEATS_ARGUMENT`` for a report period (and unit)."""
    return f"{start.isoformat()}..{end.isoformat()}" + (f"@{unit_id}" if unit_id is not None else "")


class ComplaintFilterConverter(SQLAFilterConverter):
    """FAB's filters by column type, and this module's filters for the columns above."""

    def convert(self, col_name):
        classes = SEARCH_FILTERS.get(col_name)
        if classes is not None:
            return [cls(col_name, self.datamodel) for cls in classes]
        return super().convert(col_name)


# --- the same caller's other cases (the case page) ----------------------------------------------

class OtherCase(NamedTuple):
    id: int
    number: str
    received_at: datetime
    status: str


def same_caller(user, complaint, limit: int = SAME_CALLER_LIMIT) -> Tuple[List[OtherCase], bool]:
    """The other cases of ``complaint``'s phone number that ``user`` may see, newest first (at
    most ``limit``), and whether there are more. One statement, from ``ix_complaint_phone_index``.
    Linked by the stored number whoever looks: a viewer who sees it masked sees the cases, never
    the number. A case whose number no other case holds (``phone_shared`` is never wrongly
    false, reports/repeats.py) costs no statement."""
    if not complaint.phone_index or not complaint.phone_shared:
        return [], False
    rows = db.session.execute(
        select(Complaint.id, Complaint.number, Complaint.received_at, Complaint.status)
        .where(Complaint.phone_index == complaint.phone_index, Complaint.id != complaint.id,
               complaint_clause(user, Complaint))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(limit + 1)
    ).all()
    return [OtherCase(*row) for row in rows[:limit]], len(rows) > limit
