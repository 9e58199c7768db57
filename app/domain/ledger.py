"""The complaint ledger (投诉登记台账) a union kept on paper or in Excel before this system (issue 23):
the fields a ledger's columns can fill, the headers each is known by, a ledger's words for the codes
and how its cells are read. No Flask, no database: ``services/ledger.py`` reads the file and replays
each row through the complaint services.

Words and headers are the ledgers' own Chinese (data, like the calendar file's 是/否); messages are
msgids, translated where they are shown.
"""
import datetime as dt
import hashlib
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Dict, Iterable, Optional, Tuple

from . import states as s
from .payloads import Message
from .vocabulary import N_

IGNORE = ""  # a column the import does not read

# field → (label msgid, the headers a ledger gives it, first the one the example ledger uses)
FIELDS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "ledger_number": (N_("Ledger number"), ("编号", "台账编号", "登记编号", "投诉编号")),
    "received_at": (N_("Date of registration"), ("登记日期", "登记时间", "受理日期", "受理时间", "投诉日期",
                                                 "投诉时间", "收到日期", "来电日期")),
    "channel": (N_("Channel"), ("投诉渠道", "渠道", "投诉方式", "投诉来源", "来源")),
    "complainant_name": (N_("Complainant"), ("投诉人", "投诉人姓名", "客户姓名", "投诉客户", "姓名")),
    "complainant_phone": (N_("Phone"), ("联系电话", "电话", "手机", "手机号码", "联系方式", "投诉人电话")),
    "complainant_id_number": (N_("ID number"), ("身份证号", "身份证号码", "证件号码", "身份证")),
    "complainant_address": (N_("Address"), ("地址", "联系地址", "住址", "家庭住址")),
    "principal_name": (N_("Principal"), ("委托人", "当事人", "被代理人")),
    "branch": (N_("Branch complained about"), ("被投诉网点", "被投诉机构", "被投诉单位", "投诉网点", "网点")),
    "respondent_staff": (N_("Staff member complained about"), ("被投诉人", "被投诉员工", "被投诉人员")),
    "category": (N_("Category"), ("投诉类别", "投诉类型", "类别", "问题类别", "投诉分类")),
    "disputed_fee": (N_("Disputed fee (yuan)"), ("争议金额", "争议费用", "涉及金额")),
    "facts": (N_("Facts"), ("投诉内容", "投诉事实", "投诉事项", "投诉事由", "主要内容")),
    "customer_request": (N_("Customer's request"), ("客户诉求", "诉求", "投诉诉求", "客户要求")),
    "level": (N_("Handling level"), ("处理权限", "处理级别", "办理权限")),
    "status": (N_("Status"), ("处理状态", "状态", "办理状态")),
    "replied_at": (N_("Replied at"), ("答复日期", "答复时间", "回复日期", "回复时间", "反馈日期", "反馈时间")),
    "reply_method": (N_("Reply method"), ("答复方式", "回复方式", "反馈方式")),
    "reply_content": (N_("Result of the handling"), ("处理结果", "答复内容", "回复内容", "处理情况", "处理意见")),
    "closed_at": (N_("Closed at"), ("办结日期", "办结时间", "结案日期", "结案时间")),
    "ruling": (N_("Responsibility ruling"), ("责任认定", "认定结果", "责任认定结果", "是否责任投诉")),
    "ruling_category": (N_("Ruling category (article)"), ("认定条款", "认定类别")),
    "ruled_staff": (N_("Staff held responsible"), ("责任人", "责任人员", "责任员工")),
    "ruled_on": (N_("Ruled on"), ("认定日期", "认定时间")),
    "fee_borne": (N_("Fee borne (yuan)"), ("承担金额", "承担费用", "责任人承担金额")),
}
FIELD_NAMES = tuple(FIELDS)

# A ledger without these columns cannot say what a complaint is (RegisterSchema's required fields);
# the branch may instead come from the branch chosen for the whole ledger.
REQUIRED_FIELDS = ("received_at", "channel", "complainant_name", "category", "facts")

