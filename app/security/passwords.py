"""Password policy, used by FAB for every way a password is set (web forms, security API).

At least 10 characters with at least three of: upper-case letter, lower-case letter,
digit, other symbol.
"""
import re

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext

MIN_LENGTH = 10
_CLASSES = (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]")


def password_problem(password: str):
    """Return a translated explanation of what is wrong with ``password``, or None."""
    password = password or ""
    classes = sum(1 for pattern in _CLASSES if re.search(pattern, password))
    if len(password) < MIN_LENGTH or classes < 3:
        return gettext(
            "The password must have at least %(length)d characters and contain at least three of: "
            "upper-case letters, lower-case letters, digits, symbols.",
            length=MIN_LENGTH,
        )
    return None


def validate_password(password: str) -> None:
    """FAB hook (``FAB_PASSWORD_COMPLEXITY_VALIDATOR``): raise when the policy is not met."""
    problem = password_problem(password)
    if problem:
        raise PasswordComplexityValidationError(problem)
