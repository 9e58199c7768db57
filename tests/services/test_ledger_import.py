"""The complaint ledger import (issue 23), through the service the command and the page call: the
mapping (default, saved), every validation class (Chinese, row and column named, nothing written),
all or nothing, the states, dates, deadlines and rulings of imported cases, the timeline entry,
re-import idempotence, the GBK CSV, masking, permissions and scope, malformed files."""
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from flask_babel import gettext
from sqlalchemy import func, select
from stdnum.cn import ric

from app.domain import ledger as d
from app.extensions import db
from app.models import Complaint, ComplaintEvent, NumberCounter, OrgUnit, Ruling, Staff
from app.models.admin_audit import AdminAudit
from app.models.ledger import LedgerColumn
from app.reports import statistics
from app.reports.period import parse_period
from app.services import calendar_import
from app.services import complaints as svc
from app.services import ledger as service
from app.services.ledger_file import LedgerFileError, read_ledger
from app.services.story import timeline
from app.errors import PermissionDenied, ValidationFailed
from scripts import ledger_examples as examples

DOCS = Path(__file__).resolve().parents[2] / "docs"
TODAY = dt.datetime(2026, 12, 6, 10, 0)


@pytest.fixture
def demo(app, clock):
    """The demo county (its branches and staff are the example ledger's) and the official calendar."""
    from app.cli.demo import seed_demo

    seed_demo()
    calendar_import.import_from_package([2025, 2026])
    clock["now"] = TODAY
    sm = app.appbuilder.sm
    return {name: sm.find_user(username=name) for name in
            ("demo_admin", "demo_discipline", "demo_committee", "demo_branchhead", "demo_counter", "demo_leader",
             "demo_reruling")}


@pytest.fixture
def office(demo):
    return demo["demo_discipline"]


def _doc(name, sheet=None):
    path = DOCS / name
    return read_ledger(path.name, path.read_bytes(), sheet)


def _csv(rows, headers=examples.HEADERS, encoding="utf-8", name="ledger.csv"):
    return read_ledger(name, examples.csv_text(rows).replace(",".join(examples.HEADERS), ",".join(headers), 1)
                       .encode(encoding))


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def _written():
    return {model.__name__: _count(model) for model in (Complaint, ComplaintEvent, NumberCounter, Ruling, AdminAudit)}


def _case(number_or_ref):
    return db.session.execute(select(Complaint).where(Complaint.received_at.isnot(None), (
        Complaint.number == number_or_ref) | (Complaint.external_ref == number_or_ref))).scalar_one()


def _by_row(result):
    return {row.number: row for row in result.rows}


# A processing complaint in a branch of the demo county; tests change single cells.
BASE = dict(zip(examples.HEADERS, [
    "T-1", "2025-05-06", "客户服务热线", "王五", "13812345678", "", "城关信用社南街分社", "", "服务态度", "柜员态度差。",
    "", "", "处理中", "", "", "", "", "", "", "", "", ""]))


def _with(overrides):
    row = dict(BASE)
    row.update(overrides)
    return [row[header] for header in examples.HEADERS]


# --- the mapping -------------------------------------------------------------------------------------

def test_default_mapping_reads_the_headers_a_ledger_uses(app):
    ledger = _doc("ledger-example.xlsx")
    # The instructions sheet comes first: the ledger's sheet is found by its headers; its title row is skipped.
    assert ledger.sheets == ["填表说明", "2025-2026年"] and ledger.sheet == "2025-2026年"
    assert ledger.header_row == 2 and ledger.rows[0].number == 3
    mapping = d.default_mapping(ledger.headers, {})
    assert mapping["编号"] == "ledger_number" and mapping["登记日期"] == "received_at"
    assert mapping["投诉渠道"] == "channel" and mapping["身份证号"] == "complainant_id_number"
    assert mapping["被投诉网点"] == "branch" and mapping["处理结果"] == "reply_content"
    assert mapping["责任认定"] == "ruling" and mapping["责任人"] == "ruled_staff" and mapping["承担金额"] == "fee_borne"
    assert mapping["备注"] == d.IGNORE
    # Other ledgers' names, a required mark and full-width brackets; a field goes to its first column only.
    other = d.default_mapping(["受理时间", "客户姓名*", "投诉事由(必填)", "回复日期", "联系方式", "电话"], {})
    assert other == {"受理时间": "received_at", "客户姓名*": "complainant_name", "投诉事由(必填)": "facts",
                     "回复日期": "replied_at", "联系方式": "complainant_phone", "电话": ""}


