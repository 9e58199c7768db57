"""Phone numbers as stored and compared: one normal form, so the same caller is found however
the number was typed ("138 0013 8000", "138-0013-8000", "+86 13800138000", full-width digits).

The normal form of a phone number, applied on every write and to every search value:

- full-width characters become their ASCII forms (NFKC: １３８ → 138, ＋ → +, － → -);
- spaces, hyphens and dashes, dots and parentheses are dropped: they only group digits;
- China's country code is dropped: a leading ``+86`` or ``0086``, and ``86`` before an 11-digit
  mobile number (86 13800138000). After the country code a landline number gets its trunk
  prefix back (+86 579 8888 1234 → 057988881234), as it is dialled inside China;
- any other leading ``+`` (a number abroad) is kept.

A value that is not a number once its separators are gone (an extension written as 转 123, a
note) is kept as typed, trimmed: it is found by exactly that text. An empty value is no number.
"""
import re
import unicodedata
from typing import Optional

# Characters that only group the digits of a number.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−.()]+")
_MOBILE = re.compile(r"1\d{10}")
_NUMBER = re.compile(r"\+?\d+")
_PHONE_SHAPES = re.compile(r"1\d{10}|0\d{9,11}|[2-9]\d{6,7}|\+\d{7,15}")


def normal_phone(value) -> Optional[str]:
    """``value`` in the normal form above, or None when nothing is left."""
    if value is None:
        return None
    typed = str(value).strip()
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed))
    if not text:  # separators only ("-", "( )"): no number
        return None
    if not _NUMBER.fullmatch(text):
        return typed or None
    for prefix in ("+86", "0086"):
        if text.startswith(prefix) and len(text) > len(prefix):
            rest = text[len(prefix):]
            text = rest if rest.startswith(("0", "1")) else "0" + rest
            break
    else:
        if text.startswith("86") and _MOBILE.fullmatch(text[2:]):
            text = text[2:]
    return text


def looks_like_phone(value) -> bool:
    """Whether a search term, however grouped, has the shape of a phone number in its normal form:
    a mobile number (1 and ten digits), a landline with its area code (0 and 9 to 11 digits), a
    local landline number (7 or 8 digits, not starting with 0 or 1) or a number abroad (+ and 7
    to 15 digits). The list's search box tries such a term as a phone number."""
    text = normal_phone(value)
    return bool(text) and _PHONE_SHAPES.fullmatch(text) is not None
