"""Menu and page registration: the one place every page is added to the application."""
from flask_babel import lazy_gettext as _l

from ..security import permissions as p
from .org import OrgUnitView, StaffView


def register(appbuilder) -> None:
    """Add every page and menu entry (called by ``create_app``)."""
    appbuilder.add_view(
        OrgUnitView,
        p.MENU_ORG_UNITS,
        label=_l("Org units"),
        icon="fa-sitemap",
        category=p.MENU_ORGANISATION,
        category_label=_l("Organisation"),
        category_icon="fa-building",
    )
    appbuilder.add_view(
        StaffView,
        p.MENU_STAFF,
        label=_l("Staff members"),
        icon="fa-users",
        category=p.MENU_ORGANISATION,
    )
