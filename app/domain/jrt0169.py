"""JR/T 0169-2018 《金融消费者投诉统计分类及编码 银行业金融机构》 (PBOC, 2018): the regulator's
classification of a complaint in three dimensions, without Flask (issue 23).

- A — business channel (业务办理渠道): where the disputed business was done;
- B — business type (业务类型);
- C — complaint reason (投诉原因).

The code table is data (``models/classification.py``, loaded by migration 0022 from
``DEFAULT_CODES`` and edited by the administrator); this module holds its defaults, the rules a
code follows (validity on a day, which codes a case may carry) and the suggestion registration
makes from the complaint's channel and category. Which defaults a source confirms, and which still
need checking against the published text, is in ``docs/regulatory.md``.
"""
import re
from dataclasses import dataclass
from datetime import date
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from .vocabulary import N_

CHANNEL, BUSINESS, REASON = "A", "B", "C"
DIMENSIONS = (CHANNEL, BUSINESS, REASON)
DIMENSION_LABELS = {
    CHANNEL: N_("Business channel (A)"),
    BUSINESS: N_("Business type (B)"),
    REASON: N_("Complaint reason (C)"),
}
# The complaint's column (and the classify body's field) of each dimension.
FIELDS = {CHANNEL: "channel_code", BUSINESS: "business_code", REASON: "reason_code"}
COLUMNS = {CHANNEL: "jrt_channel_id", BUSINESS: "jrt_business_id", REASON: "jrt_reason_id"}

# A code: its dimension's letter, then letters or digits (the standard's codes are the letter and
# two digits per level, "其他" as 99); at most 16 characters.
CODE_PATTERN = re.compile(r"[ABC][0-9A-Z]{1,15}")
NAME_MAX = 100


@dataclass(frozen=True)
class Code:
    """One row of the code table as the rules read it."""

    code: str
    name: str
    dimension: str
    parent: Optional[str] = None
    valid_from: Optional[date] = None
    valid_to: Optional[date] = None  # inclusive; None: open
    position: int = 0
    id: Optional[int] = None


# The defaults loaded by migration 0022 (names as the standard gives them; the data language is
# Chinese). Codes: the dimension letter, two digits per level, "其他" as 99 — the layout the
# sources describe; the exact values are to be checked against the published text
# (docs/regulatory.md). No default carries a start date, so cases received before the standard
# (2018-09-04), such as an imported ledger's, can be classified too.
DEFAULT_CODES: Tuple[Code, ...] = (
    Code("A01", "前台业务渠道", CHANNEL, None, position=10),
    Code("A0101", "营业现场", CHANNEL, "A01", position=11),
    Code("A0102", "自助机具", CHANNEL, "A01", position=12),
    Code("A0103", "电子渠道", CHANNEL, "A01", position=13),
    Code("A010301", "网银", CHANNEL, "A0103", position=14),
    Code("A010302", "电话", CHANNEL, "A0103", position=15),
    Code("A010303", "移动客户端", CHANNEL, "A0103", position=16),
    Code("A010304", "网络公众平台", CHANNEL, "A0103", position=17),
    Code("A010305", "短信", CHANNEL, "A0103", position=18),
    Code("A010399", "其他", CHANNEL, "A0103", position=19),
    Code("A0104", "第三方渠道", CHANNEL, "A01", position=20),
    Code("A0199", "其他", CHANNEL, "A01", position=21),
    Code("A02", "中、后台业务渠道", CHANNEL, None, position=30),
    Code("B01", "人民币储蓄类", BUSINESS, None, position=110),
    Code("B02", "贷款类", BUSINESS, None, position=120),
    Code("B03", "银行卡类", BUSINESS, None, position=130),
    Code("B04", "支付结算类", BUSINESS, None, position=140),
    Code("B05", "人民币管理类", BUSINESS, None, position=150),
    Code("B06", "个人金融信息类", BUSINESS, None, position=160),
    Code("B99", "其他类", BUSINESS, None, position=190),
    Code("C01", "服务态度及服务质量", REASON, None, position=210),
    Code("C02", "服务设施、设备、业务系统", REASON, None, position=220),
    Code("C03", "管理制度、业务规则与流程", REASON, None, position=230),
    Code("C04", "营销方式", REASON, None, position=240),
    Code("C05", "信息披露", REASON, None, position=250),
    Code("C06", "产品收益", REASON, None, position=260),
    Code("C07", "自主选择权", REASON, None, position=270),
    Code("C08", "合同条款", REASON, None, position=280),
    Code("C09", "消费者资金安全", REASON, None, position=290),
    Code("C10", "消费者信息安全", REASON, None, position=300),
    Code("C99", "其他", REASON, None, position=390),
)

