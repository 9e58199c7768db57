"""The identity access log (§16): read and filtered by the discipline office, changed by nobody."""
from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from ..domain import vocabulary as labels
from ..i18n import lazy_labels, vocab as c
from ..models.audit import PiiAccess
from ..security import permissions as p


class PiiAccessView(ModelView):
    """The PII access log for the discipline office: read and filter, never change (§16)."""

    route_base = "/pii-log"
    datamodel = SQLAInterface(PiiAccess)
    class_permission_name = p.PII_LOG
    method_permission_name = {"list": "read", "show": "read"}
    include_route_methods = {"list", "show"}
    list_title = _l("Identity access log")
    show_title = _l("Identity access")
    add_title = _l("Identity access log")
    edit_title = _l("Identity access log")
    label_columns = lazy_labels(labels.PII_LOG_LABELS)
    list_columns = ["at", "username", "complaint", "channel"]
    show_columns = list_columns
    search_columns = ["at", "username", "complaint", "channel"]
    order_columns = ["at", "username", "channel"]
    base_order = ("at", "desc")
    # A search by phone or name that found no case is logged without one.
    formatters_columns = {"channel": lambda v: c.label(c.PII_CHANNELS, v), "complaint": lambda v: v.number if v else "—"}
