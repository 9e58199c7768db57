"""Flask extensions shared by the whole application.

AppBuilder itself is created per application inside ``create_app``: a module-level
instance reused by a second app silently skips registering views.
"""
from flask_appbuilder import Model
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

# One metadata for FAB's tables and ours, so Alembic and create_all see everything.
db = SQLAlchemy(metadata=Model.metadata)
migrate = Migrate()
csrf = CSRFProtect()