def test_a_chosen_mapping_is_saved_for_the_next_ledger(demo, office):
    headers = ["来信日期", "渠道", "客户", "事由", "类别", "网点", "电话", "备注"]
    rows = [["2025-06-02", "意见箱", "赵六", "柜台无人。", "服务效率", "城关信用社营业部", "13812345678", "x"]]
    text = ",".join(headers) + "\n" + "\n".join(",".join(row) for row in rows) + "\n"
    ledger = read_ledger("a.csv", text.encode("utf-8"))
    first = service.mapping_for(ledger)
    assert first["来信日期"] == "" and first["客户"] == "" and first["渠道"] == "channel"
    with pytest.raises(service.MappingErrors) as refused:
        service.check_mapping(ledger, first)
    assert any("登记日期" in line for line in refused.value.lines())
    chosen = dict(first, 来信日期="received_at", 客户="complainant_name", 事由="facts", 电话="")
    service.check_mapping(ledger, chosen)
    service.save_mapping(ledger, chosen, office)
    assert db.session.get(LedgerColumn, "来信日期").field == "received_at"
    # The next ledger with these headers (spaces and full-width forms do not matter) starts from it;
    # a column ignored on purpose stays ignored although its header names a field.
    again = read_ledger("b.csv", text.replace("来信日期", "来信 日期").encode("utf-8"))
    assert service.mapping_for(again)["来信 日期"] == "received_at"
    assert service.mapping_for(again)["电话"] == ""
    result = service.import_ledger(office, again)
    assert result.committed and result.new == 1


def test_mapping_refusals_are_named(demo, office):
    ledger = _doc("ledger-example.xlsx")
    mapping = service.mapping_for(ledger)
    bad = dict(mapping, 投诉人="facts", 不存在="channel", 备注="nonsense")
    with pytest.raises(service.MappingErrors) as refused:
        service.import_ledger(office, ledger, bad)
    messages = refused.value.payload()
    assert "“投诉人”已对应到投诉事实" in " ".join(messages.get("投诉内容", []))
    assert "请从列表中选择" in " ".join(messages["备注"])
    assert any("不存在" in line for line in messages["_mapping"])
    assert any("投诉人" in line for line in messages["_mapping"])  # the complainant is no longer mapped
    without_branch = dict(mapping, 被投诉网点="")
    with pytest.raises(service.MappingErrors):
        service.check_mapping(ledger, without_branch)
    service.check_mapping(ledger, without_branch, default_branch=True)
    assert _count(Complaint) == 0


# --- the example ledger --------------------------------------------------------------------------------

