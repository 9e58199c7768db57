"""The role table (domain.md §1) as data: role → (permission, resource) pairs.

Compare line by line with ``../shared/spec/domain.md`` §1. ``flask --app run sync-roles``
makes the database match this table exactly; a name that does not exist fails loudly.
``Admin`` is granted every permission that exists and is not listed here.
"""
from . import permissions as p

ADMIN = "Admin"
DISCIPLINE_OFFICE = "DisciplineOffice"
COMMITTEE = "Committee"
RERULING_BODY = "ReRulingBody"
BRANCH_HEAD = "BranchHead"
COUNTER_STAFF = "CounterStaff"
LEADERSHIP = "Leadership"

ROLE_NAMES = [ADMIN, DISCIPLINE_OFFICE, COMMITTEE, RERULING_BODY, BRANCH_HEAD, COUNTER_STAFF, LEADERSHIP]

# Roles whose scope is the whole organisation regardless of their unit (domain.md §1):
# Admin and the union's offices see everything; committee and leadership see all cases
# (identity masked); the re-ruling body sees the cases brought to it.
GLOBAL_SCOPE_ROLES = {ADMIN, DISCIPLINE_OFFICE, COMMITTEE, RERULING_BODY, LEADERSHIP}


def _read(resource: str):
    return (p.can(p.READ), resource)


def _write(resource: str):
    return (p.can(p.WRITE), resource)


def _menu(name: str):
    return ("menu_access", name)


ROLE_PERMISSIONS = {
    DISCIPLINE_OFFICE: [
        *p.SELF_SERVICE,
        _read(p.ORG_UNIT),
        _read(p.STAFF),
        _menu(p.MENU_ORGANISATION),
        _menu(p.MENU_ORG_UNITS),
        _menu(p.MENU_STAFF),
    ],
    COMMITTEE: [*p.SELF_SERVICE],
    RERULING_BODY: [*p.SELF_SERVICE],
    BRANCH_HEAD: [*p.SELF_SERVICE],
    COUNTER_STAFF: [*p.SELF_SERVICE],
    LEADERSHIP: [*p.SELF_SERVICE],
}

ROLE_LABELS = {
    ADMIN: "系统管理员",
    DISCIPLINE_OFFICE: "联社纪检监察室",
    COMMITTEE: "客户投诉责任认定小组成员",
    RERULING_BODY: "上一级责任认定部门",
    BRANCH_HEAD: "营业网点负责人",
    COUNTER_STAFF: "临柜人员",
    LEADERSHIP: "联社领导(只读)",
}
