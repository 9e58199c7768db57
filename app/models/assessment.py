"""Assessment scoring rules (考核, §3, §9): configurable data, since the source text breaks off at §20."""
from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, Integer, Numeric, String


class AssessmentRule(Model):
    """Points per occurrence of one counted event (negative = a deduction).

    ``key`` names what is counted (the report knows each key); the administrator edits the
    label, the points and whether the rule is active, never the key.
    """

    __tablename__ = "assessment_rule"

    id = Column(Integer, primary_key=True)
    key = Column(String(32), nullable=False, unique=True)
    label = Column(String(100), nullable=False)
    basis = Column(String(100))
    points = Column(Numeric(8, 2), nullable=False, default=0)
    active = Column(Boolean, nullable=False, default=True, server_default="1")
    position = Column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return self.label or self.key