def test_example_ledger_becomes_cases_in_the_states_it_records(demo, office):
    result = service.import_ledger(office, _doc("ledger-example.xlsx"))
    assert result.committed and result.errors == [] and result.new == len(examples.ROWS) == 21
    rows = {row[0]: row for row in examples.ROWS}
    ref = {number: _case(_by_row(result)[index + 3].case_number) for index, number in enumerate(rows)}

    first = ref["2025-001"]
    assert first.number == "TS20250106-0001" and first.status == "closed"
    assert first.received_at == dt.datetime(2025, 1, 6) and first.due_date == dt.date(2025, 1, 20)
    assert first.replied_at == dt.datetime(2025, 1, 9) and first.closed_at == dt.datetime(2025, 1, 10)
    assert first.reply_method == "phone" and first.channel == "hotline" and first.category == "attitude"
    assert first.complainant_phone == "13837012456" and first.complainant_id_number == "411421198503121232"
    assert first.respondent_staff.name == "杨雪" and first.branch.code == "CG-02"
    assert first.level == "branch" and first.handling_unit_id == first.branch_id
    assert first.replied_by_unit_id == first.branch_id and first.replied_by_id is None
    assert (first.ruling_result, first.ruling_category, first.ruled_on) == ("responsible", "18.2", dt.date(2025, 1, 10))
    assert [m.name for m in first.ruled_staff] == ["杨雪"]
    assert not svc.is_overdue(first, TODAY.date())
    assert first.appeal_notice and first.external_ref.startswith("ledger:")

    fee = ref["2025-003"]
    assert fee.disputed_fee == 20 and fee.rulings[0].fee_borne == 20 and fee.rulings[0].verified
    # Replied after the deadline computed with the calendar: late, as any late reply.
    late = ref["2025-004"]
    assert late.due_date == dt.date(2025, 3, 17) and late.replied_at.date() == dt.date(2025, 3, 28)
    assert svc.is_overdue(late, TODAY.date()) and late.reply_method == "visit"
    assert svc.is_overdue(ref["2025-009"], TODAY.date()) and svc.is_overdue(ref["2026-005"], TODAY.date())
    # Union level: 20 working days over the National Day holiday and its make-up Saturday.
    union = ref["2025-011"]
    assert union.level == "union" and union.due_date == dt.date(2025, 11, 5)
    assert union.handling_unit.code == "LS-JJ" and not svc.is_overdue(union, TODAY.date())
    referred = ref["2025-005"]
    assert referred.channel == "referral" and referred.reply_method == "letter" and referred.ruling_result == "not_responsible"
    assert referred.ruled_staff == []
    rejected = ref["2025-006"]
    assert rejected.status == "rejected" and rejected.due_date is None and rejected.replied_at is None
    reject_event = [e for e in rejected.events if e.name == "reject"][0]
    assert reject_event.payload["reason"] == "out_of_scope" and reject_event.at == dt.datetime(2025, 4, 16)
    assert ref["2026-005"].status == "replied" and ref["2026-005"].closed_at is None
    open_late = ref["2026-007"]
    assert open_late.status == "processing" and open_late.due_date == dt.date(2026, 11, 24)
    assert svc.is_overdue(open_late, TODAY.date())
    assert ref["2026-008"].status == "processing" and not svc.is_overdue(ref["2026-008"], TODAY.date())
    registered = ref["2026-009"]
    assert registered.status == "registered" and registered.due_date is None and registered.disputed_fee == 5
    assert ref["2025-010"].ruling_result is None and ref["2025-002"].ruling_category == "19.3"

    # The reports count the imported cases as any: 2025's late replies are late.
    period = parse_period(office, {"start": "2025-01-01", "end": "2025-12-31"}, TODAY.date())
    figures = statistics.summary(office, period, TODAY.date())
    assert figures["received"] == 12 and figures["by_status"]["rejected"] == 1
    assert figures["overdue"]["total"] == 2
    # The audit: who, the file, the rows.
    audit = db.session.execute(select(AdminAudit).where(AdminAudit.target_type == "ledger")).scalar_one()
    assert audit.actor_name == "demo_discipline" and audit.target_name == "ledger-example.xlsx"
    assert audit.changes["rows"] == 21 and audit.changes["imported"] == 21 and audit.changes["skipped"] == 0
    assert audit.changes["sheet"] == "2025-2026年" and len(audit.changes["sha256"]) == 64


def test_timeline_says_imported_from_the_ledger_row(demo, office):
    result = service.import_ledger(office, _doc("ledger-example.xlsx"))
    case = _case(_by_row(result)[5].case_number)  # 2025-003
    events = db.session.execute(select(ComplaintEvent).where(ComplaintEvent.complaint_id == case.id)
                                .order_by(ComplaintEvent.id)).scalars().all()
    assert [e.name for e in events] == ["register", "accept", "reply", "close", "rule", "import"]
    assert [e.at.date().isoformat() for e in events[:5]] == ["2025-02-18", "2025-02-18", "2025-02-20", "2025-02-21",
                                                             "2025-02-21"]
    assert all(e.payload["ledger_row"] == 5 for e in events[:5])
    last = events[-1]
    assert last.at == TODAY and last.actor_id == office.id
    assert last.payload == {"file": "ledger-example.xlsx", "sheet": "2025-2026年", "row": 5, "ledger_number": "2025-003"}
    told = timeline(events, case, full_identity=True)
    text = " ".join(detail for entry in told for _label, detail in entry.details)
    assert "导入自投诉登记台账 ledger-example.xlsx,工作表“2025-2026年”第 5 行" in text
    assert "投诉登记台账第 5 行" in text and "2025-003" in text
    assert case.rulings[0].basis.startswith("据投诉登记台账 ledger-example.xlsx 第 5 行录入")


def test_reimporting_creates_nothing(demo, office):
    ledger = _doc("ledger-example.xlsx")
    assert service.import_ledger(office, ledger).committed
    before = _written()
    again = service.import_ledger(office, _doc("ledger-example.xlsx"))
    assert not again.committed and again.new == 0 and again.before == 21 and again.errors == []
    assert {row.case_number for row in again.rows} == {c.number for c in db.session.execute(select(Complaint)).scalars()}
    # The same rows in the GBK CSV are the same complaints: nothing either.
    from_csv = service.import_ledger(office, _doc("ledger-example-gbk.csv"))
    assert from_csv.before == 21 and from_csv.new == 0
    assert _written() == before
    # A ledger that grew by a row imports that row only.
    grown = _csv(examples.ROWS + [_with({"编号": "2026-010", "登记日期": "2026-12-03"})])
    result = service.import_ledger(office, grown)
    assert result.committed and result.new == 1 and result.before == 21


