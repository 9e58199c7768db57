"""Bulk benchmark data: ``flask --app run seed-bench --complaints N`` (bench mode only).

Adds N realistic complaints to whatever the database already holds, fast enough for a million
rows in minutes: rows are generated per batch (in a forked process while the previous batch is
written) and written through the driver — SQLite executemany of the statement SQLAlchemy
compiles, PostgreSQL COPY — one transaction per batch, with ids assigned here (read ``max(id)``
once) so timeline events and rulings reference their case without a round trip.

This is a second write path beside the product's one, ``app/services/complaints.py``. It must
write exactly the rows that path would have written for the same story, and it stands in for it
as follows (``tests/ops/test_bench_matches_write_path.py`` tells seeded cases again through the
services and compares the rows field by field):

- **complaint**, as registered: ``register`` (the registering staff member its first handler,
  unless complained about; ``created_at`` the registration, ``version`` 1);
- **complaint**, each later field: ``apply(name, …)``, i.e. ``_apply_<name>`` — accept (level,
  handling unit and handler, §4 checklist confirmed by acceptance, §12 due date from the day of
  receipt), reject, transfer (to the branch head, or up to the union: 20 working days), request
  and decide extension (§13, at most 10 working days beyond the deadline), reply (the deciding
  unit, the §14 appeal notice and window), record_receipt (a letter's day of receipt starts its
  window), close, follow_up (§15), appeal (the superior body of the deciding unit, 30 working
  days), decide_appeal, rule (§17–§19), request and decide re-ruling; ``status`` the
  transition's target, ``version`` one more per step;
- **complaint_event**: ``timeline.record_event`` as ``register`` and ``apply`` call it — one per
  step, its statuses, note and the body the step was given (with ``assigned`` when the holder
  changed); ``actor_name`` is the staff member's name (bench staff have no logins, so no
  ``actor_id``);
- **ruling** and **ruling_staff**: ``_apply_rule`` and ``_apply_decide_reruling`` (a re-ruling
  holding the original's staff responsible, or no one);
- **number_counter**: ``next_number`` (the day's counter moved past every number given here);
- **complaint_total**: ``totals.add``, in the same transaction as the batch;
- **complaint_month** (the kept report months) and ``phone_shared``: recounted on commit by
  ``reports.monthly`` and ``reports.repeats`` in the service's session; here, which writes
  around the session, ``monthly.rebuild`` and ``repeats.mark_all`` once at the end;
- due dates and windows: the same ``app.domain.calendar`` functions on the same work calendar
  (``services.calendar.load_calendar``); appeal bodies, the appeal notice and the re-ruling body:
  ``appeal_body``, ``appeal_notice`` and ``reruling_body`` themselves, once per deciding unit;
- PostgreSQL's id sequences: moved past the ids assigned here, as the serial columns would have;
- the complainant's identity (issue 24): encrypted under the current key exactly as the model's
  column type writes it (``crypto.IdentityCipher.seal``, in the generating process, so it overlaps
  the writing), with the blind indexes of the phone number and the name beside it
  (``Complaint.phone_index`` / ``name_index``, the same functions); plain text when
  ``IDENTITY_ENCRYPTION`` is off, as the application would write it.

The bench organisation (``build_bench_tree``) and an empty work calendar
(``services.calendar.import_from_package``) are set up first when missing.

Realism: each case is *simulated* along the transition table of ``app.domain.transitions``
(register → accept → [transfer] → [extension] → reply → [record receipt] → [ruling, re-ruling] →
[appeal] → close → [follow-up], or register → reject), each step by someone the product lets take
it, with times in working hours, deadlines from the real work calendar, and some cases that stall
on the way (never accepted, never replied, never closed, appeal or extension never decided).
Whatever would happen after "now" does not happen, so the status and every field of a case are
exactly what its timeline so far implies: old cases are closed, recent ones open, some overdue.

Bench data is marked: external references ``BENCH-…``, org unit codes and employee numbers
``BENCH-…``, complainants' addresses in 压测县. Nothing here is meant for a production database.
The generator is deterministic for a given ``seed``, database state, configuration and ``now``.
"""
import bisect
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from queue import Empty
from types import SimpleNamespace
from typing import Callable, Dict, List, Optional, Tuple

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import JSON, Boolean, Date, DateTime, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from app.crypto import cipher, normal_name
from app.extensions import db
from app.models import OrgUnit, Staff
from app.models.identity import EncryptedIdentity
from app.models.calendar import CalendarYear
from app.models.classification import JrtCode
from app.models.complaint import Complaint, ComplaintEvent, ComplaintTotal, NumberCounter
from app.domain import committee as committee_rules
from app.models.committee import RulingMember
from app.models.ruling import Ruling, RulingStaff
from app.services import totals
from app.domain import calendar as cal
from app.domain import states as s
from app.domain.phones import normal_phone

BENCH = "BENCH"
DEFAULT_BATCH_SIZE = 10_000
MIN_BRANCHES = 30  # fewer staffed branches than this: the bench org tree is added
YEARS_BACK = 10
EXTERNAL_REF = "BENCH-{:09d}"

# --- how cases go (probabilities per case, or per case that reached the step) ----------------
P_REJECT = 0.04
P_STALL_REGISTERED = 0.004  # never accepted
P_UNION_LEVEL = 0.12
P_UNION_LEVEL_REFERRAL = 0.35
P_TRANSFER = 0.07
P_EXTENSION = 0.06
P_EXTENSION_PENDING = 0.10
P_EXTENSION_APPROVED = 0.80
P_STALL_PROCESSING = 0.012  # never replied (overdue, forgotten)
P_LATE_REPLY = 0.09
P_RULING = 0.12
P_RERULING = 0.15  # of responsible rulings
P_RERULING_PENDING = 0.15
P_RERULING_CHANGED = 0.40
P_APPEAL = 0.03
P_APPEAL_FROM_CLOSED = 0.30
P_APPEAL_PENDING = 0.10
P_APPEAL_CHANGED = 0.25
P_STALL_REPLIED = 0.02  # never closed
P_FOLLOW_UP = 0.85
P_SATISFIED = 0.90

CHANNEL_WEIGHTS = {"hotline": 35, "phone": 30, "box": 8, "book": 12, "referral": 15}
CATEGORY_WEIGHTS = {"attitude": 30, "efficiency": 25, "fee": 15, "error": 12, "conduct": 10, "other": 8}
REPLY_METHOD_WEIGHTS = {"phone": 55, "letter": 30, "visit": 15}
# The §18 category a responsible ruling most likely has, by complaint category.
RESPONSIBLE_CATEGORY = {"attitude": "18.2", "efficiency": "18.5", "conduct": "18.3", "error": "18.1",
                        "fee": "18.4", "other": "18.3"}
NOT_RESPONSIBLE_WEIGHTS = {"19.1": 20, "19.2": 20, "19.3": 15, "19.4": 45}

# --- word lists (fictitious people and places) -------------------------------------------------
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
            "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵")
GIVEN_TWO = ("建国", "秀英", "桂兰", "志强", "海燕", "丽华", "建华", "玉珍", "文斌", "晓燕", "国庆", "淑珍",
             "永刚", "红梅", "春生", "金凤", "德明", "小红", "振华", "雪梅", "立新", "美玲", "光辉", "凤英",
             "俊杰", "婷婷", "子涵", "浩然", "欣怡", "宇轩", "佳怡", "明辉", "秋菊", "长春", "爱华", "卫东")
GIVEN_ONE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚辉斌宇浩凯鹏飞婷雪琳晨阳波丹萍燕华峰健梅兰英"
COUNTY = "压测县"
TOWNS = ("城关镇", "东乡镇", "西岭乡", "南山镇", "北河乡", "青石镇", "柳林乡", "白沙镇", "红星乡", "金田镇",
         "桃源乡", "石门镇")
VILLAGES = ("李家村", "王庄村", "河西村", "新民村", "杨柳村", "大桥村", "前进村", "石桥村", "高坪村", "东山村")
STREETS = ("人民路", "解放路", "建设路", "中山路", "文化街", "新华街", "朝阳路", "幸福路", "车站路", "滨河路")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                   "153", "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "185",
                   "186", "187", "188", "189", "198", "199")
# Real county codes (Jinhua, Zhejiang): the register's check refuses an unknown region
# (domain/contact.py), and the bench's cases must be what the services accept. The rest of the
# number is random, and the data lives only in the bench's throwaway database.
ID_REGIONS = ("330702", "330703", "330723", "330726", "330727", "330781", "330782", "330783", "330784")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

BUSINESS = ("办理定期存款", "取款", "转账汇款", "开立银行卡", "挂失补卡", "办理贷款", "缴纳社保费",
            "查询代发工资", "激活社保卡", "修改密码", "开通手机银行", "存折换折", "兑换零钱", "查询流水",
            "办理对公开户", "领取惠农补贴")
