"""Translation at the edge: the vocabulary's labels and marshmallow's messages in the user's
language (Chinese by default). The domain below keeps msgids only; pages, API, reports and
printouts translate here.
"""
import re
from types import SimpleNamespace

from flask_babel import gettext, lazy_gettext as _l

from .domain import vocabulary
from .domain.payloads import Message


def label(mapping, code) -> str:
    """The translated label of ``code`` in a vocabulary ``mapping`` ("" for None, the code itself
    when it has no label)."""
    if code is None:
        return ""
    msgid = mapping.get(code)
    return gettext(msgid) if msgid is not None else code


def choices(mapping):
    """``[(code, translated label)]`` of a vocabulary ``mapping``, in its order."""
    return [(code, gettext(msgid)) for code, msgid in mapping.items()]


def lazy_choices(mapping):
    """``[(code, lazily translated label)]`` of a vocabulary ``mapping`` (choices of a form field
    declared once, at import)."""
    return [(code, _l(msgid)) for code, msgid in mapping.items()]


def lazy_labels(mapping) -> dict:
    """A vocabulary ``mapping`` with lazily translated labels (FAB's ``label_columns``)."""
    return {code: _l(msgid) for code, msgid in mapping.items()}


# The vocabulary as the templates read it: ``c.label(c.STATUSES, code)``.
vocab = SimpleNamespace(
    **{name: getattr(vocabulary, name) for name in dir(vocabulary) if name.isupper()},
    label=label,
)


# marshmallow's English validation messages, translated for the client: the fixed ones…
_FIXED = {
    "Unknown field.": _l("Unknown field."),
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid utf-8 string.": _l("Not a valid string."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid number.": _l("Not a valid number."),
    "Number too large.": _l("Number too large."),
    "Special numeric values (nan or infinity) are not permitted.": _l("Not a valid number."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid datetime.": _l("Not a valid datetime."),
    "Not a valid time.": _l("Not a valid time."),
    "Not a valid period of time.": _l("Not a valid period of time."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid tuple.": _l("Not a valid list."),
    "Not a valid mapping type.": _l("Invalid input type."),
    "Invalid input type.": _l("Invalid input type."),
    "Invalid type.": _l("Invalid input type."),
    "Invalid input.": _l("Invalid value."),
    "Invalid value.": _l("Invalid value."),
    "Not a valid email address.": _l("Not a valid email address."),
    "Not a valid URL.": _l("Not a valid URL."),
    "Not a valid UUID.": _l("Not a valid UUID."),
    "String does not match expected pattern.": _l("Not in the expected format."),
    "Related object doesn't exist in DB": _l("The referenced record does not exist."),
}
for _kind in ("IP", "IPv4", "IPv6"):
    for _what in ("address", "interface"):
        _FIXED[f"Not a valid {_kind} {_what}."] = _l("Not a valid IP address.")

# … and those with values in them (Length, Range, Equal, OneOf, ContainsOnly, ContainsNoneOf, the
# date-time kinds): the values are kept, the words translated.
_RANGE_WORDS = {
    "greater than or equal to": _l("at least"),
    "greater than": _l("greater than"),
    "less than or equal to": _l("at most"),
    "less than": _l("less than"),
}
_OP = "(greater than or equal to|greater than|less than or equal to|less than)"
_PATTERNS = [
    (r"Shorter than minimum length (?P<min>\d+)\.", _l("At least %(min)s characters.")),
    (r"Longer than maximum length (?P<max>\d+)\.", _l("At most %(max)s characters.")),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", _l("Between %(min)s and %(max)s characters.")),
    (r"Length must be (?P<equal>\d+)\.", _l("Exactly %(equal)s characters.")),
    (rf"Must be (?P<min_op>{_OP}) (?P<min>\S+) and (?P<max_op>{_OP}) (?P<max>\S+)\.",
     _l("Must be %(min_op)s %(min)s and %(max_op)s %(max)s.")),
    (rf"Must be (?P<op>{_OP}) (?P<limit>\S+)\.", _l("Must be %(op)s %(limit)s.")),
    (r"Must be equal to (?P<other>.*)\.", _l("Must be equal to %(other)s.")),
    (r"Must be one of: (?P<choices>.*?)\.?", _l("Must be one of: %(choices)s")),
    (r"One or more of the choices you made was not in: (?P<choices>.*?)\.?", _l("Must be one of: %(choices)s")),
    (r"One or more of the choices you made was in: (?P<values>.*?)\.?", _l("Must not be any of: %(values)s")),
    (r"Not a valid (?:naive|aware) datetime\.", _l("Not a valid datetime.")),
    (r"Not a valid (?:naive|aware) time\.", _l("Not a valid time.")),
    (r".* cannot be formatted as an? .*\.", _l("Invalid value.")),
]
_COMPILED = [(re.compile(pattern, re.DOTALL), msgid) for pattern, msgid in _PATTERNS]


def _translated(text):
    if text in _FIXED:
        return str(_FIXED[text])
    for pattern, msgid in _COMPILED:
        found = pattern.fullmatch(text)
        if found:
            values = {key: str(_RANGE_WORDS[value]) if key.endswith("op") else value
                      for key, value in found.groupdict().items()}
            return str(msgid) % values
    # The project's own messages (payload schemas, domain rules) are msgids in the catalog.
    return gettext(text)


def translate_messages(value):
    """Translate marshmallow's messages (nested dicts/lists of strings) into the user's language;
    a message carrying values (``payloads.Message``) is translated with them."""
    if isinstance(value, dict):
        return {key: translate_messages(item) for key, item in value.items()}
    if isinstance(value, list):
        return [translate_messages(item) for item in value]
    if isinstance(value, Message):
        return gettext(value.msgid, **value.params)
    if isinstance(value, str):
        return _translated(value)
    return value


def html_lang() -> str:
    """The page's ``<html lang>``: the current locale as a BCP 47 tag (zh → zh-CN)."""
    from flask_babel import get_locale

    locale = str(get_locale() or "zh")
    return {"zh": "zh-CN"}.get(locale, locale.replace("_", "-"))