# --- the suggestion registration makes ----------------------------------------------------------

# A: the complaint's channel is how it reached the union (§7), not where the business was done; the
# regulation's complaints are about service at a branch's counter (§2), so every channel suggests
# 营业现场. The handler corrects a case about self-service machines or the mobile app.
SUGGEST_CHANNEL = {
    "hotline": "A0101",
    "phone": "A0101",
    "box": "A0101",
    "book": "A0101",
    "referral": "A0101",
}
# B: the category says little about the business; a county branch's counter business is mostly
# savings (deposits, withdrawals, passbooks), and a fee in dispute is mostly one of payment and
# settlement (remittance, account and card fees).
SUGGEST_BUSINESS = {
    "attitude": "B01",
    "efficiency": "B01",
    "fee": "B04",
    "error": "B01",
    "conduct": "B01",
    "other": "B99",
}
# C: attitude, slowness, staff mistakes and breaches of the service standards are 服务态度及服务
# 质量; a fee charged under the union's rules is 管理制度、业务规则与流程; anything else 其他.
SUGGEST_REASON = {
    "attitude": "C01",
    "efficiency": "C01",
    "fee": "C03",
    "error": "C01",
    "conduct": "C01",
    "other": "C99",
}


def suggestion(channel: str, category: str) -> Dict[str, Optional[str]]:
    """The codes registration suggests for a complaint of ``channel`` and ``category``, by
    dimension (None where the mapping has none)."""
    return {CHANNEL: SUGGEST_CHANNEL.get(channel), BUSINESS: SUGGEST_BUSINESS.get(category),
            REASON: SUGGEST_REASON.get(category)}


# --- validity ---------------------------------------------------------------------------------

def valid_on(code: Code, day: date) -> bool:
    """The code is in force on ``day`` (both ends inclusive; an empty end is open)."""
    return (code.valid_from is None or code.valid_from <= day) and (code.valid_to is None or day <= code.valid_to)


def valid_during(code: Code, start: date, end: date) -> bool:
    """The code is in force on some day of ``start``…``end``."""
    return (code.valid_from is None or code.valid_from <= end) and (code.valid_to is None or start <= code.valid_to)


def selectable(codes: Iterable[Code], dimension: str, day: date) -> List[Code]:
    """The codes of ``dimension`` a complaint received on ``day`` may carry: in force that day and
    without a sub-code in force that day (the most detailed level), in table order."""
    codes = list(codes)
    parents = {code.parent for code in codes if code.parent is not None and valid_on(code, day)}
    return [code for code in tree_order(codes) if code.dimension == dimension and valid_on(code, day)
            and code.code not in parents]


# Why a code is refused for a case (msgids; ``%(code)s`` and ``%(day)s`` filled in where shown).
UNKNOWN_CODE = N_("There is no code %(code)s in the JR/T 0169 code table.")
WRONG_DIMENSION = N_("%(code)s is not a code of this dimension.")
NOT_IN_FORCE = N_("%(code)s is not in force on %(day)s, the day the complaint was received.")
NOT_DETAILED = N_("%(code)s has sub-codes: choose the most detailed one.")