FEE_ITEMS = ("短信通知服务费", "银行卡年费", "小额账户管理费", "跨行转账手续费", "挂失手续费", "工本费")
WHEN = ("上午", "下午", "中午", "周一上午", "月初", "前几天", "昨天下午", "上周五")
FACTS = {
    "attitude": (
        "客户称{when}到网点{biz}时,柜员态度生硬,对客户的提问不耐烦,未作任何解释。",
        "客户反映{biz}时因单据填写有误被柜员当众指责,感觉受到冒犯。",
        "客户称{when}咨询{biz}事宜,大堂经理置之不理,继续使用手机。",
        "客户反映柜员{biz}时语气恶劣,并称“不会填就别来办”。",
    ),
    "efficiency": (
        "客户反映{when}{biz}排队等候超过{minutes}分钟,网点仅开放一个窗口。",
        "客户称{biz}手续繁琐,来回跑了{times}次仍未办完。",
        "客户反映网点未按公示时间开门营业,在门外等候{minutes}分钟。",
        "客户称柜员不熟悉{biz}流程,反复查询操作手册,办理用时{minutes}分钟。",
    ),
    "fee": (
        "客户对账户被扣收{fee_item}{amount}元有异议,称事先未被告知收费标准。",
        "客户称{biz}时被多收{fee_item}{amount}元,要求退还。",
        "客户反映已申请免收{fee_item},但仍被扣收{amount}元。",
    ),
    "error": (
        "客户称柜员{biz}时录错金额,导致资金{days}天后才到账。",
        "客户反映存折打印的利息与约定利率不符,少计利息{amount}元。",
        "客户称办理转账时收款人姓名被录错,款项被退回,耽误{days}天。",
    ),
    "conduct": (
        "客户反映柜员上班时间离岗,窗口长时间无人办理业务。",
        "客户称柜员办理{biz}时未按规定唱收唱付,当面点钞不清。",
        "客户反映营业厅叫号机故障多日未修复,现场秩序混乱。",
        "客户称柜员在办理{biz}时向其推销理财产品,被拒绝后态度冷淡。",
    ),
    "other": (
        "客户反映网点门前停车位长期被占用,无法停车办理业务。",
        "客户建议增加自助设备,现有自动柜员机经常缺钞。",
        "客户反映网点无障碍通道被杂物堵塞,轮椅无法通行。",
        "客户反映营业厅饮水机长期无水,等候区座椅损坏。",
    ),
}
REQUESTS = ("要求网点道歉", "要求退还所扣费用", "要求相关人员作出解释", "要求改进服务", "要求补偿利息损失",
            "要求尽快处理并答复", "希望加强员工培训", "要求对当事员工进行批评教育")
REJECT_NOTES = {
    "ineligible": ("经核实,投诉人非业务当事人,亦未受当事人委托,不符合第四条受理条件。",
                   "投诉内容无具体事实,且无法确定被投诉对象,不符合第四条受理条件。"),
    "out_of_scope": ("反映事项属员工违规违纪行为,按第八条移交纪检监察部门处理。",
                     "所反映问题属贷款政策咨询,不属于服务投诉受理范围(第八条)。"),
}
TRANSFER_UP = ("案情复杂,涉及多个部门,移交联社处理。", "涉及员工违规线索,上报联社纪检监察室。")
TRANSFER_HEAD = ("经办人无法处理,移交网点负责人。", "经办人请假,由网点负责人接手处理。")
EXTENSION_REASONS = ("需调取监控录像及业务凭证核实,无法在期限内办结。", "涉及系统数据核对,需科技部门协助。",
                     "客户外出务工,暂无法联系核实情况。")
EXTENSION_REPORT = "已书面报告联社纪检监察室,说明延期原因及预计办结时间。"
FINDINGS = ("经核实,客户反映情况属实", "经核实,客户反映情况部分属实", "经核实,系客户对业务规定存在误解",
            "经核实,系系统故障所致")
ACTIONS = ("已对当事员工进行批评教育", "已退还相关费用", "已加强窗口人员调配", "已组织员工开展服务规范培训",
           "已修复相关设备", "已向客户详细解释相关规定")
ATTITUDES = ("表示理解", "表示基本满意", "认可处理结果", "表示满意")
RESPONSIBLE_BASIS = ("经调阅监控录像及业务凭证,投诉事实属实,当事员工负有直接责任。",
                     "经核实,当事员工未按服务规范操作,投诉属实。")
NOT_RESPONSIBLE_BASIS = ("经核实,系客户对业务规定不了解所致,网点不负责任。",
                         "经核实,系系统故障导致业务办理缓慢,非员工责任。",
                         "经核实,网点已按规定办理,客户要求超出规定范围。")
RERULING_REASONS = ("当事员工认为责任认定事实不清,申请重新认定。", "当事员工提出系客户自身原因所致,申请重新认定。")
RERULING_UPHELD = "经重新审查,原认定事实清楚,维持原认定。"
RERULING_CHANGED = "经重新审查,原认定依据不足,改为非责任投诉。"
APPEAL_CONTENTS = ("客户对处理结果不满意,申请复议。", "客户认为退费金额不足,申请复议。",
                   "客户认为网点推诿责任,申请复议。")
APPEAL_UPHELD = "经复议,原处理决定认定事实清楚,维持原处理决定,已答复申请人。"
APPEAL_CHANGED = "经复议,原处理决定认定事实不清,予以变更,并已重新答复申请人。"
FOLLOW_UP_SATISFIED = ("客户对处理结果表示满意。", "客户表示问题已解决。")
FOLLOW_UP_UNSATISFIED = "客户仍认为处理不到位,经分析系对业务规定理解不同,已再次解释。"
FORWARDED_TO = ("联社运营管理部", "联社科技信息部", "联社信贷管理部", "县人民银行")
EXTENSION_APPROVED_NOTE = "同意延期,请在新的期限内办结。"
EXTENSION_REFUSED_NOTE = "理由不充分,不同意延期,请按期办结。"

# --- the bench organisation: a county union, ten cooperatives of six branches each ------------
BENCH_COOPERATIVES = ("城关", "东乡", "西岭", "南山", "北河", "青石", "柳林", "白沙", "红星", "金田")
BENCH_OUTLETS = ("营业部", "中心分社", "桥头分社", "集镇分社", "新村分社", "工业园分社")
# The configuration that names the bench county's own bodies (build_bench_tree): its discipline office
# for appeals against branches, its union for the office's decisions and for re-rulings. Without it
# (bench/run.py keeps the defaults, the demo county's bodies) no configured body is a superior of a
# bench branch, and, as in the service, its decisions get no appeal.
BENCH_COUNTY_BODIES = {"APPEAL_BODY_BRANCH_LEVEL": f"{BENCH}-LS-JJ", "APPEAL_BODY_UNION_LEVEL": f"{BENCH}-LS",
                       "COMMITTEE_UNIT": f"{BENCH}-LS", "RERULING_BODY_UNIT": f"{BENCH}-SL"}


@dataclass(frozen=True)
class Person:
    """A staff member as the generator uses it."""

    id: int
    name: str
    unit_id: int


@dataclass
class Branch:
    id: int
    head: Optional[Person]
    counters: List[Person]
    weight: float
    #: The office taking union-level cases lies in this branch's county, so its staff may transfer up to it.
    reaches_office: bool = True

    @property
    def staff(self) -> List[Person]:
        return self.counters + ([self.head] if self.head else [])


@dataclass
class Org:
    """The units and people complaints are spread over."""

    branches: List[Branch]
    office_unit_id: int  # the union-level handling unit (纪检监察室)
    officers: List[Person]
    committee: List[Person]
    # §14, per unit that decides (each branch, the office): the superior body appeals against its
    # decisions go to and the people there who decide them. None: no configured body is a superior
    # of that unit, and the service records no appeal against its decisions.
    appeal_bodies: Dict[int, Optional[Tuple[int, List[Person]]]]
    # §17, per branch: the committee that rules its cases and the higher ruling body that decides
    # re-rulings (services/committee.py), each with its members serving today; None: no such body.
    committees: Dict[int, Optional["Seating"]] = field(default_factory=dict)
    highers: Dict[int, Optional["Seating"]] = field(default_factory=dict)
    created_bench_tree: bool = False


# The positions of the staff whose logins record a body's rulings (the demo's and the bench's: the
# committee's members, the higher body's managers).
RECORDING_POSITIONS = {"committee": ("committee_member",), "higher": ("manager",)}


@dataclass(frozen=True)
class Seating:
    """A ruling body as the generator uses it: its id and unit, every term on its roster
    ((person, role, from, to)), its quorum rule, and who may record its rulings."""

    body_id: int
    unit_id: int
    terms: List[tuple]
    quorum_percent: int
    chair_required: bool
    recorders: frozenset  # the members whose login may record the body's rulings (by position)

    def sitting(self, day, about_ids, about_units, branch_id) -> List[tuple]:
        """[(person, role)] who sit on a ruling on ``day`` about these staff (ids, units) of this
        branch: every member serving that day but the recused, when they make a quorum with one of
        them able to record (as services/committee.py ``check_present`` requires); else []."""
        serving = {}
        for person, role, start, end in self.terms:
            if start <= day and (end is None or day <= end) and person.id not in serving:
                serving[person.id] = (person, role)
        present = [(p, role) for p, role in serving.values()
                   if p.id not in about_ids and p.unit_id not in about_units and p.unit_id != branch_id]
        seats = [committee_rules.Seat(p.id, p.unit_id, role) for p, role in present]
        if not any(p.id in self.recorders for p, _ in present) or committee_rules.quorum_refusal(
                seats, seats, self.quorum_percent, self.chair_required) is not None:
            return []
        order = {role: n for n, role in enumerate(committee_rules.MEMBER_ROLES)}
        return sorted(present, key=lambda seat: (order[seat[1]], seat[0].name, seat[0].id))


