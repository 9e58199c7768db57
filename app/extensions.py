"""Flask extensions shared by the whole application (database, migrations, CSRF, e-mail).

AppBuilder itself is created per application inside ``create_app``: a module-level
instance reused by a second app silently skips registering views.
"""
from flask_appbuilder import Model
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

# One metadata for FAB's tables and ours, so Alembic and create_all see everything.
db = SQLAlchemy(metadata=Model.metadata)
migrate = Migrate()
csrf = CSRFProtect()
# E-mail (issue 23): sent only when MAIL_SERVER is set (services/mail.py).
mail = Mail()
