"""The only place that asks for "now": local time of the union (Asia/Shanghai) for the business
record, UTC for the security record (login times, lockouts, session epochs), both naive."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """Current local date-time without microseconds or zone (api.md: no zone suffix)."""
    return datetime.now(LOCAL_ZONE).replace(tzinfo=None, microsecond=0)


def utc_now() -> datetime:
    """Current UTC date-time without zone, as FAB stores login and lockout times."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