@dataclass
class Report:
    """What one run added."""

    complaints: int = 0
    events: int = 0
    rulings: int = 0
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    extras: Counter = field(default_factory=Counter)
    created_bench_tree: bool = False
    calendar_imported: bool = False

    @property
    def rate(self) -> float:
        return self.complaints / self.seconds if self.seconds else 0.0


class _Cutoff(Exception):
    """The next step of a case lies after "now": the case stays as it is."""


# --- the organisation --------------------------------------------------------------------------

def _name(rng: random.Random) -> str:
    surname = SURNAMES[min(int(rng.expovariate(1 / 18)), len(SURNAMES) - 1)]
    if rng.random() < 0.6:
        return surname + GIVEN_TWO[int(rng.random() * len(GIVEN_TWO))]
    return surname + GIVEN_ONE[int(rng.random() * len(GIVEN_ONE))]


def build_bench_tree() -> None:
    """Add the bench county (codes ``BENCH-…``) with its staff; what already exists is kept."""
    # Fictitious bench data, never secrets; the same tree whatever --seed is.
    rng = random.Random("bench-org")  # nosec B311
    units = {u.code: u for u in db.session.execute(select(OrgUnit).where(OrgUnit.code.like(f"{BENCH}%"))).scalars()}
    staff = set(db.session.execute(select(Staff.employee_no).where(Staff.employee_no.like(f"{BENCH}%"))).scalars())

    def unit(code, name, kind, parent):
        if code not in units:
            units[code] = OrgUnit(code=code, name=name, kind=kind, parent=parent, active=True)
            db.session.add(units[code])
        return units[code]

    def person(employee_no, unit_obj, position):
        name = _name(rng)  # drawn even when the row exists, so names stay the same on a re-run
        if employee_no not in staff:
            db.session.add(Staff(employee_no=employee_no, name=name, unit=unit_obj, position=position, active=True))
            staff.add(employee_no)

    city = unit(f"{BENCH}-SL", "压测市农村信用社联合社", "union", None)
    county = unit(f"{BENCH}-LS", "压测县农村信用合作联社", "union", city)
    office = unit(f"{BENCH}-LS-JJ", "压测联社纪检监察室", "department", county)
    general = unit(f"{BENCH}-LS-BGS", "压测联社办公室", "department", county)
    person(f"{BENCH}-SL-01", city, "manager")
    person(f"{BENCH}-LS-01", county, "manager")
    for n in range(1, 5):
        person(f"{BENCH}-JJ-{n:02d}", office, "discipline_officer")
    for n in range(1, 6):
        person(f"{BENCH}-BGS-{n:02d}", general, "committee_member")
    for c, town in enumerate(BENCH_COOPERATIVES, start=1):
        coop = unit(f"{BENCH}-C{c:02d}", f"{town}信用社", "cooperative", county)
        person(f"{BENCH}-C{c:02d}-00", coop, "manager")
        for b, outlet in enumerate(BENCH_OUTLETS, start=1):
            branch = unit(f"{BENCH}-C{c:02d}-{b:02d}", f"{town}信用社{outlet}", "branch", coop)
            person(f"{BENCH}-C{c:02d}-{b:02d}-01", branch, "branch_head")
            for k in range(2, 3 + (6 if b == 1 else 2 + (c + b) % 3)):
                person(f"{BENCH}-C{c:02d}-{b:02d}-{k:02d}", branch, "counter_staff")
    db.session.flush()
    # §17: the county's committee (the office's five committee members) and the city's higher body.
    committee_roles = ("chair", "deputy", "member", "member", "member")
    _bench_body("committee", county, [(f"{BENCH}-BGS-{n:02d}", role) for n, role in enumerate(committee_roles, 1)])
    _bench_body("higher", city, [(f"{BENCH}-SL-01", "chair")])
    db.session.commit()


def _bench_body(kind, unit, members) -> None:
    """The bench county's ruling body ``kind`` at ``unit`` with ``members`` ([(employee no, role)]),
    when the unit has none yet."""
    from app.models.committee import BodyMember, RulingBody
    from app.services.committee import default_name

    if db.session.execute(select(RulingBody.id).where(RulingBody.kind == kind, RulingBody.unit_id == unit.id)).first():
        return
    body = RulingBody(kind=kind, unit=unit, name=default_name(kind, unit))
    db.session.add(body)
    for employee_no, role in members:
        staff = db.session.execute(select(Staff).where(Staff.employee_no == employee_no)).scalar_one()
        db.session.add(BodyMember(body=body, staff=staff, role=role, term_from=date(2000, 1, 1)))


def _people(rows) -> List[Person]:
    return [Person(id=r.id, name=r.name, unit_id=r.unit_id) for r in rows]


def load_org(rng: random.Random) -> Org:
    """The branches with staff, the discipline office, the committee and the appeal bodies."""
    from app.security.scope import county_ids
    from app.services import committee as bodies
    from app.services.complaints import appeal_body

    units = {u.id: u for u in db.session.execute(select(OrgUnit).where(OrgUnit.active.is_(True))).scalars()}
    by_code = {u.code: u for u in units.values()}
    staff = db.session.execute(
        select(Staff.id, Staff.name, Staff.unit_id, Staff.position).where(Staff.active.is_(True)).order_by(Staff.id)
    ).all()
    branches: Dict[int, Branch] = {}
    officers, committee = [], []
    for row in staff:
        unit = units.get(row.unit_id)
        if unit is None:
            continue
        person = Person(row.id, row.name, row.unit_id)
        if unit.kind == "branch" and row.position in ("counter_staff", "branch_head"):
            branch = branches.setdefault(unit.id, Branch(unit.id, None, [], 1.0))
            if row.position == "branch_head" and branch.head is None:
                branch.head = person
            else:
                branch.counters.append(person)
        elif row.position == "discipline_officer" and unit.kind in ("union", "department"):
            officers.append(person)
    usable = [b for b in branches.values() if b.counters]
    positions = {row.id: row.position for row in staff}
    people = {row.id: Person(row.id, row.name, row.unit_id) for row in staff}
    seatings = {}

    def seating(body):
        if body is None:
            return None
        if body.id not in seatings:
            terms = [(people[m.staff_id], m.role, m.term_from, m.term_to) for m in body.members if m.staff_id in people]
            recorders = frozenset(person.id for person, *_ in terms
                                  if positions.get(person.id) in RECORDING_POSITIONS[body.kind])
            seatings[body.id] = Seating(body.id, body.unit_id, terms, body.quorum_percent, body.chair_required,
                                        recorders) if recorders else None
        return seatings[body.id]

    place = {b.id: SimpleNamespace(branch_id=b.id) for b in usable}
    committees = {b.id: seating(bodies.committee_for(place[b.id])) for b in usable}
    highers = {b.id: seating(bodies.higher_body_for(place[b.id])) for b in usable}
    committee = [term[0] for seated in committees.values() if seated for term in seated.terms]
    if len(usable) < MIN_BRANCHES or not officers or not committee:
        return None
    for branch in usable:
        # Head offices (营业部) and bigger branches see more complaints.
        branch.weight = (2.5 if units[branch.id].name.endswith("营业部") else 1.0) * (0.6 + 0.8 * rng.random())

    # Union-level cases go to the discipline office configured for appeals against branch decisions
    # when it has officers, else to the office with the most.
    configured_office = by_code.get(current_app.config.get("APPEAL_BODY_BRANCH_LEVEL"))
    office_counts = Counter(p.unit_id for p in officers)
    if configured_office is not None and configured_office.id in office_counts:
        office_id = configured_office.id
    else:
        office_id = office_counts.most_common(1)[0][0]
    office_officers = [p for p in officers if p.unit_id == office_id]
    for branch in usable:
        branch.reaches_office = office_id in county_ids(branch.id)

    def members_of(unit_id):
        return [Person(r.id, r.name, r.unit_id) for r in staff if r.unit_id == unit_id]

    def appeal_body_of(unit_id):
        # The body services.complaints.appeal_body names for a decision of this unit.
        body = appeal_body(SimpleNamespace(replied_by_unit=units[unit_id], replied_by_unit_id=unit_id, level=None))
        return None if body is None else (body.id, members_of(body.id))

    return Org(
        branches=usable,
        office_unit_id=office_id,
        officers=office_officers,
        committee=committee,
        appeal_bodies={unit_id: appeal_body_of(unit_id) for unit_id in [b.id for b in usable] + [office_id]},
        committees=committees,
        highers=highers,
    )


def ensure_org(rng: random.Random) -> Org:
    """The organisation to spread complaints over, adding the bench tree when it is too small."""
    org = load_org(rng)
    if org is not None:
        return org
    build_bench_tree()
    org = load_org(rng)
    org.created_bench_tree = True
    return org


# --- the calendar ------------------------------------------------------------------------------

def ensure_calendar() -> bool:
    """Fill the work calendar from the package when no year is published yet; True if it did."""
    published = db.session.execute(
        select(func.count()).select_from(CalendarYear).where(CalendarYear.published.is_(True))
    ).scalar()
    if published:
        return False
    from app.services.calendar_import import import_from_package

    import_from_package()
    return True


