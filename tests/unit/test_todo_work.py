"""The to-do list's kinds of work name only declared transitions, and every declared transition
is either some kind of work or explicitly not a to-do (data/complaints.py TODO_WORK)."""
from app.data.complaints import NOT_TODO, TODO_WORK
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

