"""Demo data: a realistic county union with its branches, staff and one DEMO login per role.

Everything here is fictitious and clearly marked: usernames start with ``demo_``.
Running it again changes nothing that is already there.
"""
from flask import current_app

from .extensions import db
from .models import OrgUnit, Staff
from .security import roles as r

DEMO_PASSWORD = "Demo@12345"

# (code, name, kind, parent code)
UNITS = [
    ("SL", "演示市农村信用社联合社", "union", None),
    ("LS", "演示县农村信用合作联社", "union", "SL"),
    ("LS-JJ", "联社纪检监察室", "department", "LS"),
    ("LS-BGS", "联社办公室", "department", "LS"),
    ("LS-YY", "联社运营管理部", "department", "LS"),
    ("CG", "城关信用社", "cooperative", "LS"),
    ("CG-01", "城关信用社营业部", "branch", "CG"),
    ("CG-02", "城关信用社南街分社", "branch", "CG"),
    ("CG-03", "城关信用社北关分社", "branch", "CG"),
    ("DX", "东乡信用社", "cooperative", "LS"),
    ("DX-01", "东乡信用社营业部", "branch", "DX"),
    ("DX-02", "东乡信用社桥头分社", "branch", "DX"),
    ("XL", "西岭信用社", "cooperative", "LS"),
    ("XL-01", "西岭信用社营业部", "branch", "XL"),
    ("XL-02", "西岭信用社石门分社", "branch", "XL"),
]

# (employee no, name, unit code, position)
STAFF = [
    ("S0001", "周建国", "SL", "manager"),
    ("L0001", "陈志远", "LS", "manager"),
    ("J0001", "李秀英", "LS-JJ", "discipline_officer"),
    ("J0002", "王海涛", "LS-JJ", "discipline_officer"),
    ("B0001", "赵丽华", "LS-BGS", "committee_member"),
    ("Y0001", "孙明", "LS-YY", "committee_member"),
    ("CG0101", "刘德明", "CG-01", "branch_head"),
    ("CG0102", "张晓燕", "CG-01", "counter_staff"),
    ("CG0103", "何静", "CG-01", "counter_staff"),
    ("CG0201", "马卫东", "CG-02", "branch_head"),
    ("CG0202", "杨雪", "CG-02", "counter_staff"),
    ("CG0203", "黄磊", "CG-02", "counter_staff"),
    ("CG0301", "郑国强", "CG-03", "branch_head"),
    ("CG0302", "吴婷", "CG-03", "counter_staff"),
    ("DX0101", "冯光辉", "DX-01", "branch_head"),
    ("DX0102", "林小红", "DX-01", "counter_staff"),
    ("DX0103", "徐斌", "DX-01", "counter_staff"),
    ("DX0201", "高峰", "DX-02", "branch_head"),
    ("DX0202", "罗芳", "DX-02", "counter_staff"),
    ("XL0101", "梁永刚", "XL-01", "branch_head"),
    ("XL0102", "宋佳", "XL-01", "counter_staff"),
    ("XL0103", "谢文", "XL-01", "counter_staff"),
    ("XL0201", "唐建华", "XL-02", "branch_head"),
    ("XL0202", "韩梅", "XL-02", "counter_staff"),
]

# (username, role, employee no, first name, last name)
USERS = [
    ("demo_admin", r.ADMIN, None, "演示", "管理员"),
    ("demo_discipline", r.DISCIPLINE_OFFICE, "J0001", "李秀英", "(演示)"),
    ("demo_committee", r.COMMITTEE, "B0001", "赵丽华", "(演示)"),
    ("demo_reruling", r.RERULING_BODY, "S0001", "周建国", "(演示)"),
    ("demo_branchhead", r.BRANCH_HEAD, "CG0201", "马卫东", "(演示)"),
    ("demo_counter", r.COUNTER_STAFF, "CG0202", "杨雪", "(演示)"),
    ("demo_leader", r.LEADERSHIP, "L0001", "陈志远", "(演示)"),
]


def seed_demo():
    """Create what is missing of the demo county; return [(username, role)]."""
    units = {u.code: u for u in db.session.query(OrgUnit).all()}
    for code, name, kind, parent_code in UNITS:
        if code not in units:
            unit = OrgUnit(code=code, name=name, kind=kind, parent=units.get(parent_code), active=True)
            db.session.add(unit)
            units[code] = unit
    db.session.flush()

    staff = {s.employee_no: s for s in db.session.query(Staff).all()}
    for employee_no, name, unit_code, position in STAFF:
        if employee_no not in staff:
            member = Staff(employee_no=employee_no, name=name, unit=units[unit_code], position=position, active=True)
            db.session.add(member)
            staff[employee_no] = member
    db.session.flush()

    sm = current_app.appbuilder.sm
    created = []
    for username, role_name, employee_no, first, last in USERS:
        role = sm.find_role(role_name) or sm.add_role(role_name)
        user = sm.find_user(username=username)
        if user is None:
            user = sm.add_user(
                username, first, last, f"{username}@demo.invalid", role, password=DEMO_PASSWORD, commit=False
            )
            db.session.flush()
        if employee_no and staff[employee_no].user_id is None:
            staff[employee_no].user = user
        created.append((username, role_name))
    db.session.commit()
    return created