class Deadlines:
    """Working-day arithmetic on the real calendar, cached per date (a few thousand distinct ones)."""

    def __init__(self, calendar: cal.WorkCalendar):
        self.calendar = calendar
        self._handling: Dict[Tuple[date, str], cal.Deadline] = {}
        self._after: Dict[Tuple[date, int], cal.Deadline] = {}
        self._window: Dict[date, date] = {}
        self._workday: Dict[date, date] = {}

    def handling(self, received: date, level: str) -> cal.Deadline:
        key = (received, level)
        found = self._handling.get(key)
        if found is None:
            found = self._handling[key] = cal.handling_deadline(self.calendar, received, level)
        return found

    def appeal_window(self, start: date) -> date:
        found = self._window.get(start)
        if found is None:
            found = self._window[start] = cal.appeal_window_end(self.calendar, start).date
        return found

    def after(self, start: date, days: int) -> cal.Deadline:
        key = (start, days)
        found = self._after.get(key)
        if found is None:
            found = self._after[key] = cal.add_working_days(self.calendar, start, days)
        return found

    def workday_on_or_after(self, day: date) -> date:
        found = self._workday.get(day)
        if found is None:
            current = day
            while not self.calendar.is_workday(current):
                current += timedelta(days=1)
            found = self._workday[day] = current
        return found


# --- one case ----------------------------------------------------------------------------------

def _weights(mapping):
    keys = list(mapping)
    total, cumulative = 0, []
    for key in keys:
        total += mapping[key]
        cumulative.append(total)
    return keys, cumulative, total


def _id_number(rng: random.Random) -> str:
    birth = date(1945, 1, 1) + timedelta(days=int(rng.random() * 21900))
    body = f"{ID_REGIONS[int(rng.random() * len(ID_REGIONS))]}{birth:%Y%m%d}{int(rng.random() * 1000):03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS)) % 11]


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.1:
        return f"0579-{8000_0000 + int(rng.random() * 1000_0000)}"
    return MOBILE_PREFIXES[int(rng.random() * len(MOBILE_PREFIXES))] + f"{int(rng.random() * 1e8):08d}"


def _address(rng: random.Random) -> str:
    town = TOWNS[int(rng.random() * len(TOWNS))]
    if rng.random() < 0.5:
        return f"{COUNTY}{town}{VILLAGES[int(rng.random() * len(VILLAGES))]}{1 + int(rng.random() * 12)}组" \
               f"{1 + int(rng.random() * 80)}号"
    return f"{COUNTY}{town}{STREETS[int(rng.random() * len(STREETS))]}{1 + int(rng.random() * 300)}号"


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(low * 100 + int(rng.random() * (high - low) * 100)) / 100


class _Case:
    """The timeline of one case as it is being simulated: status, time, events."""

    __slots__ = ("now", "status", "last", "events", "side")

    def __init__(self, now: datetime):
        self.now = now
        self.status = None
        self.last = None
        self.events = []  # (at, name, from, to, actor name, note, payload)
        self.side = []  # events that never change the status (re-ruling), merged by time

    def emit(self, at: datetime, name: str, actor: str, to_status=None, note=None, payload=None) -> datetime:
        """Record the step at ``at`` (never before the previous one), or stop the case if it lies
        after now. Returns the time used."""
        if self.last is not None and at <= self.last:
            at = self.last + timedelta(minutes=5)
        if at > self.now:
            raise _Cutoff
        before = self.status
        if to_status is not None:
            self.status = to_status
        self.last = at
        self.events.append((at, name, before, self.status, actor, note, payload))
        return at

    def emit_side(self, at: datetime, name: str, actor: str, note=None, payload=None) -> bool:
        if at > self.now:
            return False
        self.side.append((at, name, None, None, actor, note, payload))
        return True


