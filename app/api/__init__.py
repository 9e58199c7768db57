"""REST API registration: every API class is added here."""
from .base import install as install_error_answers
from .calendar import WorkDayApi
from .committee import CommitteeApi
from .complaint import ComplaintApi
from .openapi import OpenApiView, install as install_openapi
from .notification import NotificationApi
from .org import OrgUnitApi, StaffApi
from .report import ReportApi
from .ruling import RulingApi
from .settings import SettingsApi


def register(appbuilder) -> None:
    """Add every REST API (called by ``create_app``)."""
    install_error_answers()
    appbuilder.add_api(OrgUnitApi)
    appbuilder.add_api(StaffApi)
    appbuilder.add_api(ComplaintApi)
    appbuilder.add_api(RulingApi)
    appbuilder.add_api(WorkDayApi)
    appbuilder.add_api(ReportApi)
    appbuilder.add_api(SettingsApi)
    appbuilder.add_api(CommitteeApi)
    appbuilder.add_api(NotificationApi)
    # The OpenAPI document, without FAB's Swagger UI (FAB_API_SWAGGER_UI stays off).
    install_openapi()
    appbuilder.add_api(OpenApiView)