def test_gbk_csv_imports_like_the_workbook(demo, office):
    ledger = _doc("ledger-example-gbk.csv")
    assert ledger.encoding == "GBK" and ledger.kind == "csv" and len(ledger.rows) == 21
    assert ledger.rows[0].cells["投诉人"] == "王桂芳"
    result = service.import_ledger(office, ledger)
    assert result.committed and result.new == 21
    case = _case(_by_row(result)[2].case_number)
    assert case.complainant_name == "王桂芳" and case.facts.startswith("客户称办理定期存款转存")
    assert case.status == "closed" and case.ruling_category == "18.2"
    assert service.import_ledger(office, _doc("ledger-example.xlsx")).before == 21


def test_content_identity_without_a_ledger_number(demo, office):
    headers = [h for h in examples.HEADERS if h != "编号"]
    rows = [row[1:] for row in examples.ROWS[:3]]
    text = examples.csv_text(rows).replace(",".join(examples.HEADERS), ",".join(headers), 1)
    first = service.import_ledger(office, read_ledger("a.csv", text.encode("utf-8")))
    assert first.committed and first.new == 3
    # Reordered rows are the same rows; a corrected row is a new one (the preview shows it as new).
    reordered = examples.csv_text([rows[2], rows[0], rows[1]]).replace(",".join(examples.HEADERS), ",".join(headers), 1)
    assert service.import_ledger(office, read_ledger("b.csv", reordered.encode("gbk"))).before == 3
    changed = [list(rows[0])]
    changed[0][8] = "客户称柜员态度生硬。"
    text = examples.csv_text(changed).replace(",".join(examples.HEADERS), ",".join(headers), 1)
    assert service.import_ledger(office, read_ledger("c.csv", text.encode("utf-8")), dry_run=True).new == 1


# --- refusals: every bad row named, nothing written ---------------------------------------------------

def test_the_errors_example_is_refused_as_a_whole(demo, office):
    before = _written()
    result = service.import_ledger(office, _doc("ledger-example-errors.csv"))
    assert not result.committed and _written() == before
    refused = {row.number for row in result.rows if row.outcome == service.REFUSED}
    assert refused == set(range(4, 16)) and result.refused_rows == 12
    assert {row.number: row.outcome for row in result.rows}[2] == service.NEW  # good rows are not written either
    text = "\n".join(result.errors)
    for fragment in ("第 4 行“身份证号”", "第 5 行“联系电话”", "第 6 行“被投诉网点”:组织机构中没有网点“城南分社”",
                     "第 7 行“投诉渠道”:“微信”不在可选值之内", "第 7 行“投诉类别”:“服务质量”不在可选值之内",
                     "第 8 行“登记日期”:“2025-13-01”不是日期", "第 9 行“答复日期”", "第 10 行“登记日期”",
                     "第 11 行“答复日期”", "第 11 行“投诉内容”", "第 12 行“身份证号”", "第 13 行“被投诉人”",
                     "第 14 行“责任认定”", "第 15 行:与第 2 行是同一件投诉"):
        assert fragment in text, fragment


def _refusal(office, overrides, extra_rows=()):
    before = _written()
    result = service.import_ledger(office, _csv([_with(overrides), *extra_rows]))
    assert not result.committed and _written() == before
    assert result.rows[0].outcome == service.REFUSED
    return " ".join(result.rows[0].errors)


def _id_with_birth(birth):
    body = "411421" + birth + "123"
    return body + ric.calc_check_digit(body + "0")


