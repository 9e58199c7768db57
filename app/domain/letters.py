"""The written reply as a letter (§10(二), §14): one greeting at its head.

The printed letter opens with a salutation to the complainant. A replier who writes the reply as
a letter often opens it with a salutation too ("张三丰先生:您好!"), which would then stand a second
time, in the middle of the letter, after "现将处理结果答复如下:". ``split_greeting`` takes such an
opening off the reply so the letter prints it once, at its head, in the replier's own words.
"""
import re
from typing import NamedTuple, Optional

# A salutation: a short line or clause ending with a colon, optionally followed by 您好, or a bare
# 您好 at the very start.
_OPENING = re.compile(
    r"^\s*(?:(?P<salutation>[^\n::。,,!!??;;]{1,30})[::]\s*)?(?P<hello>您好[!!。,,]?)?\s*")
# A clause before a colon is a form of address when it starts with a word of address or ends with
# a title or a name ("尊敬的客户", "张三丰先生"); "经核实:" or "客户反映的问题:" are not greetings.
_OPENING_WORDS = ("尊敬", "亲爱", "dear")
_TITLES = ("先生", "女士", "小姐", "客户", "顾客", "储户", "同志")


class Letter(NamedTuple):
    salutation: Optional[str]  # the replier's form of address, without its colon
    hello: Optional[str]  # 您好 (with its punctuation) when the replier wrote it
    body: str


def _addresses(clause: str, names) -> bool:
    clause = clause.strip()
    return (clause.lower().startswith(_OPENING_WORDS) or clause.endswith(_TITLES)
            or any(name and clause.endswith(name) for name in names))


def split_greeting(content: str, names=()) -> Letter:
    """``content`` as (salutation, hello, body): the greeting the replier typed at its start, if
    any, and the rest. ``names`` are the complainant's (and principal's) names, which make a
    clause before a colon a salutation too ("张三丰:")."""
    content = content or ""
    match = _OPENING.match(content)
    salutation, hello = match.group("salutation"), match.group("hello")
    if salutation is not None and not _addresses(salutation, names):
        return Letter(None, None, content)
    if salutation is None and hello is None:
        return Letter(None, None, content)
    return Letter(salutation.strip() if salutation else None, hello, content[match.end():])
