"""Tests: PostgreSQL and Redis where DATABASE_URL / REDIS_URL are set, SQLite otherwise."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tasks run in the test process unless a test starts real workers against Redis itself.
CELERY_TASK_ALWAYS_EAGER = True
if REDIS_URL:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = "alliance-test"  # noqa: F405
