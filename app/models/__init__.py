"""All mapped models; importing this package registers them on FAB's metadata."""
from .org import OrgUnit, UnitKind  # noqa: F401
from .staff import Position, Staff  # noqa: F401
from .complaint import (  # noqa: F401
    Attachment, Complaint, ComplaintEvent, ComplaintMonth, ComplaintMonthState, ComplaintTotal, NumberCounter,
)
from .ruling import Ruling, RulingStaff, ruled_staff  # noqa: F401
from .committee import BodyMember, RulingBody, RulingMember  # noqa: F401
from .reminder import Reminder  # noqa: F401
from .audit import PiiAccess  # noqa: F401
from .calendar import CalendarYear, WorkDay  # noqa: F401
from .auth import LoginFailure, SessionEpoch  # noqa: F401
from .assessment import AssessmentRule  # noqa: F401
from .admin_audit import AdminAudit  # noqa: F401
from .settings import UnionSettings  # noqa: F401
from .custom_role import CustomRole  # noqa: F401
from .classification import JrtCode  # noqa: F401
from .identity import IdentityPass  # noqa: F401
from .ledger import LedgerColumn, LedgerUpload  # noqa: F401
from .notification import Notification  # noqa: F401
