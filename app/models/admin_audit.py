"""Audit of administrative changes to users, roles, groups, the union's settings, the ruling bodies
and the JR/T 0169 code table (observability), and of each complaint ledger imported (issue 23: who,
the file, the rows imported).

One row per created, changed or deleted login, role or group, and per change of the settings
(``services/settings.py``, with each changed value before and after): who, when, what. Rows are
written in the same transaction as the change (``app.ops.observability``) and never changed or
deleted. Actor and target are copied as id and name, without foreign keys, so an entry
outlives a deleted login.
"""
from flask_appbuilder import Model
from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Integer, String, event

TARGET_TYPES = ("user", "role", "group", "settings", "body", "jrt_code", "ledger")
ACTIONS = ("create", "update", "delete")


class AdminAudit(Model):
    """Who changed which user, role or group, when, and which fields (never their values,
    except for account status, username, roles and permissions)."""

    __tablename__ = "admin_audit"
    __table_args__ = (
        CheckConstraint("target_type IN ('user', 'role', 'group', 'settings', 'body', 'jrt_code', 'ledger')",
                        name="ck_admin_audit_target_type"),
        CheckConstraint("action IN ('create', 'update', 'delete')", name="ck_admin_audit_action"),
    )

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, index=True)
    actor_id = Column(Integer, index=True)
    actor_name = Column(String(128), nullable=False)
    target_type = Column(String(8), nullable=False)
    target_id = Column(Integer)
    target_name = Column(String(128))
    action = Column(String(8), nullable=False)
    changes = Column(JSON)

    def __repr__(self) -> str:
        return f"{self.actor_name} {self.action} {self.target_type} {self.target_name}"


class AppendOnlyAudit(Exception):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(AdminAudit, "before_update")
def _no_update(mapper, connection, target):
    raise AppendOnlyAudit("the admin audit is append-only")


@event.listens_for(AdminAudit, "before_delete")
def _no_delete(mapper, connection, target):
    raise AppendOnlyAudit("the admin audit is append-only")
