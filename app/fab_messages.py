"""Flask-AppBuilder's own user-visible messages that its Chinese catalog leaves untranslated.

Listing them here puts them into this project's catalog (``translations/``), which Flask-Babel
merges over FAB's, so every FAB page, filter and flash message shows in Chinese too.
"""
from flask_babel import lazy_gettext as _l

FAB_MESSAGES = (
    _l("Database Error"),
    _l("Not a valid choice"),
    _l(
        "Must have at least two capital letters, one special character, two digits, three lower case letters "
        "and a minimal length of 10."
    ),
    _l("Contains (insensitive)"),
    _l("Start with"),
    _l("Starts with"),  # FAB's filter on the case number; its catalog says 以开始
    _l("In"),
    _l("Not In"),
    _l("Either select a role or a group"),
    _l("List Groups"),
    _l("Edit User Information"),
    _l("User information changed"),
    _l("Groups"),
    _l("The user's password for authentication"),
    _l("It's not a good policy to remove a user, just make it inactive"),
    _l("User(s) exists in the role, cannot delete"),
    _l("Show Group"),
    _l("Add Group"),
    _l("Edit Group"),
    _l("User(s) exists in the group, cannot delete"),
    _l("Add"),
    _l("Edit"),
    _l("Show"),
    _l("Delete"),
    _l("Are you sure you want to delete this item?"),
    _l("Sign In with "),
)
