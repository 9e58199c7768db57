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
