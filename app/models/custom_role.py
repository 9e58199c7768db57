"""A custom role (issue 20): a FAB role an administrator built from capabilities.

The FAB role (``ab_role``) holds the expanded permissions; this row keeps what they were built
from — the capability codes, the scope (own unit and below, or the whole organisation) and
whether the role shows the complainant's identity — so the role page shows them and
``sync-roles`` migrates a renamed capability. The seven built-in roles have no row here.
"""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import JSON, Boolean, CheckConstraint, Column, ForeignKey, Integer, String
from sqlalchemy.orm import backref, relationship


class CustomRole(Model):
    __tablename__ = "custom_role"
    __table_args__ = (CheckConstraint("scope IN ('unit', 'all')", name="ck_custom_role_scope"),)

    role_id = Column(Integer, ForeignKey("ab_role.id", ondelete="CASCADE"), primary_key=True)
    description = Column(String(200), nullable=False, default="")
    capabilities = Column(JSON, nullable=False, default=list)
    scope = Column(String(8), nullable=False, default="unit")
    shows_identity = Column(Boolean, nullable=False, default=False)

    role = relationship(Role, backref=backref("custom", uselist=False, cascade="all, delete-orphan"))

    def __repr__(self) -> str:
        return f"custom role {self.role_id}"
