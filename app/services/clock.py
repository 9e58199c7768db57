"""The only place that asks for "now": local time of the union (Asia/Shanghai), naive."""
from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """Current local date-time without microseconds or zone (api.md: no zone suffix)."""
    return datetime.now(LOCAL_ZONE).replace(tzinfo=None, microsecond=0)