class Generator:
    """Builds complaint rows, their timelines and rulings; ids and numbers assigned here."""

    def __init__(self, org: Org, deadlines: Deadlines, now: datetime, rng: random.Random,
                 notices: Dict[str, str], counters: Dict[str, int], reruling_window: int, last_ruling_id: int,
                 codes: Optional["JrtSuggestions"] = None, identity=None):
        self.org = org
        self.codes = codes
        # The blind indexes' key (issue 24): the application's cipher, taken along into a forked generator.
        self.identity = identity if identity is not None else cipher()
        self.next_ruling_id = last_ruling_id
        self.deadlines = deadlines
        self.now = now
        self.today = now.date()
        self.rng = rng
        self.notices = notices
        self.counters = counters
        self.reruling_window = reruling_window
        self.start_day = self.today - timedelta(days=round(365.25 * YEARS_BACK))
        self.span_days = (self.today - self.start_day).days
        self._channels = _weights(CHANNEL_WEIGHTS)
        self._categories = _weights(CATEGORY_WEIGHTS)
        self._methods = _weights(REPLY_METHOD_WEIGHTS)
        self._not_responsible = _weights(NOT_RESPONSIBLE_WEIGHTS)
        self._branches = _weights({i: b.weight for i, b in enumerate(org.branches)})
        self.statuses = Counter()
        self.extras = Counter()
        self._template = {c.name: None for c in Complaint.__table__.columns}

    # -- small helpers --
    def pick(self, weights):
        keys, cumulative, total = weights
        return keys[bisect.bisect_right(cumulative, self.rng.random() * total)]

    def one(self, items):
        return items[int(self.rng.random() * len(items))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def at(self, day: date, first=510, last=1050) -> datetime:
        """A time on ``day`` between ``first`` and ``last`` minutes after midnight (working hours)."""
        seconds = first * 60 + int(self.rng.random() * (last - first) * 60)
        return datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)

    def workday_at(self, day: date) -> datetime:
        return self.at(self.deadlines.workday_on_or_after(day))

    def days_after(self, moment: datetime, low: int, high: int) -> date:
        return moment.date() + timedelta(days=low + int(self.rng.random() * (high - low + 1)))

    def received(self) -> datetime:
        """A receipt time over the last ten years, recent years more (density 1 : 3 oldest : newest)."""
        x = (math.sqrt(1 + 8 * self.rng.random()) - 1) / 2
        day = self.start_day + timedelta(days=min(int(x * (self.span_days + 1)), self.span_days))
        moment = self.at(day, 420, 1260)
        if moment > self.now:
            moment = self.now - timedelta(minutes=int(self.rng.random() * 600))
        return moment

    def number(self, created: datetime) -> str:
        day = created.strftime("%Y%m%d")
        last = self.counters.get(day, 0) + 1
        self.counters[day] = last
        return f"TS{day}-{last:04d}"

    def handler_in(self, branch: Branch, avoid: Optional[int]) -> Optional[Person]:
        pool = [p for p in branch.counters if p.id != avoid] or [p for p in branch.staff if p.id != avoid]
        return self.one(pool) if pool else None

    def facts(self, category: str) -> str:
        rng = self.rng
        return self.one(FACTS[category]).format(
            when=self.one(WHEN), biz=self.one(BUSINESS), minutes=20 + int(rng.random() * 100),
            times=2 + int(rng.random() * 4), fee_item=self.one(FEE_ITEMS),
            amount=f"{_money(rng, 2, 300):.2f}", days=1 + int(rng.random() * 6),
        )

    # -- one complaint --
    def complaint(self, cid: int):
        """(complaint row, [event tuples], [ruling rows], [ruling staff rows]) of case ``cid``."""
        rng = self.rng
        org = self.org
        row = dict(self._template)
        case = _Case(self.now)
        rulings, links = [], []

        branch = org.branches[self.pick(self._branches)]
        channel = self.pick(self._channels)
        category = self.pick(self._categories)
        received = self.received()
        respondent = None
        if self.chance(0.45):
            respondent = self.one(branch.counters) if branch.head is None or self.chance(0.9) else branch.head
        if channel in ("hotline", "referral"):
            registrar = self.one(org.officers)
        else:
            registrar = branch.head if branch.head is not None and self.chance(0.2) else self.one(branch.counters)
        if respondent is not None and registrar.id == respondent.id:
            registrar = self.handler_in(branch, respondent.id) or registrar
        late_entry = channel in ("box", "book")
        # Suggestion boxes and books are emptied later: registered up to a few days after receipt.
        created = received + (timedelta(days=int(rng.random() * 4), seconds=int(rng.random() * 10800)) if late_entry
                              else timedelta(minutes=1 + int(rng.random() * 40)))
        created = min(created, self.now)
        delegate = self.chance(0.05)
        fee = _money(rng, 5, 500) if category == "fee" and self.chance(0.85) else None
        handler_id = registrar.id if respondent is None or registrar.id != respondent.id else None
        unit_id = registrar.unit_id
        row.update(
            id=cid, number=self.number(created), external_ref=EXTERNAL_REF.format(cid), channel=channel,
            received_at=received, complainant_name=_name(rng),
            # bulk inserts bypass the model's write listener: stored in the normal form here
            complainant_phone=normal_phone(_phone(rng)) if self.chance(0.92) else None,
            complainant_id_number=_id_number(rng) if self.chance(0.7) else None,
            complainant_address=_address(rng) if self.chance(0.8) else None,
            is_delegate=delegate, principal_name=_name(rng) if delegate else None,
            branch_id=branch.id, respondent_staff_id=respondent.id if respondent else None,
            category=category, disputed_fee=fee, facts=self.facts(category),
            customer_request=self.one(REQUESTS) if self.chance(0.8) else None,
            status=s.REGISTERED, handling_unit_id=unit_id, handler_id=handler_id,
            due_date_provisional=False, extension_status=s.EXT_NONE, ruling_final=False, phone_shared=False,
            reruling_status=s.RERULING_NONE, created_at=created, created_by_id=None,
            appeal_decision_due_provisional=False,
            # registration's JR/T 0169 suggestion, unconfirmed (no classify step in the bench data)
            jrt_confirmed=False, **(self.codes(channel, category, received.date()) if self.codes else {}),
        )
        # The blind indexes, as the model's write listeners set them (the phone is in its normal form).
        row["phone_index"] = self.identity.blind_index("phone", row["complainant_phone"])
        row["name_index"] = self.identity.blind_index("name", normal_name(row["complainant_name"]))
        try:
            case.emit(created, "register", registrar.name, s.REGISTERED, payload={
                "channel": channel, "branch_id": branch.id, "category": category,
                "assigned": {"unit_id": unit_id, "handler_id": handler_id}})
            # -- reject, or accept --
            if self.chance(P_REJECT * (2.5 if category == "other" else 1.0)):
                reason = "out_of_scope" if self.chance(0.4) else "ineligible"
                note = self.one(REJECT_NOTES[reason])
                case.emit(self.workday_at(self.days_after(created, 0, 3)), "reject", self.one(org.officers).name,
                          s.REJECTED, note, {"reason": reason, "note": note})
                return self._finish(row, case, rulings, links)
            if self.chance(P_STALL_REGISTERED):
                self.extras["stalled_registered"] += 1
                return self._finish(row, case, rulings, links)
            level = "union" if self.chance(P_UNION_LEVEL_REFERRAL if channel == "referral" else P_UNION_LEVEL) else "branch"
            accepted_at = self.workday_at(self.days_after(created, 0, 2))
            avoid = respondent.id if respondent else None
            if level == "union":
                actor = self.one(org.officers)
                new_unit = org.office_unit_id
                keep = handler_id is not None and unit_id == new_unit
                new_handler = handler_id if keep else self.one(org.officers).id
            else:
                # A branch head never sees (so never accepts) a complaint about themselves.
                head_accepts = branch.head is not None and self.chance(0.7) and branch.head != respondent
                actor = branch.head if head_accepts else self.one(org.officers)
                new_unit = branch.id
                if handler_id is not None and unit_id == branch.id:
                    new_handler = handler_id
                else:
                    chosen = self.handler_in(branch, avoid)
                    new_handler = chosen.id if chosen else None
            payload = {"level": level, "handling_unit_id": new_unit}
            if new_handler is not None:
                payload["handler_id"] = new_handler
            if (new_unit, new_handler) != (unit_id, handler_id):
                payload["assigned"] = {"unit_id": new_unit, "handler_id": new_handler}
                payload["previous"] = {"unit_id": unit_id, "handler_id": handler_id}
            due = self.deadlines.handling(received.date(), level)
            payload["deadline"] = {"old": None, "new": due.date.isoformat()}
            case.emit(accepted_at, "accept", actor.name, s.PROCESSING, None, payload)
            unit_id, handler_id = new_unit, new_handler
            row.update(level=level, handling_unit_id=unit_id, handler_id=handler_id,
                       eligibility={**{item: True for item in s.ELIGIBILITY_ITEMS}, "confirmed_by_acceptance": True},
                       due_date=due.date, due_date_provisional=due.provisional, deadline_days=cal.handling_days(level))
            handler_name = self._person_name(handler_id, branch) or actor.name

            # -- transfer (to the branch head, or up to the union) --
            head_free = branch.head is not None and branch.head.id not in (handler_id, avoid)
            if level == "branch" and (branch.reaches_office or head_free) and self.chance(P_TRANSFER):
                up = branch.reaches_office and (not head_free or self.chance(0.5))
                if up:  # the branch names no one at the union: the office assigns its own handler
                    to_unit, to_staff, reason = org.office_unit_id, None, self.one(TRANSFER_UP)
                    body = {"to_unit_id": to_unit, "level": "union", "reason": reason}
                else:
                    to_unit, to_staff, reason = branch.id, branch.head, self.one(TRANSFER_HEAD)
                    body = {"to_unit_id": to_unit, "to_staff_id": to_staff.id, "reason": reason}
                to_staff_id = None if to_staff is None else to_staff.id
                body["assigned"] = {"unit_id": to_unit, "handler_id": to_staff_id}
                body["previous"] = {"unit_id": unit_id, "handler_id": handler_id}
                if up:
                    moved = self.deadlines.handling(received.date(), "union")
                    if moved.date != due.date:
                        body["deadline"] = {"old": due.date.isoformat(), "new": moved.date.isoformat()}
                case.emit(self.workday_at(self.days_after(case.last, 1, 4)), "transfer", handler_name, None,
                          reason, body)
                unit_id, handler_id = to_unit, to_staff_id
                handler_name = self.one(org.officers).name if to_staff is None else to_staff.name
                row.update(handling_unit_id=unit_id, handler_id=handler_id)
                if up:
                    level = "union"
                    due = self.deadlines.handling(received.date(), level)
                    row.update(level=level, due_date=due.date, due_date_provisional=due.provisional,
                               deadline_days=cal.handling_days(level))
                self.extras["transferred"] += 1

            # -- extension (§13): asked before the deadline by the branch's handler or head (the
            # discipline officer holding a union-level case has no such permission), decided by
            # the discipline office --
            if level == "branch" and self.chance(P_EXTENSION) and case.last.date() < due.date:
                informed_day = case.last.date() + timedelta(
                    days=1 + int(rng.random() * (due.date - case.last.date()).days))
                informed = self.at(min(informed_day, due.date))
                requested = self.deadlines.after(due.date, 10)
                reason = self.one(EXTENSION_REASONS)
                case.emit(informed + timedelta(minutes=30), "request_extension", handler_name, None, reason, {
                    "reason": reason, "customer_informed_at": informed.isoformat(),
                    "customer_informed_by": self.pick(self._methods), "report": EXTENSION_REPORT,
                    "requested_due_date": requested.date.isoformat()})
                row.update(extension_status=s.EXT_REQUESTED, extension_requested_due=requested.date)
                self.extras["extension_requested"] += 1
                if self.chance(P_EXTENSION_PENDING):
                    return self._finish(row, case, rulings, links)
                approved = self.chance(P_EXTENSION_APPROVED)
                decided = self.workday_at(self.days_after(case.last, 1, 3))
                if approved:
                    case.emit(decided, "decide_extension", self.one(org.officers).name, None, EXTENSION_APPROVED_NOTE,
                              {"approved": True, "due_date": requested.date.isoformat(), "note": EXTENSION_APPROVED_NOTE,
                               "deadline": {"old": due.date.isoformat(), "new": requested.date.isoformat()}})
                    due = cal.Deadline(requested.date, False)
                    row.update(extension_status=s.EXT_APPROVED, due_date=due.date, due_date_provisional=False)
                else:
                    case.emit(decided, "decide_extension", self.one(org.officers).name, None, EXTENSION_REFUSED_NOTE,
                              {"approved": False, "note": EXTENSION_REFUSED_NOTE})
                    row.update(extension_status=s.EXT_REFUSED)

            if self.chance(P_STALL_PROCESSING):
                self.extras["stalled_processing"] += 1
                return self._finish(row, case, rulings, links)

            # -- reply (§10, §14) --
            start = case.last.date()
            if start <= due.date and not self.chance(P_LATE_REPLY):
                reply_day = start + timedelta(days=int(rng.random() * ((due.date - start).days + 1)))
            else:
                reply_day = max(start, due.date) + timedelta(days=1 + int(rng.random() * 20))
            replied = case.emit(self.workday_at(reply_day), "reply", handler_name, s.REPLIED)
            method = self.pick(self._methods)
            content = f"{self.one(FINDINGS)},{self.one(ACTIONS)},客户{self.one(ATTITUDES)}。"
            case.events[-1] = case.events[-1][:6] + ({"method": method, "content": content,
                                                      "replied_at": replied.isoformat()},)
            # §14: the window of a call or visit runs from the reply day, and its notice names the
            # last day. A letter's runs from the day the customer received it, which nobody knows
            # when replying: its notice names no date, and the handler records the day of receipt
            # later (record_receipt, on the first working day on or after it).
            letter = method == "letter"
            appeal_due = None if letter else self.deadlines.appeal_window(replied.date())
            notice = self.notices[(unit_id, letter)]
            row.update(replied_at=replied, replied_by_unit_id=unit_id, reply_method=method, reply_content=content,
                       appeal_due_date=appeal_due,
                       appeal_notice=notice if letter else notice.replace(_DATE_SLOT, appeal_due.isoformat()))
            if letter:
                received_on = replied.date() + timedelta(days=1 + int(rng.random() * 3))
                case.emit(self.workday_at(received_on), "record_receipt", handler_name, None, None,
                          {"customer_received_on": received_on.isoformat()})
                appeal_due = self.deadlines.appeal_window(received_on)
                row.update(reply_received_on=received_on, appeal_due_date=appeal_due)

            # -- responsibility ruling (§17–§19) and re-ruling --
            if self.chance(P_RULING):
                self._rule(row, case, branch, respondent, fee, category, rulings, links)

            # -- appeal (§14), from replied or (less often) after closing --
            closed_once = False
            window = (appeal_due - case.last.date()).days if appeal_due is not None else 0
            appealable = window >= 1 and org.appeal_bodies[unit_id] is not None
            if appealable and self.chance(P_APPEAL * (2 if row["ruling_result"] == s.RESPONSIBLE else 1)):
                if window >= 3 and self.chance(P_APPEAL_FROM_CLOSED):
                    # Closed the same or the next day (no day off in between: the window stays open).
                    close_day = case.last.date() + timedelta(days=int(rng.random() * 2))
                    row["closed_at"] = case.emit(self.at(close_day), "close", handler_name, s.CLOSED)
                    closed_once = True
                    window = (appeal_due - case.last.date()).days
                self._appeal(row, case, unit_id, appeal_due, window)

            # -- close, follow-up (§15) --
            if self.chance(P_STALL_REPLIED):
                self.extras["stalled_replied"] += 1
                return self._finish(row, case, rulings, links)
            closed = case.emit(self.workday_at(self.days_after(case.last, 0, 7)), "close", handler_name, s.CLOSED)
            row["closed_at"] = closed
            if closed_once:
                self.extras["closed_twice"] += 1
            if self.chance(P_FOLLOW_UP):
                visited = self.days_after(closed, 1, 20)
                satisfied = self.chance(P_SATISFIED)
                note = self.one(FOLLOW_UP_SATISFIED) if satisfied else FOLLOW_UP_UNSATISFIED
                forwarded = None
                if not satisfied and (row["ruling_result"] == s.NOT_RESPONSIBLE or self.chance(0.4)):
                    forwarded = self.one(FORWARDED_TO)
                follow_method = self.pick(self._methods)
                heads = branch.head is not None and unit_id == branch.id  # §15: the head over the handling unit
                actor = branch.head.name if heads and self.chance(0.7) else self.one(org.officers).name
                body = {"visited_at": visited.isoformat(), "method": follow_method, "satisfied": satisfied, "note": note}
                if forwarded:
                    body["forwarded_to"] = forwarded
                if visited > self.today:
                    raise _Cutoff
                case.emit(self.at(visited), "follow_up", actor, None, note, body)
                row.update(followed_up_at=visited, follow_up_method=follow_method, follow_up_satisfied=satisfied,
                           follow_up_note=note, forwarded_to=forwarded)
        except _Cutoff:
            pass
        return self._finish(row, case, rulings, links)

    def _person_name(self, staff_id, branch: Branch) -> Optional[str]:
        for person in branch.staff + self.org.officers:
            if person.id == staff_id:
                return person.name
        return None

    def _rule(self, row, case, branch, respondent, fee, category, rulings, links):
        rng, org = self.rng, self.org
        committee = org.committees.get(branch.id)
        if committee is None:
            return  # no committee rules this branch's cases: nothing the service could record
        responsible = self.chance(0.55 if respondent is not None else 0.35)
        if responsible:
            code = RESPONSIBLE_CATEGORY[category] if self.chance(0.7) else self.one(s.RULING_CATEGORIES[s.RESPONSIBLE])
            if code == s.FEE_CATEGORY and fee is None:
                code = "18.1"
            staff = [respondent] if respondent is not None else [self.one(branch.counters)]
            if branch.head is not None and branch.head not in staff and self.chance(0.1):
                staff.append(branch.head)
            fee_borne = fee if code == s.FEE_CATEGORY else None
            basis = self.one(RESPONSIBLE_BASIS)
        else:
            code = self.pick(self._not_responsible)
            staff, fee_borne, basis = [], None, self.one(NOT_RESPONSIBLE_BASIS)
        about = staff + ([respondent] if respondent is not None else [])
        at = self.workday_at(self.days_after(case.last, 1, 10))
        present = committee.sitting(at.date(), {p.id for p in about}, {p.unit_id for p in about}, branch.id)
        if not present:
            return  # no quorum that day (recusals, terms): the service would refuse the ruling
        recorder = self.one([p for p, _ in present if p.id in committee.recorders])
        ruled = case.emit(at, "rule", recorder.name)
        ruling_id = self._next_ruling()
        result = s.RESPONSIBLE if responsible else s.NOT_RESPONSIBLE
        rulings.append({
            "id": ruling_id, "complaint_id": row["id"], "kind": "ruling", "result": result, "category": code,
            "verified": responsible or self.chance(0.3), "basis": basis, "members": None, "fee_borne": fee_borne,
            "ruled_on": ruled.date(), "recorded_at": ruled, "recorded_by_id": None, "body_id": committee.body_id,
        })
        links.extend({"ruling_id": ruling_id, "staff_id": p.id, "complaint_id": row["id"]} for p in staff)
        links.extend(self._seats(ruling_id, committee, present))
        body = {"result": result, "category": code, "verified": rulings[-1]["verified"],
                "staff_ids": [p.id for p in staff], "basis": basis, **self._present(committee, present)}
        if fee_borne is not None:
            body["fee_borne"] = str(fee_borne)
        case.events[-1] = case.events[-1][:5] + (basis, body)
        deadline = ruled.date() + timedelta(days=self.reruling_window)
        row.update(ruling_result=result, ruling_category=code, ruling_final=False, ruled_on=ruled.date(),
                   reruling_deadline=deadline)
        self.extras["rulings"] += 1
        # §17: the ruled staff member may ask once for a re-ruling; the higher body's ruling is final.
        higher = org.highers.get(branch.id)
        if not responsible or higher is None or not self.chance(P_RERULING):
            return
        requested = self.at(self.days_after(ruled, 1, self.reruling_window))
        if requested.date() > deadline:
            requested = self.at(deadline)
        reason = self.one(RERULING_REASONS)
        if not case.emit_side(requested, "request_reruling", staff[0].name, reason, {"reason": reason}):
            return
        row.update(reruling_status=s.RERULING_REQUESTED, reruling_requested_at=requested, reruling_reason=reason,
                   reruling_unit_id=higher.unit_id)
        self.extras["rerulings_requested"] += 1
        if self.chance(P_RERULING_PENDING):
            return
        decided = self.workday_at(self.days_after(requested, 5, 30))
        sitting = higher.sitting(decided.date(), {p.id for p in about}, {p.unit_id for p in about}, branch.id)
        if not sitting:
            return
        changed = self.chance(P_RERULING_CHANGED)
        new_result = s.NOT_RESPONSIBLE if changed else s.RESPONSIBLE
        new_code = self.pick(self._not_responsible) if changed else code
        basis = RERULING_CHANGED if changed else RERULING_UPHELD
        new_fee = fee_borne if new_code == s.FEE_CATEGORY else None
        body = {"result": new_result, "category": new_code, "basis": basis}
        if new_fee is not None:
            body["fee_borne"] = str(new_fee)
        body.update(self._present(higher, sitting))
        recorder = self.one([p for p, _ in sitting if p.id in higher.recorders])
        if not case.emit_side(decided, "decide_reruling", recorder.name, basis, body):
            return
        reruling_id = self._next_ruling()
        rulings.append({
            "id": reruling_id, "complaint_id": row["id"], "kind": "reruling", "result": new_result,
            "category": new_code, "verified": not changed, "basis": basis, "members": None, "fee_borne": new_fee,
            "ruled_on": decided.date(), "recorded_at": decided, "recorded_by_id": None, "body_id": higher.body_id,
        })
        links.extend(self._seats(reruling_id, higher, sitting))
        if not changed:
            links.extend({"ruling_id": reruling_id, "staff_id": p.id, "complaint_id": row["id"]} for p in staff)
        row.update(ruling_result=new_result, ruling_category=new_code, ruling_final=True,
                   reruling_status=s.RERULING_DECIDED)
        self.extras["rerulings_decided"] += 1

    def _appeal(self, row, case, unit_id, appeal_due, window):
        org = self.org
        applied = case.last.date() + timedelta(days=1 + int(self.rng.random() * window))
        applied = min(applied, appeal_due)
        body_unit, deciders = org.appeal_bodies[unit_id]
        content = self.one(APPEAL_CONTENTS)
        if applied > self.today:
            raise _Cutoff
        case.emit(self.at(applied), "appeal", self.one(org.officers).name, s.APPEALED, None,
                  {"applied_at": applied.isoformat(), "content": content})
        decision_due = self.deadlines.after(applied, cal.APPEAL_DECISION_DAYS)
        row.update(appeal_applied_on=applied, appeal_content=content, appeal_unit_id=body_unit,
                   appeal_decision_due=decision_due.date, appeal_decision_due_provisional=decision_due.provisional)
        self.extras["appeals"] += 1
        if self.chance(P_APPEAL_PENDING) or not deciders:  # nobody in the body: it stays undecided
            raise _Cutoff
        decided = self.workday_at(self.days_after(case.last, 5, 45))
        decision = "changed" if self.chance(P_APPEAL_CHANGED) else "upheld"
        text_ = APPEAL_CHANGED if decision == "changed" else APPEAL_UPHELD
        decided = case.emit(decided, "decide_appeal", self.one(deciders).name, s.REPLIED, None,
                            {"decision": decision, "content": text_, "replied_at": decided.isoformat()})
        row.update(appeal_decision=decision, appeal_decision_content=text_, appeal_decided_at=decided)

    def _next_ruling(self) -> int:
        self.next_ruling_id += 1
        return self.next_ruling_id

    @staticmethod
    def _present(seating, present) -> dict:
        """The timeline's record of who sat, as the service writes it (ids, then each one's role)."""
        return {"members": [p.id for p, _ in present], "member_roles": [role for _, role in present]}

    @staticmethod
    def _seats(ruling_id, seating, present) -> list:
        """The ``ruling_member`` rows of who sat (told from the ruling staff rows by their role)."""
        return [{"ruling_id": ruling_id, "staff_id": p.id, "role": role} for p, role in present]

    def _finish(self, row, case, rulings, links):
        events = case.events
        if case.side:
            # Re-ruling steps keep the status they happen in: place them in time order.
            merged = sorted(events + case.side, key=lambda e: e[0])
            status, events = None, []
            for event in merged:
                if event[2] is None and event[3] is None and event[1] in ("request_reruling", "decide_reruling"):
                    event = event[:2] + (status, status) + event[4:]
                status = event[3]
                events.append(event)
        row["status"] = case.status
        row["version"] = len(events)  # 1 at registration, +1 per change
        self.statuses[case.status] += 1
        return row, events, rulings, links


