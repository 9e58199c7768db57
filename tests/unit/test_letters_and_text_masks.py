"""The written reply's one greeting (domain/letters.py) and the complainant's identity inside texts
staff typed (security/masking.py: mask_text), without an application."""
from types import SimpleNamespace

import pytest

from app.domain.letters import split_greeting
from app.security.masking import mask_text

NAMES = ("张三丰", None)


@pytest.mark.parametrize("content, salutation, hello, body", [
    ("张三丰先生:您好!经核实,已退还。", "张三丰先生", "您好!", "经核实,已退还。"),
    ("尊敬的客户:\n您好!\n经核实,已致歉。", "尊敬的客户", "您好!", "经核实,已致歉。"),
    ("张三丰:经核实,已致歉。", "张三丰", None, "经核实,已致歉。"),
    ("您好!经核实,已致歉。", None, "您好!", "经核实,已致歉。"),
    ("Dear Mr Zhang:\nWe apologise.", "Dear Mr Zhang", None, "We apologise."),
])
def test_a_greeting_the_replier_typed_is_split_from_the_body(content, salutation, hello, body):
    assert split_greeting(content, NAMES) == (salutation, hello, body)


@pytest.mark.parametrize("content", [
    "经核实:柜员操作失误,已退还。",  # a clause before a colon that addresses nobody
    "客户反映的问题:已解决。",
    "已致歉。",
    "",
])
def test_a_reply_without_a_greeting_is_left_whole(content):
    assert split_greeting(content, NAMES) == (None, None, content)


CASE = SimpleNamespace(complainant_name="张三丰", complainant_phone="13812345678",
                       complainant_id_number="330102199001011234", complainant_address="浙江省杭州市西湖区文三路1号",
                       principal_name="李四")


def test_identity_inside_a_text_is_masked_for_a_masked_viewer():
    text = "张三丰(电话138 1234-5678,身份证330102199001011234)代李四投诉,住浙江省杭州市西湖区文三路1号。"
    assert mask_text(text, CASE, full=False) == \
        "张**(电话138****5678,身份证3301**********1234)代李*投诉,住浙江省杭州市****。"
    assert mask_text(text, CASE, full=True) == text
    assert mask_text(None, CASE, full=False) is None


def test_a_one_character_name_is_not_masked_inside_texts():
    case = SimpleNamespace(complainant_name="张", complainant_phone=None, complainant_id_number=None,
                           complainant_address=None, principal_name=None)
    assert mask_text("张先生称已收到。", case, full=False) == "张先生称已收到。"
