"""The scope rule: a user's unit and everything below it; union offices see everything."""
from app.security import roles as r
from app.security.scope import scope_of, subtree_ids


def test_subtree_covers_children_and_grandchildren(app, org):
    ids = subtree_ids(org["coop_a"].id)
    assert ids == {org["coop_a"].id, org["a1"].id, org["a2"].id}
    assert subtree_ids(org["union"].id) == {u.id for u in org.values()}
    assert subtree_ids(org["b1"].id) == {org["b1"].id}


def test_branch_user_sees_own_branch_only(app, org, users):
    scope = scope_of(users[r.BRANCH_HEAD])
    assert not scope.everything
    assert scope.covers(org["a1"].id)
    assert not scope.covers(org["a2"].id)
    assert not scope.covers(org["b1"].id)
    assert not scope.covers(None)


def test_cooperative_head_sees_all_its_branches(app, org, factory):
    head = factory.user(r.BRANCH_HEAD, "coophead", org["coop_a"], "manager")
    scope = scope_of(head)
    assert scope.covers(org["a1"].id) and scope.covers(org["a2"].id)
    assert not scope.covers(org["b1"].id)


def test_union_offices_see_everything(app, users, org):
    for role in (r.ADMIN, r.DISCIPLINE_OFFICE, r.COMMITTEE, r.LEADERSHIP, r.RERULING_BODY):
        assert scope_of(users[role]).everything, role


def test_user_without_staff_record_sees_nothing(app, factory, org):
    lonely = factory.user(r.COUNTER_STAFF, "lonely")
    scope = scope_of(lonely)
    assert not scope.everything and not scope.unit_ids


def test_inactive_staff_record_gives_no_scope(app, users, org):
    from app.extensions import db
    from app.models import Staff

    staff = db.session.query(Staff).filter_by(user_id=users[r.COUNTER_STAFF].id).one()
    staff.active = False
    db.session.commit()
    assert not scope_of(users[r.COUNTER_STAFF]).covers(org["a1"].id)