CLASSES = [
    # identity (python-stdnum, as registration)
    ({"身份证号": "411421198503121231"}, "身份证号", "校验码"),
    ({"身份证号": "410102800101123"}, "身份证号", "18位"),
    ({"身份证号": _id_with_birth("19851332")}, "身份证号", "出生日期"),
    ({"身份证号": "999999198503121232"[:17] + ric.calc_check_digit("99999919850312123" + "0")}, "身份证号", "行政区划"),
    ({"联系电话": "1381234"}, "联系电话", "电话号码格式不正确"),
    # dates
    ({"登记日期": "2025-02-30"}, "登记日期", "不是日期"),
    ({"登记日期": "2027-01-04"}, "登记日期", "不能晚于今天"),
    ({"登记日期": "1999-12-31"}, "登记日期", "2000-01-01"),
    ({"登记日期": ""}, "登记日期", "此项必须填写"),
    ({"处理状态": "已办结", "答复日期": "2025-05-05", "答复方式": "电话", "处理结果": "已致歉。"}, "答复日期", "不能早于受理时间"),
    ({"处理状态": "已办结", "答复日期": "2025-05-08", "答复方式": "电话", "处理结果": "已致歉。", "办结日期": "2025-05-07"},
     "办结日期", "办结日期不能早于答复日期"),
    # branches, staff and codes
    ({"被投诉网点": "城南分社"}, "被投诉网点", "组织机构中没有网点“城南分社”"),
    ({"被投诉网点": "城关信用社"}, "被投诉网点", "营业网点"),
    ({"被投诉人": "张晓燕"}, "被投诉人", "城关信用社南街分社没有员工“张晓燕”"),
    ({"投诉渠道": "微信"}, "投诉渠道", "“微信”不在可选值之内:客户服务热线、客户直接电话、意见箱、意见簿、上级部门转办"),
    ({"投诉类别": "服务质量"}, "投诉类别", "不在可选值之内"),
    ({"处理状态": "已撤销"}, "处理状态", "不在可选值之内"),
    ({"处理权限": "市联社"}, "处理权限", "不在可选值之内"),
    ({"处理状态": "已办结", "答复日期": "2025-05-08", "答复方式": "微信", "处理结果": "已致歉。"}, "答复方式", "不在可选值之内"),
    ({"争议金额": "二十元"}, "争议金额", "不是以元为单位的金额"),
    # required fields and states
    ({"投诉内容": ""}, "投诉内容", "此项必须填写"),
    ({"投诉人": ""}, "投诉人", "此项必须填写"),
    ({"答复日期": "2025-05-08"}, "答复日期", "尚未答复"),
    ({"处理状态": "已答复", "答复方式": "电话", "处理结果": "已致歉。"}, "答复日期", "须填写答复日期"),
    ({"处理状态": "已答复", "答复日期": "2025-05-08", "答复方式": "电话"}, "处理结果", "此项必须填写"),
    ({"处理状态": "已答复", "答复日期": "2025-05-08", "答复方式": "电话", "处理结果": "已致歉。", "办结日期": "2025-05-09"},
     "办结日期", "只有已办结的投诉才有办结日期"),
    ({"处理状态": "不予受理", "处理结果": "不受理"}, "处理结果", "至少"),
    # rulings
    ({"责任认定": "责任投诉(第十九条(一))", "责任人": "杨雪"}, "责任认定", "认定类别与认定结果不符"),
    ({"责任认定": "责任投诉", "责任人": "杨雪"}, "责任认定", "请写明认定所依据的条款"),
    ({"责任认定": "有问题"}, "责任认定", "不在可选值之内"),
    ({"责任人": "杨雪"}, "责任人", "须同时填写责任认定结果"),
    ({"责任认定": "责任投诉(第十八条(二))"}, "责任人", None),
    ({"责任认定": "非责任投诉(第十九条(四))", "责任人": "杨雪"}, "责任人", None),
    ({"责任认定": "责任投诉(第十八条(四))", "责任人": "杨雪", "争议金额": "10", "承担金额": "20"}, "承担金额", None),
    ({"责任认定": "责任投诉(第十八条(二))", "责任人": "杨雪", "承担金额": "20"}, "承担金额", None),
    ({"处理状态": "已登记", "责任认定": "非责任投诉(第十九条(四))"}, "责任认定", None),
]


@pytest.mark.parametrize("overrides, column, fragment", CLASSES)
def test_every_validation_class_names_row_column_and_reason(demo, office, overrides, column, fragment):
    text = _refusal(office, overrides, extra_rows=[_with({"编号": "T-2"})])
    assert text.startswith(f"第 2 行“{column}”:"), text
    if fragment is not None:
        assert fragment in text, text
    assert not any(ch.isascii() and ch.isalpha() for ch in text.replace("X", "").split(":", 1)[1][:12]), text


def test_refusals_of_the_ruling_name_the_rule(demo, office):
    """The ruling's own rules (RuleSchema, _check_fee, the state), worded as the ruling form words them."""
    cases = [
        ({"责任认定": "责任投诉(第十八条(二))"}, "Name the staff member(s) held responsible."),
        ({"责任认定": "非责任投诉(第十九条(四))", "责任人": "杨雪"},
         "A non-responsible ruling holds no staff member responsible (§19)."),
        ({"责任认定": "责任投诉(第十八条(四))", "责任人": "杨雪", "争议金额": "10", "承担金额": "20"},
         "The fee borne cannot exceed the disputed fee of the complaint."),
        ({"责任认定": "责任投诉(第十八条(二))", "责任人": "杨雪", "承担金额": "20"},
         "A fee is borne only for a fee dispute caused by an operating error (§18(四))."),
        ({"处理状态": "已登记", "责任认定": "非责任投诉(第十九条(四))"}, "This action is not allowed in the case's current status."),
    ]
    for overrides, msgid in cases:
        assert gettext(msgid) in _refusal(office, overrides)


