"""Demo data: a realistic county union with its branches, staff and one DEMO login per role.

Everything here is fictitious and clearly marked: usernames start with ``demo_``.
Running it again changes nothing that is already there.
"""
from flask import current_app

from ..extensions import db
from ..models import OrgUnit, Staff
from ..security import roles as r

# Documented demo accounts only, never production (bandit B105 reviewed).
DEMO_PASSWORD = "Demo@12345"  # nosec B105

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

# (username, role, employee no, family name 姓, given name 名): FAB stores 姓 as last_name and 名
# as first_name; the pages show them in Chinese order (models/auth.py).
USERS = [
    ("demo_admin", r.ADMIN, None, "演示", "管理员"),
    ("demo_discipline", r.DISCIPLINE_OFFICE, "J0001", "李", "秀英"),
    ("demo_committee", r.COMMITTEE, "B0001", "赵", "丽华"),
    ("demo_reruling", r.RERULING_BODY, "S0001", "周", "建国"),
    ("demo_branchhead", r.BRANCH_HEAD, "CG0201", "马", "卫东"),
    ("demo_counter", r.COUNTER_STAFF, "CG0202", "杨", "雪"),
    ("demo_leader", r.LEADERSHIP, "L0001", "陈", "志远"),
]


# §17, issue 21: the demo county's committee and the municipal union's higher ruling body, with
# their members: (body kind, unit code, [(employee no, committee role)]).
BODIES = [
    ("committee", "LS", [("B0001", "chair"), ("Y0001", "deputy"), ("J0002", "member"), ("J0001", "secretary")]),
    ("higher", "SL", [("S0001", "chair")]),
]


def seed_demo_bodies(units, staff):
    """The demo bodies and rosters (terms from 2020, so the bench's years of rulings have their
    members too), missing ones only."""
    from sqlalchemy import select

    from datetime import date

    from ..models.committee import BodyMember, RulingBody
    from ..services import committee

    start = date(2020, 1, 1)
    for kind, code, members in BODIES:
        body = db.session.execute(select(RulingBody).where(RulingBody.kind == kind)).scalars().first()
        if body is None:
            body = RulingBody(kind=kind, unit=units[code], name=committee.default_name(kind, units[code]))
            db.session.add(body)
            db.session.flush()
        on_roster = {m.staff_id for m in body.members}
        for employee_no, role in members:
            if staff[employee_no].id not in on_roster:
                db.session.add(BodyMember(body=body, staff=staff[employee_no], role=role, term_from=start))


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
    for username, role_name, employee_no, family, given in USERS:
        role = sm.find_role(role_name) or sm.add_role(role_name)
        user = sm.find_user(username=username)
        if user is None:
            user = sm.add_user(
                username, given, family, f"{username}@demo.invalid", role, password=DEMO_PASSWORD, commit=False
            )
            db.session.flush()
        if employee_no and staff[employee_no].user_id is None:
            staff[employee_no].user = user
        created.append((username, role_name))
    seed_demo_bodies(units, staff)
    db.session.commit()
    return created


