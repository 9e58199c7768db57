"""The role table reads like domain.md §1 and only names what exists."""
from app.security import roles as r


def test_exact_role_names():
    assert r.ROLE_NAMES == [
        "Admin", "DisciplineOffice", "Committee", "ReRulingBody", "BranchHead", "CounterStaff", "Leadership",
    ]


def test_every_non_admin_role_is_in_the_table_and_admin_is_not():
    assert set(r.ROLE_PERMISSIONS) == set(r.ROLE_NAMES) - {r.ADMIN}


def test_only_admin_manages_security():
    for role, pairs in r.ROLE_PERMISSIONS.items():
        for permission, view in pairs:
            assert not view.startswith(("User", "Role", "Permission", "ViewMenu", "Group")) or view in {
                "UserDBModelView", "UserInfoEditView"
            }, (role, permission, view)
            if view == "UserDBModelView":
                assert permission in {"can_userinfo", "resetmypassword", "userinfoedit"}, (role, permission)


def test_branch_roles_are_scoped():
    assert r.BRANCH_HEAD not in r.GLOBAL_SCOPE_ROLES
    assert r.COUNTER_STAFF not in r.GLOBAL_SCOPE_ROLES
    assert r.DISCIPLINE_OFFICE in r.GLOBAL_SCOPE_ROLES