def test_an_id_number_excel_stored_as_a_number_is_named(demo, office):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(examples.HEADERS)
    row = _with({})
    row[5] = 411421198503121232  # typed into a General cell: Excel keeps 15 significant digits
    sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    result = service.import_ledger(office, read_ledger("id.xlsx", out.getvalue()))
    assert "设置为文本格式" in result.errors[0] and result.errors[0].startswith("第 2 行“身份证号”")


def test_a_row_already_in_the_file_is_named(demo, office):
    result = service.import_ledger(office, _csv([_with({}), _with({}), _with({"编号": "T-3"})]))
    assert [row.outcome for row in result.rows] == [service.NEW, service.REFUSED, service.NEW]
    assert result.rows[1].errors == ["第 3 行:与第 2 行是同一件投诉(台账编号相同或内容完全相同)。"]
    assert _count(Complaint) == 0


# --- one transaction -------------------------------------------------------------------------------

def test_good_rows_are_not_written_when_one_row_is_bad(demo, office):
    rows = [_with({"编号": f"T-{n}"}) for n in range(10)] + [_with({"编号": "T-bad", "联系电话": "12345"})]
    before = _written()
    result = service.import_ledger(office, _csv(rows))
    assert result.new == 10 and result.refused_rows == 1 and not result.committed
    assert _written() == before
    assert service.import_ledger(office, _csv(rows[:10])).committed and _count(Complaint) == 10


def test_a_failure_half_way_leaves_nothing(demo, office, monkeypatch):
    calls = []
    real = svc.stage_ruling_of_record

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(svc, "stage_ruling_of_record", failing)
    before = _written()
    with pytest.raises(RuntimeError):
        service.import_ledger(office, _doc("ledger-example.xlsx"))
    assert _written() == before and len(calls) == 5


def test_a_preview_writes_nothing_and_says_what_rows_become(demo, office):
    before = _written()
    result = service.import_ledger(office, _doc("ledger-example.xlsx"), dry_run=True)
    assert not result.committed and result.new == 21 and _written() == before
    late = _by_row(result)[6]  # 2025-004
    assert late.status == "closed" and late.due_date == dt.date(2025, 3, 17) and late.late
    assert late.branch == "西岭信用社石门分社" and late.ruling == "responsible" and late.ruling_category == "18.1"


# --- who sees what; who may import where --------------------------------------------------------------

def test_preview_shows_identity_as_the_importing_user_sees_it(demo, office):
    """Before anything is written the preview shows the file's rows as the importing user will see
    the cases: in full for the discipline office, masked for Admin."""
    admin = demo["demo_admin"]
    as_admin = _by_row(service.import_ledger(admin, _doc("ledger-example.xlsx"), dry_run=True))[3]
    assert as_admin.complainant == {"complainant_name": "王**", "complainant_phone": "138****2456",
                                    "complainant_id_number": "4114**********1232"}
    as_office = _by_row(service.import_ledger(office, _doc("ledger-example.xlsx"), dry_run=True))[3]
    assert as_office.complainant["complainant_id_number"] == "411421198503121232"
    done = service.import_ledger(office, _doc("ledger-example.xlsx"))
    # Once written the rows are cases, listed masked as every list of cases is.
    assert done.committed and _by_row(done)[3].complainant["complainant_id_number"] == "4114**********1232"
    # Rows imported before are cases of the database: shown masked, as every list shows them.
    again = _by_row(service.import_ledger(admin, _doc("ledger-example.xlsx")))[3]
    assert again.outcome == service.BEFORE and again.complainant["complainant_name"] == "王**"


@pytest.mark.parametrize("username", ["demo_committee", "demo_branchhead", "demo_counter", "demo_leader",
                                      "demo_reruling"])
def test_other_roles_may_not_import(demo, username):
    with pytest.raises(PermissionDenied):
        service.import_ledger(demo[username], _doc("ledger-example.xlsx"), dry_run=True)
    assert not service.may_import(demo[username])


def test_a_deactivated_login_may_not_import(demo, office):
    office.active = False
    db.session.commit()
    with pytest.raises(PermissionDenied):
        service.import_ledger(office, _doc("ledger-example.xlsx"), dry_run=True)