# A ledger's words for the codes, besides the code itself and its label (services add both).
CHANNEL_WORDS = {
    "hotline": ("客户服务热线", "服务热线", "热线", "热线电话"),
    "phone": ("客户直接电话", "直接电话", "电话", "来电", "电话投诉"),
    "box": ("意见箱",),
    "book": ("意见簿", "意见本", "留言簿"),
    "referral": ("上级部门转办", "上级转办", "转办", "上级转交"),
}
CATEGORY_WORDS = {
    "attitude": ("服务态度", "态度"),
    "efficiency": ("服务效率", "效率"),
    "fee": ("服务收费", "收费", "费用"),
    "error": ("业务差错", "差错", "操作差错"),
    "conduct": ("服务规范", "规范"),
    "other": ("其他", "其它"),
}
REPLY_METHOD_WORDS = {
    "phone": ("电话回复", "电话答复", "电话"),
    "letter": ("书面回复", "书面答复", "书面", "信函", "函复"),
    "visit": ("上门走访", "上门", "走访", "上门答复"),
}
LEVEL_WORDS = {
    "branch": ("网点权限", "网点", "网点级"),
    "union": ("联社权限", "联社", "联社级"),
}
STATUS_WORDS = {
    s.REGISTERED: ("已登记", "登记", "待受理", "未受理"),
    s.PROCESSING: ("处理中", "已受理", "受理", "办理中", "正在处理"),
    s.REPLIED: ("已答复", "已回复", "已反馈", "答复"),
    s.CLOSED: ("已办结", "办结", "结案", "已结案", "完结"),
    s.REJECTED: ("不予受理", "未予受理", "不受理"),
}
# The states a ledger row may record (an appeal is not a ledger's state: it is recorded afterwards).
LEDGER_STATUSES = (s.REGISTERED, s.PROCESSING, s.REPLIED, s.CLOSED, s.REJECTED)
RULING_WORDS = {
    s.RESPONSIBLE: ("责任投诉", "有责投诉", "有责", "责任"),
    s.NOT_RESPONSIBLE: ("非责任投诉", "无责投诉", "无责", "非责任"),
}
# "不予受理" citing §8 (out of scope) rather than a failed condition of §4.
OUT_OF_SCOPE_MARKS = ("第八条", "第8条", "§8")

# Limits of what one import reads (documented in docs/ledger-import.md).
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 1000
MAX_COLUMNS = 60
HEADER_SEARCH_ROWS = 10  # the header row is among a sheet's first rows (a title row may come first)
MAX_HEADER_LENGTH = 64


def normal_word(value) -> str:
    """A header or a ledger word as compared: full-width made ASCII, spaces, line breaks and a
    required-field mark (*, (必填)) dropped."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"\((必填|选填)\)$", "", text)
    return text.strip("*")


def header_matches(header) -> Optional[str]:
    """The field a header names by itself (its ledger names above), or None."""
    word = normal_word(header)
    for field, (_label, headers) in FIELDS.items():
        if word in headers:
            return field
    return None


def default_mapping(headers: Iterable[str], saved: Dict[str, str]) -> Dict[str, str]:
    """Header → field for a ledger's headers: the mapping saved last time for that header, else
    the field the header names, else ignored. A field goes to the first header naming it."""
    mapping, taken = {}, set()
    for header in headers:
        key = normal_word(header)
        field = saved.get(key) if key in saved else header_matches(header)
        if field and (field not in FIELDS or field in taken):
            field = IGNORE
        mapping[header] = field or IGNORE
        if field:
            taken.add(field)
    return mapping


# --- cells ------------------------------------------------------------------------------------------

def cell_text(value) -> str:
    """A cell as text: numbers without a trailing ``.0`` (a phone number Excel stored as a number),
    dates as YYYY-MM-DD, text trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes") if value.time() != dt.time() else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


NOT_A_DATE = N_("“%(value)s” is not a date (write it as 2025-03-12, 2025/3/12 or 2025年3月12日).")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:\s*(?:T|\s)?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2})\s*秒?)?\s*分?)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def parse_datetime(value) -> Tuple[dt.datetime, bool]:
    """A ledger's date (with or without a time) as ``(datetime, has_time)``; ValueError(Message).
    Cells Excel formats as dates arrive as datetimes; text may be 2025-03-12, 2025/3/12, 2025.3.12,
    2025年3月12日 or 20250312, each optionally followed by a time (09:30)."""
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0, tzinfo=None), value.time() != dt.time()
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()), False
    text = unicodedata.normalize("NFKC", cell_text(value))
    found = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if found is None:
        raise ValueError(Message(NOT_A_DATE, value=short(text)))
    parts = [int(part) if part else 0 for part in found.groups()] + [0] * (6 - len(found.groups()))
    try:
        moment = dt.datetime(*parts[:6])
    except ValueError:
        raise ValueError(Message(NOT_A_DATE, value=short(text))) from None
    return moment, bool(found.re is _DATE and found.group(4))