# (external ref, registering user, branch code, respondent employee no, channel, category, facts,
#  days before today received, steps) — steps are (user, transition, body) applied in order.
DEMO_COMPLAINTS = [
    ("DEMO-001", "demo_counter", "CG-02", None, "phone", "attitude",
     "客户称办理存款时柜员态度冷淡,未解释需要填写的单据。", 1, []),
    ("DEMO-002", "demo_counter", "CG-02", "CG0203", "hotline", "efficiency",
     "客户反映午间只开一个窗口,排队等候超过一小时。", 3,
     [("demo_discipline", "accept", {"level": "branch"})]),
    ("DEMO-003", "demo_branchhead", "CG-02", None, "book", "fee",
     "意见簿记录:客户对短信通知服务费有异议,称未被告知收费标准。", 12,
     [("demo_branchhead", "accept", {"level": "branch"})]),
    ("DEMO-004", "demo_discipline", "CG-02", "CG0202", "hotline", "error",
     "客户称转账金额被柜员录错,资金晚到账两天。", 20,
     [("demo_discipline", "accept", {"level": "union", "handling_unit": "LS-JJ"}),
      ("demo_discipline", "reply", {"method": "letter", "content": "经核实,系柜员录入错误,已向客户致歉并补偿利息损失。"}),
      ("demo_discipline", "close", {})]),
    ("DEMO-005", "demo_discipline", "DX-01", None, "box", "conduct",
     "意见箱:营业厅饮水机长期无水,叫号系统故障未修复。", 8,
     [("demo_discipline", "accept", {"level": "branch"}),
      ("demo_discipline", "reply", {"method": "phone", "content": "已督促网点修复叫号系统并配置饮水设施。"})]),
    ("DEMO-006", "demo_discipline", "XL-01", None, "phone", "other",
     "客户投诉员工私下推销保险产品。", 5,
     [("demo_discipline", "reject", {"reason": "out_of_scope", "note": "属员工违规行为,按第八条移交纪检处理。"})]),
    # The union's own decision appealed: it goes to the municipal union (demo_reruling decides, §14).
    ("DEMO-007", "demo_discipline", "DX-02", None, "hotline", "efficiency",
     "客户反映贷款审批材料被多次退回补充,前后要求不一致,历时一个月仍未办结。", 9,
     [("demo_discipline", "accept", {"level": "union", "handling_unit": "LS-JJ"}),
      ("demo_discipline", "reply", {"method": "phone", "content": "已协调信贷部门一次性告知所需材料,并指定专人跟进。"}),
      ("demo_discipline", "appeal", {"content": "客户认为联社答复未解决审批拖延问题,申请复议。"})]),
]


def demo_id_number(n):
    """A fictitious resident ID number that passes the GB 11643 check (born 1980-01-01, order code n)."""
    from stdnum.cn import ric

    body = f"33010219800101{n:03d}"
    return body + ric.calc_check_digit(body + "0")


def seed_demo_complaints():
    """Sample cases in several states, created through the services (idempotent by external ref)."""
    from datetime import timedelta

    from ..models.complaint import Complaint
    from .. import clock
    from ..services import complaints as svc

    sm = current_app.appbuilder.sm
    units = {u.code: u for u in db.session.query(OrgUnit).all()}
    staff = {s.employee_no: s for s in db.session.query(Staff).all()}
    now = clock.now()
    created = 0
    for ref, username, branch, respondent, channel, category, facts, days_ago, steps in DEMO_COMPLAINTS:
        if db.session.query(Complaint).filter_by(external_ref=ref).first() is not None:
            continue
        received = now - timedelta(days=days_ago, hours=2)
        complaint, _ = svc.register(sm.find_user(username=username), {
            "channel": channel, "received_at": received.isoformat(timespec="seconds"),
            "complainant_name": "演示客户" + ref[-1], "complainant_phone": f"1380000{ref[-3:]:0>4}",
            "complainant_id_number": demo_id_number(int(ref[-3:])), "complainant_address": "演示县城关镇人民路88号",
            "branch_id": units[branch].id, "respondent_staff_id": staff[respondent].id if respondent else None,
            "category": category, "facts": facts, "external_ref": ref,
        }, now=received)
        for step, (actor, name, body) in enumerate(steps, start=1):
            body = dict(body)
            if "handling_unit" in body:
                body["handling_unit_id"] = units[body.pop("handling_unit")].id
            at = min(received + timedelta(days=step), now)
            if name == "reply":
                body["replied_at"] = at.isoformat(timespec="seconds")
            if name == "appeal":
                body["applied_at"] = at.date().isoformat()
            svc.apply(sm.find_user(username=actor), complaint.id, name, body, now=at)
        created += 1
    return created