# --- writing -----------------------------------------------------------------------------------

_DATE_SLOT = "\x00date\x00"
# The order event rows are built in (``_Producer.batches``): the table's column order.
EVENT_COLUMNS = ("id", "complaint_id", "at", "actor_id", "actor_name", "name", "from_status", "to_status",
                 "note", "payload")


class JrtSuggestions:
    """The JR/T 0169 codes registration suggests (``services/classification.suggest``) as column
    values, for a channel, a category and a day of receipt. The answer only changes where a code
    comes into or goes out of force, so it is kept per stretch between those days (a handful of
    entries for ten years of cases); no random numbers are drawn, so the data stay the same."""

    def __init__(self, rows):
        from app.domain import jrt0169 as j
        from app.services import classification

        self._j = j
        self._table = classification.entries(rows)
        self._ids = {row.code: row.id for row in rows}
        bounds = set()
        for entry in self._table:
            if entry.valid_from is not None:
                bounds.add(entry.valid_from)
            if entry.valid_to is not None:
                bounds.add(entry.valid_to + timedelta(days=1))
        self._bounds = sorted(bounds)
        self._memo: Dict[tuple, dict] = {}

    def __call__(self, channel: str, category: str, day: date) -> dict:
        stretch = bisect.bisect_right(self._bounds, day)
        key = (channel, category, stretch)
        if key not in self._memo:
            j = self._j
            self._memo[key] = {
                j.COLUMNS[dimension]: self._ids[code]
                if code is not None and j.refusal(self._table, dimension, code, day) is None else None
                for dimension, code in j.suggestion(channel, category).items()}
        return self._memo[key]


