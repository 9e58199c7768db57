"""The to-do list's kinds of work name only declared transitions, and every declared transition
is either some kind of work or explicitly not a to-do (data/complaints.py TODO_WORK)."""
from datetime import date
from types import SimpleNamespace

from app.data.complaints import ACTIVE, CLOSED, DATED, NOT_TODO, TODO_WORK
from app.domain.transitions import BY_NAME


def test_the_to_do_names_only_declared_transitions():
    named = {name for work in TODO_WORK for name in work.transitions} | set(NOT_TODO)
    assert named <= set(BY_NAME), sorted(named - set(BY_NAME))


def test_every_declared_transition_has_its_place_in_the_to_do():
    named = {name for work in TODO_WORK for name in work.transitions}
    assert set(BY_NAME) - named == set(NOT_TODO)
    assert not named & set(NOT_TODO)


def test_every_index_a_part_is_read_by_exists_and_leads_with_its_equalities():
    """SQLite reads each part through the index the work names (``INDEXED BY``): a misspelt or
    dropped index would fail the page, so each must exist on the complaint table and start with
    the status or with one of the work's own columns (then the status)."""
    from app.data.complaints import STREAMS
    from app.models.complaint import Complaint

    indexes = {index.name: [column.name for column in index.columns] for index in Complaint.__table__.indexes}
    for work in TODO_WORK:
        assert set(work.indexes) <= set(work.streams), work.transitions
        for stream, name in work.indexes.items():
            assert name in indexes, name
            columns = indexes[name]
            assert "status" in columns[:2], (name, columns)
            assert stream in STREAMS


TODAY = date(2026, 12, 1)


def _parts(index_of_stream, stream, actor=None):
    work = next(work for work in TODO_WORK if work.indexes.get(stream) == index_of_stream)
    return work, work.parts(actor, TODAY, one_status_each=False)


def test_on_postgresql_a_dated_stream_is_read_a_status_at_a_time_where_the_work_names_its_index():
    """Measured at 1M on PostgreSQL: the union level's open cases with a deadline, the statuses
    together, walked the due-date index of every case (160 ms); a status at a time, the index
    (status, level, due_date) gives the order (under 1 ms). The stream without a deadline stays one
    part (the planner sorts its few cases)."""
    work, parts = _parts("ix_complaint_status_level_due", DATED)
    dated = [part for part in parts if "due_date IS NOT NULL" in str(part[0])]
    undated = [part for part in parts if "due_date IS NULL" in str(part[0])]
    opened = [status for status in ACTIVE if status in work.statuses]
    assert len(opened) > 1 and len(dated) == len(opened) and len(undated) == 1


def test_a_work_without_a_dated_index_keeps_its_statuses_together_on_postgresql():
    work = next(work for work in TODO_WORK if work.transitions == ("request_reruling",))
    assert DATED in work.streams and DATED not in work.indexes
    parts = work.parts(SimpleNamespace(staff_id=1), TODAY, one_status_each=False)
    assert len([part for part in parts if "due_date IS NOT NULL" in str(part[0])]) == 1


def test_a_follow_up_part_orders_by_its_fixed_columns_first():
    """PostgreSQL takes ``followed_up_at IS NULL`` for no equality: the order names the status and
    ``followed_up_at`` (fixed by the condition, so nothing changes) before the closing time, and the
    index (status, followed_up_at, closed_at, id) is read backwards in it instead of every closed
    case being sorted (a parallel scan of the table at 1M)."""
    for index in ("ix_complaint_followup", "ix_complaint_handling_followup"):
        _work, parts = _parts(index, CLOSED, actor=SimpleNamespace(unit_ids={1}))
        (_condition, order, named), = parts
        assert named == index
        assert [str(term) for term in order] == ["complaint.status DESC", "complaint.followed_up_at DESC",
                                                 "complaint.closed_at DESC", "complaint.id DESC"]


def test_the_ruled_staffs_cases_are_read_from_their_rulings_on_postgresql():
    """A staff member's ruled cases (the re-ruling to-do): on PostgreSQL ``= ANY(ARRAY(…))``, so the
    few rulings drive the read (as ``IN (…)`` its planner scanned every open ruled case for a semi
    join); elsewhere a plain ``IN`` (no ``= 1`` after it where booleans are integers)."""
    from sqlalchemy import select
    from sqlalchemy.dialects import postgresql, sqlite

    from app.models.complaint import Complaint
    from app.security.scope import clauses_for_ruled_staff

    query = select(Complaint.id).where(clauses_for_ruled_staff(Complaint, 7), Complaint.id > 0)
    on_postgresql = " ".join(str(query.compile(dialect=postgresql.dialect())).split())
    on_sqlite = " ".join(str(query.compile(dialect=sqlite.dialect())).split())
    assert "complaint.id = ANY (array((SELECT ruling_staff.complaint_id FROM ruling_staff WHERE" in on_postgresql
    assert "WHERE complaint.id IN (SELECT ruling_staff.complaint_id FROM ruling_staff WHERE ruling_staff.staff_id = ?)" \
        " AND complaint.id > ?" in on_sqlite
    # one cached statement for every staff member: the id is a parameter
    assert (clauses_for_ruled_staff(Complaint, 7)._generate_cache_key().key
            == clauses_for_ruled_staff(Complaint, 8)._generate_cache_key().key)
