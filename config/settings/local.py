"""The embedded default: SQLite, local cache, Celery tasks run eagerly. Nothing but Python."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)

# seed_demo refuses to run unless this is on.
DEMO_DATA_ALLOWED = True