def appeal_notices(org: "Org") -> Dict[Tuple[int, bool], str]:
    """§14: the appeal notice per (unit that decides, written reply), as
    ``services.complaints.appeal_notice`` writes it with the reply of a branch or of the office
    handling union-level cases: a call's or visit's with a slot for its last day, a letter's
    without a date (its window starts when the customer receives it)."""
    from app.services.complaints import appeal_notice

    slot = SimpleNamespace(isoformat=lambda: _DATE_SLOT)
    with force_locale("zh"):
        return {
            (unit.id, letter): appeal_notice(SimpleNamespace(
                level=None, reply_method="letter" if letter else "phone", appeal_due_date=None if letter else slot,
                replied_by_unit=unit, replied_by_unit_id=unit.id))
            for unit in (db.session.get(OrgUnit, unit_id) for unit_id in org.appeal_bodies)
            for letter in (False, True)
        }


class _Table:
    """One table as the bulk load writes it: column order and per-column value conversion."""

    def __init__(self, model_table, dialect, identity=None):
        self.name = model_table.name
        self.columns = [c.name for c in model_table.columns]
        sqlite = dialect.name == "sqlite"
        # Every column, positional parameters in column order (SQLite's qmark style).
        self.insert_sql = str(insert(model_table).compile(dialect=dialect)) if sqlite else None
        self.converters = []
        for c in model_table.columns:
            if isinstance(c.type, EncryptedIdentity):
                # Issue 24: encrypted as the column type writes it, in the generating process.
                self.converters.append(lambda value, field=c.name, seal=(identity or cipher()).seal: seal(field, value))
            elif isinstance(c.type, JSON) or isinstance(getattr(c.type, "impl_instance", None), JSON):
                # Serialised here, the way SQLAlchemy's JSON type does; None stays SQL NULL (as an
                # unset ORM attribute), not the JSON literal null.
                self.converters.append(json.dumps)
            elif sqlite:
                # SQLite stores what SQLAlchemy binds (date-time text, 0/1, floats): the same here.
                self.converters.append(_sqlite_converter(c.type, dialect))
            else:
                self.converters.append(None)  # psycopg adapts dates, decimals and booleans itself
        self.active = [(i, f) for i, f in enumerate(self.converters) if f is not None]

    def values(self, rows):
        """Dicts (keyed by column) or tuples (in column order) → lists ready for the driver."""
        columns, active = self.columns, self.active
        out = []
        for row in rows:
            values = [row[c] for c in columns] if isinstance(row, dict) else list(row)
            for i, convert in active:
                value = values[i]
                if value is not None:
                    values[i] = convert(value)
            out.append(values)
        return out


def _sqlite_converter(column_type, dialect):
    """SQLAlchemy's own bind conversion for ``column_type`` on SQLite, or a faster equivalent
    (checked to give identical text) for date-times and dates; None when nothing is needed."""
    process = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None or isinstance(column_type, Boolean):
        return None  # sqlite3 binds True/False as 1/0 itself
    sample = datetime(2024, 2, 29, 9, 5, 7, 12)
    if isinstance(column_type, DateTime):
        fast = _datetime_text
        return fast if fast(sample) == process(sample) else process
    if isinstance(column_type, Date):
        fast = date.isoformat
        return fast if fast(sample.date()) == process(sample.date()) else process
    return process


def _same(value):
    return value


def _datetime_text(value: datetime) -> str:
    return value.isoformat(" ", "microseconds")


@dataclass
class _Batch:
    """One batch, ready for the driver: rows as lists in column order, plus the number counters
    it moved ({day: last number})."""

    size: int
    complaints: list
    events: list
    rulings: list
    links: list
    seats: list
    counters: Dict[str, int]


class _Producer:
    """Generates the batches (pure Python, no database): in this process, or in a forked child
    process so that generating the next batch overlaps writing this one."""

    def __init__(self, generator: "Generator", tables: Dict[str, _Table], first_id: int, n: int,
                 batch_size: int, last_event_id: int):
        self.generator = generator
        self.tables = tables
        self.first_id = first_id
        self.n = n
        self.batch_size = batch_size
        self.next_event_id = last_event_id
        if tables["complaint_event"].columns != list(EVENT_COLUMNS):
            raise RuntimeError("complaint_event columns changed: update EVENT_COLUMNS and the event rows")

    def batches(self):
        generator, tables = self.generator, self.tables
        event_table = tables["complaint_event"]
        at_text = event_table.converters[event_table.columns.index("at")] or _same
        dumps = json.dumps
        done = 0
        while done < self.n:
            size = min(self.batch_size, self.n - done)
            complaints, events, rulings, links = [], [], [], []
            touched = {}
            event_id = self.next_event_id
            for cid in range(self.first_id + done + 1, self.first_id + done + size + 1):
                row, timeline, case_rulings, case_links = generator.complaint(cid)
                complaints.append(row)
                touched[row["number"][2:10]] = None
                for at, name, before, after, actor, note, payload in timeline:
                    event_id += 1
                    # Already in driver form (see _Table): the bulk of the rows, converted once.
                    events.append([event_id, cid, at_text(at), None, actor, name, before, after, note,
                                   None if payload is None else dumps(payload)])
                rulings.extend(case_rulings)
                links.extend(case_links)
            self.next_event_id = event_id
            done += size
            yield _Batch(
                size=size,
                complaints=tables["complaint"].values(complaints),
                events=events,
                rulings=tables["ruling"].values(rulings),
                links=tables["ruling_staff"].values([link for link in links if "role" not in link]),
                seats=tables["ruling_member"].values([link for link in links if "role" in link]),
                counters={day: generator.counters[day] for day in touched},
            )

    # -- in a child process --
    def _run_child(self, queue) -> None:
        try:
            for batch in self.batches():
                queue.put(("batch", batch))
            queue.put(("done", (self.generator.statuses, self.generator.extras)))
        except BaseException:  # reported to the parent, which raises it
            import traceback

            queue.put(("error", traceback.format_exc()))

    def parallel(self):
        """Batches produced by a forked child process (at most a few batches ahead)."""
        import multiprocessing

        context = multiprocessing.get_context("fork")
        queue = context.Queue(maxsize=2)
        child = context.Process(target=self._run_child, args=(queue,), name="seed-bench-generator", daemon=True)
        child.start()
        try:
            while True:
                try:
                    kind, content = queue.get(timeout=1)
                except Empty:
                    if not child.is_alive():
                        raise RuntimeError(f"the bench data generator stopped (exit code {child.exitcode})")
                    continue
                if kind == "batch":
                    yield content
                elif kind == "done":
                    self.generator.statuses, self.generator.extras = content
                    return
                else:
                    raise RuntimeError(f"bench data generation failed: {content}")
        finally:
            if child.is_alive():
                child.terminate()
            child.join(10)
            queue.close()


