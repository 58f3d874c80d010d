"""Tests: PostgreSQL and Redis where DATABASE_URL / REDIS_URL are set, SQLite otherwise."""

import os

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Tasks run in the test process; the workers that tests start against Redis get CELERY_EAGER=0.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_EAGER", "1") == "1"
if REDIS_URL:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = "alliance-test"  # noqa: F405