def test_import_only_into_branches_of_ones_scope(demo, app):
    """A role given the import permission (FAB's expert page) with a unit's scope: rows of other
    branches are refused, as registration refuses them."""
    sm = app.appbuilder.sm
    role = sm.add_role("台账录入")
    sm.add_permission_role(role, sm.find_permission_view_menu("can_import", "LedgerImport"))
    user = sm.add_user("ledger_clerk", "员", "录入", "clerk@test.invalid", role, password="Test@12345")
    clerk_staff = db.session.execute(select(Staff).where(Staff.employee_no == "CG0102")).scalar_one()
    clerk_staff.user = user
    db.session.commit()
    result = service.import_ledger(user, _doc("ledger-example.xlsx"), dry_run=True)
    assert not result.committed
    in_scope = {row.number for row in result.rows if row.outcome == service.NEW}
    outside = [row for row in result.rows if row.outcome == service.REFUSED]
    assert {row.branch for row in result.rows if row.number in in_scope} <= {"城关信用社营业部", "城关信用社南街分社",
                                                                                 "城关信用社北关分社"}
    assert outside and all("只能" in " ".join(row.errors) and "被投诉网点" in " ".join(row.errors) for row in outside)
    dongxiang = db.session.execute(select(OrgUnit).where(OrgUnit.code == "DX-01")).scalar_one()
    with pytest.raises(ValidationFailed):
        service.import_ledger(user, _doc("ledger-example.xlsx"), default_branch_id=dongxiang.id, dry_run=True)


def test_a_branch_ledger_without_a_branch_column(demo, office):
    headers = [h for h in examples.HEADERS if h != "被投诉网点"]
    rows = [[cell for header, cell in zip(examples.HEADERS, _with({"编号": f"B-{n}"})) if header != "被投诉网点"]
            for n in range(2)]
    text = examples.csv_text(rows).replace(",".join(examples.HEADERS), ",".join(headers), 1)
    ledger = read_ledger("branch.csv", text.encode("utf-8"))
    with pytest.raises(service.MappingErrors):
        service.import_ledger(office, ledger)
    branch = db.session.execute(select(OrgUnit).where(OrgUnit.code == "XL-02")).scalar_one()
    result = service.import_ledger(office, ledger, default_branch_id=branch.id)
    assert result.committed and {_case(row.case_number).branch_id for row in result.rows} == {branch.id}


# --- malformed files -------------------------------------------------------------------------------------

