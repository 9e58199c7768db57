"""REST API registration: every API class is added here."""
from .org import OrgUnitApi, StaffApi


def register(appbuilder) -> None:
    """Add every REST API (called by ``create_app``)."""
    appbuilder.add_api(OrgUnitApi)
    appbuilder.add_api(StaffApi)
