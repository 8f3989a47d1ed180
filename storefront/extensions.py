from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
# render_as_batch (Flask-Migrate's default): SQLite cannot ALTER most things, so column changes
# are written as "copy the table"; PostgreSQL runs them as plain ALTERs.
migrate = Migrate(render_as_batch=True, compare_type=True)