def refusal(codes: Sequence[Code], dimension: str, code: str, day: date) -> Optional[str]:
    """Why ``code`` may not classify a complaint received on ``day`` in ``dimension`` (a msgid), or
    None when it may."""
    found = next((entry for entry in codes if entry.code == code), None)
    if found is None:
        return UNKNOWN_CODE
    if found.dimension != dimension:
        return WRONG_DIMENSION
    if not valid_on(found, day):
        return NOT_IN_FORCE
    if any(entry.parent == found.code and valid_on(entry, day) for entry in codes):
        return NOT_DETAILED
    return None


# --- the table's shape ----------------------------------------------------------------------------

def tree_order(codes: Iterable[Code]) -> List[Code]:
    """``codes`` depth first: each code after its parent, siblings by position then code."""
    codes = list(codes)
    known = {code.code for code in codes}
    children: Dict[Optional[str], List[Code]] = {}
    for code in codes:
        parent = code.parent if code.parent in known else None
        children.setdefault(parent, []).append(code)
    out: List[Code] = []

    def walk(parent, seen):
        for code in sorted(children.get(parent, ()), key=lambda entry: (entry.position, entry.code)):
            if code.code in seen:
                continue
            out.append(code)
            walk(code.code, seen | {code.code})

    walk(None, frozenset())
    return out


def depths(codes: Iterable[Code]) -> Dict[str, int]:
    """Each code's depth in its dimension's tree (0: top level)."""
    by_code = {code.code: code for code in codes}
    result = {}
    for code in by_code.values():
        depth, parent, seen = 0, code.parent, {code.code}
        while parent in by_code and parent not in seen:
            seen.add(parent)
            depth += 1
            parent = by_code[parent].parent
        result[code.code] = depth
    return result


def ancestors(codes: Iterable[Code], code: str) -> List[str]:
    """The codes above ``code``, nearest first."""
    by_code = {entry.code: entry for entry in codes}
    out, seen = [], {code}
    parent = by_code[code].parent if code in by_code else None
    while parent in by_code and parent not in seen:
        out.append(parent)
        seen.add(parent)
        parent = by_code[parent].parent
    return out


# Why an administrator's entry is refused (msgids, shown beside the field).
BAD_CODE = N_("A code is its dimension's letter (A, B or C) followed by up to 15 capital letters or digits.")
CODE_DIMENSION = N_("The code must begin with its dimension's letter.")
PARENT_DIMENSION = N_("The parent must be a code of the same dimension.")
PARENT_LOOP = N_("A code cannot be placed under itself or under one of its own sub-codes.")
VALIDITY_ORDER = N_("The last day in force cannot be before the first.")


def check_entry(entry: Code, parent: Optional[Code], parent_of: Dict[int, Optional[int]],
                parent_id: Optional[int]) -> Dict[str, str]:
    """What is wrong with ``entry`` (a new row, or a changed one with its ``id``): ``{field: msgid}``,
    empty when nothing is. ``parent``: the parent chosen (row ``parent_id``), ``parent_of``: every
    stored row's id → its parent's id (to find a loop)."""
    errors = {}
    if not CODE_PATTERN.fullmatch(entry.code or ""):
        errors["code"] = BAD_CODE
    elif entry.code[0] != entry.dimension:
        errors["code"] = CODE_DIMENSION
    if parent is not None:
        if parent.dimension != entry.dimension:
            errors["parent_id"] = PARENT_DIMENSION
        elif entry.id is not None and creates_loop(entry.id, parent_id, parent_of):
            errors["parent_id"] = PARENT_LOOP
    if entry.valid_from is not None and entry.valid_to is not None and entry.valid_to < entry.valid_from:
        errors["valid_to"] = VALIDITY_ORDER
    return errors


def creates_loop(row_id: int, new_parent_id: Optional[int], parent_of: Dict[int, Optional[int]]) -> bool:
    """Putting row ``row_id`` under ``new_parent_id`` would place it under itself: the new parent is
    the row or one of its descendants (``parent_of``: id → parent id)."""
    current, seen = new_parent_id, set()
    while current is not None and current not in seen:
        if current == row_id:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False