def _zip(members):
    """A zip archive of ``members``, the same bytes on every call (a fixed time on each member): the
    parameters are collected by every xdist worker and must be equal."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


MALFORMED = [
    (b"", "文件为空"),
    (bytes(range(256)) * 40, "既不是 Excel 工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧版 Excel"),
    (b"PK\x03\x04" + b"\x00" * 200, "不是有效的 Excel 工作簿"),
    (_zip({"hello.txt": "not a workbook"}), "不是有效的 Excel 工作簿"),
    (_zip({"xl/big.xml": b"\x00" * (65 * 1024 * 1024)}), "文件过大"),
    ("编号,登记日期\n".encode("utf-8"), "只有表头"),
    ("编号,登记日期\n1,2025-01-01\x00\n".encode("utf-8"), "不是有效的 CSV"),
    (b"\r\n \r\n,,\r\n", "文件中没有任何行"),
    (b"x" * (d.MAX_FILE_BYTES + 1), "文件过大"),
    (("," * (d.MAX_COLUMNS + 1) + "登记日期\n1\n").encode("utf-8"), "超过 60 列"),
]


@pytest.mark.parametrize("content, fragment", MALFORMED, ids=[f"{n}-{fragment}" for n, (_, fragment) in enumerate(MALFORMED)])
def test_malformed_files_are_refused_in_one_message(app, content, fragment):
    with pytest.raises(LedgerFileError) as refused:
        read_ledger("upload.xlsx", content)
    assert fragment in str(refused.value)


def test_too_many_rows_are_refused(app):
    rows = [_with({"编号": f"N-{n}"}) for n in range(d.MAX_ROWS + 1)]
    with pytest.raises(LedgerFileError) as refused:
        _csv(rows)
    assert f"超过 {d.MAX_ROWS} 行" in str(refused.value)
    assert len(_csv(rows[:d.MAX_ROWS]).rows) == d.MAX_ROWS


def test_sheets_wrong_or_empty(app):
    with pytest.raises(LedgerFileError) as refused:
        _doc("ledger-example.xlsx", sheet="2024年")
    assert "没有工作表“2024年”" in str(refused.value) and "填表说明、2025-2026年" in str(refused.value)
    # The instructions sheet asked for by name is read as asked: it has no ledger's headers.
    notes = _doc("ledger-example.xlsx", sheet="填表说明")
    assert notes.sheet == "填表说明" and set(service.mapping_for(notes).values()) == {""}
    from openpyxl import Workbook

    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(LedgerFileError) as refused:
        read_ledger("empty.xlsx", out.getvalue())
    assert "是空的" in str(refused.value)
    with pytest.raises(LedgerFileError):
        read_ledger("x.csv", "编号\n1\n".encode("utf-8"), sheet="Sheet1")


def test_admin_may_import(demo):
    result = service.import_ledger(demo["demo_admin"], _csv([_with({})]))
    assert result.committed and _case(result.rows[0].case_number).created_by_id == demo["demo_admin"].id


# --- the command ---------------------------------------------------------------------------------------

def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["import-ledger", *map(str, args)])


def test_command_dry_run_import_and_reimport(app, demo):
    path = DOCS / "ledger-example.xlsx"
    dry = _cli(app, path, "--user", "demo_discipline", "--dry-run")
    assert dry.exit_code == 0, dry.output + dry.stderr
    assert "ledger-example.xlsx: 21 rows, sheet 2025-2026年" in dry.output and "登记日期 -> received_at" in dry.output
    assert "row 6: new closed received 2025-03-03 due 2025-03-17 LATE 西岭信用社石门分社 赵** responsible 18.1" in dry.output
    assert "would import 21, skipped 0" in dry.output and _count(Complaint) == 0
    assert "411421" not in dry.output and "赵长海" not in dry.output  # no identity on a terminal or in a log
    done = _cli(app, path, "--user", "demo_discipline")
    assert done.exit_code == 0 and "imported 21, skipped 0" in done.output and _count(Complaint) == 21
    assert "row 3: TS20250106-0001 closed" in done.output
    again = _cli(app, DOCS / "ledger-example-gbk.csv", "--user", "demo_discipline")
    assert again.exit_code == 0 and "GBK" in again.output and "imported 0, skipped 21" in again.output
    assert _count(Complaint) == 21 and _count(AdminAudit) == 1 + _count_other_audit()


def _count_other_audit():
    return db.session.execute(select(func.count()).select_from(AdminAudit).where(AdminAudit.target_type != "ledger")).scalar()


def test_command_lists_every_refused_row_and_writes_nothing(app, demo):
    before = _written()
    result = _cli(app, DOCS / "ledger-example-errors.csv", "--user", "demo_discipline")
    assert result.exit_code == 1
    assert "第 6 行“被投诉网点”:组织机构中没有网点“城南分社”" in result.stderr
    assert "12 of 14 rows refused; nothing was imported" in result.stderr
    assert _written() == before


def test_command_options(app, demo, tmp_path):
    headers = [h if h != "登记日期" else "来信日期" for h in examples.HEADERS if h != "被投诉网点"]
    rows = [[cell for header, cell in zip(examples.HEADERS, _with({"编号": "C-1"})) if header != "被投诉网点"]]
    path = tmp_path / "branch.csv"
    path.write_bytes(examples.csv_text(rows).replace(",".join(examples.HEADERS), ",".join(headers), 1).encode("gbk"))
    missing = _cli(app, path, "--user", "demo_discipline")
    assert missing.exit_code == 1 and "没有任何一列对应到登记日期" in missing.stderr + missing.output
    done = _cli(app, path, "--user", "demo_discipline", "--map", "来信日期=received_at", "--branch", "XL-02")
    assert done.exit_code == 0, done.output + done.stderr
    assert _latest_case().branch.code == "XL-02"
    assert db.session.get(LedgerColumn, "来信日期").field == "received_at"  # the import kept the mapping
    for args, text in [(("--user", "demo_counter"), "no active login with the permission"),
                       (("--user", "nobody"), "no active login"),
                       (("--user", "demo_discipline", "--branch", "NOPE"), "no unit with the code"),
                       (("--user", "demo_discipline", "--map", "来信日期"), "HEADER=FIELD"),
                       (("--user", "demo_discipline", "--map", "来信日期=when"), "unknown field"),
                       (("--user", "demo_discipline", "--sheet", "Sheet1"), "CSV 文件没有工作表")]:
        refused = _cli(app, path, *args)
        assert refused.exit_code != 0 and text in refused.output + refused.stderr, args


def _latest_case():
    return db.session.execute(select(Complaint).order_by(Complaint.id.desc()).limit(1)).scalar_one()
