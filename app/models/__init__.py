"""All mapped models; importing this package registers them on FAB's metadata."""
from .org import OrgUnit, UnitKind  # noqa: F401
from .staff import Position, Staff  # noqa: F401