class _Writer:
    """Inserts one batch per transaction on its own connection, through the driver directly:
    SQLite executemany (with bulk-load pragmas), PostgreSQL COPY."""

    def __init__(self, connection, tables: Dict[str, _Table], known_days):
        self.connection = connection
        self.dialect = connection.dialect.name
        self.sqlite = self.dialect == "sqlite"
        self.tables = tables
        self.known_days = set(known_days)
        counter = NumberCounter.__table__
        self.counter_insert = insert(counter)
        self.counter_update = update(counter).where(counter.c.day == bindparam("b_day")).values(
            last=bindparam("b_last"))
        self._restore = {}

    def __enter__(self):
        if self.sqlite:
            for pragma, value in (("synchronous", "OFF"), ("cache_size", "-262144"), ("temp_store", "MEMORY")):
                self._restore[pragma] = self.connection.exec_driver_sql(f"PRAGMA {pragma}").scalar()
                self.connection.exec_driver_sql(f"PRAGMA {pragma}={value}")
            self.connection.commit()
        return self

    def __exit__(self, *exc):
        if self.connection.in_transaction():
            self.connection.rollback()
        for pragma, value in self._restore.items():
            self.connection.exec_driver_sql(f"PRAGMA {pragma}={value}")
        self.connection.commit()
        return False

    def _put(self, name: str, values) -> None:
        if not values:
            return
        target = self.tables[name]
        cursor = self.connection.connection.driver_connection.cursor()
        try:
            if self.sqlite:
                cursor.executemany(target.insert_sql, values)
            else:
                with cursor.copy(f"COPY {name} ({', '.join(target.columns)}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
        finally:
            cursor.close()

    def write(self, batch: _Batch) -> None:
        """One batch, one transaction: cases, their timelines and rulings, the number counters."""
        new = [{"day": d, "last": n} for d, n in sorted(batch.counters.items()) if d not in self.known_days]
        moved = [{"b_day": d, "b_last": n} for d, n in sorted(batch.counters.items()) if d in self.known_days]
        with self.connection.begin():
            self._put("complaint", batch.complaints)
            self._put("complaint_event", batch.events)
            self._put("ruling", batch.rulings)
            self._put("ruling_staff", batch.links)
            self._put("ruling_member", batch.seats)
            if new:
                self.connection.execute(self.counter_insert, new)
            if moved:
                self.connection.execute(self.counter_update, moved)
            self._add_to_total(len(batch.complaints))
        self.known_days.update(batch.counters)

    def _add_to_total(self, n: int) -> None:
        """The kept complaint total (app/services/totals.py) moves with the batch's cases."""
        total = ComplaintTotal.__table__
        bumped = self.connection.execute(
            update(total).where(total.c.id == totals.ROW).values(count=total.c.count + n)
        ).rowcount
        if not bumped:  # no row yet: write it from an exact count, this batch included
            exact = select(func.count()).select_from(Complaint.__table__).scalar_subquery()
            self.connection.execute(insert(total).values(id=totals.ROW, count=exact))

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids assigned here; refresh planner statistics
        (PostgreSQL: VACUUM ANALYZE; SQLite: ANALYZE and a WAL checkpoint). The kept report
        months are rebuilt and the shared phone numbers marked first: bulk inserts bypass the session
        that keeps them current."""
        from app.reports import monthly, repeats

        with Session(bind=self.connection) as session:
            monthly.rebuild(session)
            repeats.mark_all(session)
            session.commit()
        self.connection.commit()
        tables = ("complaint", "complaint_event", "ruling", "ruling_staff", "ruling_member", "number_counter", "staff",
                  "org_unit",
                  "complaint_month")
        if self.dialect == "postgresql":
            for model in (Complaint, ComplaintEvent, Ruling):
                last = select(func.coalesce(func.max(model.id), 1)).scalar_subquery()
                self.connection.execute(select(func.setval(
                    func.pg_get_serial_sequence(model.__tablename__, "id"), last)))
            self.connection.commit()
            # VACUUM as well: it sets the visibility map, so the report aggregates can read the
            # covering index alone (an index-only scan), as they would on a settled database.
            driver = self.connection.connection.driver_connection
            driver.autocommit = True
            try:
                with driver.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE " + ", ".join(tables))
            finally:
                driver.autocommit = False
        else:
            self.connection.exec_driver_sql("PRAGMA analysis_limit=4000")
            for name in tables:
                self.connection.exec_driver_sql(f"ANALYZE {name}")
            self.connection.commit()
            # Fold the write-ahead log into the database file now rather than on a reader's time.
            self.connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self.connection.commit()


def _max_id(model) -> int:
    return db.session.execute(select(func.coalesce(func.max(model.id), 0))).scalar()


ProgressFn = Callable[[dict], None]


def _can_fork() -> bool:
    import multiprocessing
    import os

    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def seed(n: int, seed: int = 1, batch_size: int = DEFAULT_BATCH_SIZE, now: Optional[datetime] = None,
         progress: Optional[ProgressFn] = None, import_calendar: bool = True,
         parallel: Optional[bool] = None, log: Callable[[str], None] = lambda message: None) -> Report:
    """Add ``n`` bench complaints (with timelines and rulings) to the database.

    ``progress`` is called after every batch with a dict (done, total, events, rulings,
    batch_rate, rate, seconds); ``log`` with a line for each preparatory step. ``now`` defaults
    to the services' clock. ``import_calendar``: fill an empty work calendar from the package
    first. ``parallel``: generate in a forked process while this one writes (default: when there
    are several batches and CPUs); the data are the same either way. Returns a ``Report``.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    from app import clock
    from app.services.calendar import load_calendar

    started = time.perf_counter()
    now = (now or clock.now()).replace(microsecond=0)
    report = Report()
    if import_calendar:
        report.calendar_imported = ensure_calendar()
        if report.calendar_imported:
            log("The work calendar was empty: filled it from the chinesecalendar package.")
    first_id = _max_id(Complaint)
    # Reproducible bench data, never secrets: the seed and the database state fix every value.
    rng = random.Random(f"bench:{seed}:{first_id}")  # nosec B311
    org = ensure_org(rng)
    report.created_bench_tree = org.created_bench_tree
    if org.created_bench_tree:
        log("Added the bench organisation (unit codes and employee numbers BENCH-…).")
    log(f"Spreading over {len(org.branches)} branches.")
    counters = dict(db.session.execute(select(NumberCounter.day, NumberCounter.last)).all())
    generator = Generator(org, Deadlines(load_calendar()), now, rng, appeal_notices(org), counters,
                          current_app.config.get("RERULING_WINDOW_DAYS", 15), _max_id(Ruling),
                          JrtSuggestions(db.session.execute(select(JrtCode)).scalars().all()))
    last_event_id = _max_id(ComplaintEvent)
    engine = db.engine
    tables = {t.name: _Table(t, engine.dialect, cipher()) for t in (
        Complaint.__table__, ComplaintEvent.__table__, Ruling.__table__, RulingStaff.__table__,
        RulingMember.__table__)}
    producer = _Producer(generator, tables, first_id, n, batch_size, last_event_id)
    in_memory = engine.url.get_backend_name() == "sqlite" and engine.url.database in (None, "", ":memory:")
    if parallel is None:
        parallel = n > 2 * batch_size and _can_fork()
    parallel = parallel and not in_memory
    # The load runs on its own connection (the session's transaction ends here); a forked
    # generator must inherit no open connection.
    db.session.commit()
    if parallel:
        db.session.remove()
        engine.dispose()
        log("Generating in a second process while this one writes.")

    with engine.connect() as connection, _Writer(connection, tables, counters) as writer:
        done = 0
        batch_started = time.perf_counter()
        for batch in (producer.parallel() if parallel else producer.batches()):
            writer.write(batch)
            done += batch.size
            report.complaints = done
            report.events += len(batch.events)
            report.rulings += len(batch.rulings)
            if progress is not None:
                finished = time.perf_counter()
                progress({"done": done, "total": n, "events": report.events, "rulings": report.rulings,
                          "batch_rate": batch.size / max(finished - batch_started, 1e-9),
                          "rate": done / max(finished - started, 1e-9), "seconds": finished - started})
                batch_started = finished
        writer.finish()
    report.statuses = generator.statuses
    report.extras = generator.extras
    report.seconds = time.perf_counter() - started
    return report


def summary_lines(report: Report) -> List[str]:
    """A human-readable account of a run (for the CLI and the notes)."""
    lines = [
        f"Added {report.complaints:,} complaints, {report.events:,} timeline events, {report.rulings:,} rulings "
        f"in {report.seconds:.1f} s ({report.rate:,.0f} complaints/s).",
    ]
    if report.complaints:
        shares = ", ".join(f"{status} {count:,} ({100 * count / report.complaints:.1f}%)"
                           for status, count in sorted(report.statuses.items(), key=lambda kv: -kv[1]))
        lines.append(f"Statuses: {shares}.")
        lines.append("Also: " + ", ".join(f"{key} {value:,}" for key, value in sorted(report.extras.items())) + ".")
    return lines


def as_json(report: Report) -> str:
    return json.dumps({"complaints": report.complaints, "events": report.events, "rulings": report.rulings,
                       "seconds": round(report.seconds, 2), "statuses": dict(report.statuses),
                       "extras": dict(report.extras)}, ensure_ascii=False)
