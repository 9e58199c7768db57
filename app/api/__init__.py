"""REST API registration: every API class is added here."""
from .calendar import WorkDayApi
from .complaint import ComplaintApi
from .org import OrgUnitApi, StaffApi
from .report import ReportApi


def register(appbuilder) -> None:
    """Add every REST API (called by ``create_app``)."""
    appbuilder.add_api(OrgUnitApi)
    appbuilder.add_api(StaffApi)
    appbuilder.add_api(ComplaintApi)
    appbuilder.add_api(WorkDayApi)
    appbuilder.add_api(ReportApi)
