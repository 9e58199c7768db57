"""The complainant's phone number and resident ID number, checked as a bank checks them.

Phone: a mainland mobile number (11 digits, ``1[3-9]…``) or a landline (area code ``0xx`` or
``0xxx``, a local number of 7 or 8 digits, an optional extension), written with or without spaces,
dashes or brackets around the area code, optionally after ``+86`` / ``0086``. What is accepted is
stored in the normal form of ``domain/phones.py`` (a mobile number as its 11 digits, a landline
without its separators and country code, an extension kept as typed), so the same number is always
stored the same way and found by the search however it was typed.

ID number: the 18-character resident identity number of GB 11643-1999 — 17 digits and a check
digit (``0``–``9`` or ``X``), a real date of birth and an address code of a known region — checked
with python-stdnum (``stdnum.cn.ric``: check digit, date of birth, its table of region codes). The
region code is looked up without stdnum's condition that it existed in the year of birth: a code
is written into the number when the card is issued, not at birth, and stdnum's table dates many
codes from 1983 only, so that condition would refuse everyone born there before 1983 (330102…1980…).
The residence permits of Hong Kong, Macao and Taiwan residents (codes 810000, 820000, 830000)
follow the same rule. The old 15-digit numbers were all replaced by 2013 and stdnum does not take
them: such a number is refused with a message saying so.

Messages are msgids (translated where they are shown).
"""
import re
import unicodedata
from typing import Optional

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric

from .phones import normal_phone
from .vocabulary import N_

PHONE_INVALID = N_("Not a valid phone number: a mobile number has 11 digits starting with 13–19; a landline "
                   "has an area code starting with 0 and a local number of 7 or 8 digits (e.g. 0571-87654321).")

_SEP = r"[ \-]?"
_MOBILE = re.compile(rf"(?:(?:\+|00)86{_SEP})?(1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})", re.ASCII)
_AREA = r"(?:0[1-9]\d{1,2}|\(0[1-9]\d{1,2}\))"
_AREA_INTL = r"(?:(?:\+|00)86[ \-]?(?:[1-9]\d{1,2}|\([1-9]\d{1,2}\)))"
_LOCAL = r"[1-9]\d{2,3}[ \-]?\d{4}"
_EXTENSION = r"(?:[ ]*(?:-|转|分机|ext\.?|x|#)[ ]*\d{1,6})?"
_LANDLINE = re.compile(rf"(?:{_AREA}|{_AREA_INTL})[ \-]?{_LOCAL}{_EXTENSION}", re.IGNORECASE | re.ASCII)


def phone_number(value: str) -> Optional[str]:
    """``value`` as it is stored (``phones.normal_phone``), None when empty; ValueError(msgid) when
    it is neither a mainland mobile nor a landline number."""
    # Full-width digits and signs (a Chinese input method in full-width mode) read as ASCII.
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip()
    if not text:
        return None
    mobile = _MOBILE.fullmatch(text)
    if mobile:
        return "".join(mobile.groups())
    if _LANDLINE.fullmatch(text):
        return normal_phone(text)
    raise ValueError(PHONE_INVALID)


ID_LENGTH = N_("A resident ID number has 18 characters (the old 15-digit numbers are no longer valid: ask "
               "for the current card).")
ID_FORMAT = N_("A resident ID number is 17 digits followed by a digit or X.")
ID_CHECK_DIGIT = N_("The check digit (the last character) does not match: check the number against the card.")
ID_BIRTH_DATE = N_("The date of birth in the ID number (characters 7–14) is not a real date.")
ID_ADDRESS = N_("The address code in the ID number (the first 6 digits) is not a known region.")

# Residence permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证): GB 11643 numbers
# whose address code is not a mainland region.
PERMIT_REGIONS = ("810000", "820000", "830000")


def resident_id(value: str) -> Optional[str]:
    """``value`` as it is stored (18 characters, a final ``x`` in upper case), None when empty;
    ValueError(msgid) saying what is wrong otherwise."""
    number = re.sub(r"[\s\-]+", "", value).upper()
    if not number:
        return None
    if len(number) != 18:
        raise ValueError(ID_LENGTH)
    if not (number[:17].isascii() and number[:17].isdigit()) or number[17] not in "0123456789X":
        raise ValueError(ID_FORMAT)
    if ric.calc_check_digit(number) != number[17]:
        raise ValueError(ID_CHECK_DIGIT)
    try:
        ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise ValueError(ID_BIRTH_DATE)
    if number[:6] not in PERMIT_REGIONS and not _known_region(number[:6]):
        raise ValueError(ID_ADDRESS)
    return number


def _known_region(code: str) -> bool:
    """A county-level region code of stdnum's table, in use at any time."""
    return any("county" in properties for _part, properties in numdb.get("cn/loc").info(code))