def parse_amount(value) -> str:
    """An amount in yuan as the schemas take it (text, e.g. "50.00"); "¥50", "50元", "1,200" are
    read too; ValueError(Message) otherwise. Its bounds are the schemas'."""
    text = unicodedata.normalize("NFKC", cell_text(value)).replace(",", "").replace("¥", "").replace("元", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(Message(N_("“%(value)s” is not an amount in yuan."), value=short(cell_text(value)))) from None
    if not amount.is_finite():
        raise ValueError(Message(N_("“%(value)s” is not an amount in yuan."), value=short(cell_text(value))))
    return str(amount)


def words_table(words: Dict[str, Tuple[str, ...]], labels: Dict[str, str]) -> Dict[str, str]:
    """Normal word → code: each code itself, its label (as the pages show it) and the ledger words."""
    table = {}
    for code, synonyms in words.items():
        for word in (code, labels.get(code) or "", *synonyms):
            if word:
                table.setdefault(normal_word(word).lower(), code)
    return table


def parse_code(value, table: Dict[str, str], choices: str) -> str:
    """The code a ledger word stands for; ValueError(Message) naming the words accepted."""
    code = table.get(normal_word(cell_text(value)).lower())
    if code is None:
        raise ValueError(Message(N_("“%(value)s” is not one of: %(choices)s."), value=short(cell_text(value)),
                                 choices=choices))
    return code


_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_ARTICLE = re.compile(r"(?:§|第)?\s*(18|19|十八|十九)\s*条?\s*[.(（第]?\s*([一二三四五1-5])")


def parse_ruling(text: str) -> Tuple[Optional[str], Optional[str]]:
    """``(result, category)`` a ledger's ruling text gives: 责任投诉 / 非责任投诉 and an article of
    §18 or §19 (18.2, §18(二), 第十八条(二), 第十八条第二项); either may be missing (None). The
    article alone gives the result (§18 responsible, §19 not)."""
    word = normal_word(text)
    category = None
    found = _ARTICLE.search(word)
    if found:
        article = {"十八": "18", "十九": "19"}.get(found.group(1), found.group(1))
        category = f"{article}.{_NUMERALS[found.group(2)]}"
        word = word[:found.start()] + word[found.end():]
    result = None
    for code in (s.NOT_RESPONSIBLE, s.RESPONSIBLE):  # 非责任 contains 责任: the longer words first
        if any(synonym in word for synonym in RULING_WORDS[code]):
            result = code
            break
    if result is None and category is not None:
        result = s.RESPONSIBLE if category.startswith("18") else s.NOT_RESPONSIBLE
    return result, category


def split_names(text: str):
    """Several staff named in one cell (张三、李四 / 张三,李四 / 张三 李四)."""
    return [name for name in re.split(r"[、,，;；/\s]+", cell_text(text)) if name]


def out_of_scope(explanation: str) -> bool:
    """A rejection that cites §8 (out of scope) rather than a condition of §4."""
    return any(mark in (explanation or "") for mark in OUT_OF_SCOPE_MARKS)


# --- the identity of a row ---------------------------------------------------------------------------

REF_PREFIX = "ledger:"


def row_reference(branch_code: str, ledger_number: Optional[str], cells: Dict[str, str]) -> str:
    """The external reference an imported row is registered under (``complaint.external_ref``), the
    same for the same row whatever file it comes in: the ledger's own number within the branch
    complained about when the ledger has one (编号), else the row's content — every mapped cell as
    read, field by field. Re-importing a row finds its case and creates nothing."""
    if ledger_number:
        identity = f"number|{branch_code}|{normal_word(ledger_number)}"
    else:
        identity = f"content|{branch_code}|" + "|".join(f"{field}={cells.get(field, '')}" for field in FIELD_NAMES
                                         if field != "ledger_number")
    return REF_PREFIX + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:40]
