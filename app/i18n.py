"""Translation at the edge: the vocabulary's labels and marshmallow's messages in the user's
language (Chinese by default). The domain below keeps msgids only; pages, API, reports and
printouts translate here.
"""
from types import SimpleNamespace

from flask_babel import gettext, lazy_gettext as _l

from .domain import vocabulary


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


# marshmallow's English validation messages, translated for the client.
_FIXED = {
    "Unknown field.": _l("Unknown field."),
    "Missing data for required field.": _l("Missing data for required field."),
    "Field may not be null.": _l("Field may not be null."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid number.": _l("Not a valid number."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid datetime.": _l("Not a valid datetime."),
    "Not a valid list.": _l("Not a valid list."),
    "Invalid input type.": _l("Invalid input type."),
    "Related object doesn't exist in DB": _l("The referenced record does not exist."),
}


def translate_messages(value):
    """Translate marshmallow's messages (nested dicts/lists of strings) into the user's language."""
    if isinstance(value, dict):
        return {key: translate_messages(item) for key, item in value.items()}
    if isinstance(value, list):
        return [translate_messages(item) for item in value]
    if isinstance(value, str):
        if value in _FIXED:
            return str(_FIXED[value])
        if value.startswith("Must be one of: "):
            return gettext("Must be one of: %(choices)s", choices=value[len("Must be one of: "):].rstrip("."))
        if value.startswith("Longer than maximum length"):
            return gettext("Too long.")
        # The project's own messages (payload schemas) are msgids in the catalog.
        return gettext(value)
    return value
