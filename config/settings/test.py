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

# Kombu's Redis transport scans for unacknowledged messages past the visibility timeout only every
# unacked_restore_interval × unacked_restore_throttle seconds (10 × 10 by default, kombu#2558), so a
# short CELERY_VISIBILITY_TIMEOUT alone does not bring a killed worker's task back for ~100 s. The
# worker tests and bench/escalation_bench.py set this to scan every N seconds. A worker SIGKILLed
# while it holds the scan's mutex stops every scan on the Redis database until the mutex expires
# (300 s by default): hence a short expiry, and keys of the run's own (CELERY_UNACKED_KEY_PREFIX).
if os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL"):
    _unacked = os.environ.get("CELERY_UNACKED_KEY_PREFIX", "")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "unacked_restore_interval": int(os.environ["CELERY_UNACKED_RESTORE_INTERVAL"]),
        "unacked_restore_throttle": 1,
        "unacked_mutex_expire": 10,
        "unacked_key": f"{_unacked}unacked",
        "unacked_index_key": f"{_unacked}unacked_index",
        "unacked_mutex_key": f"{_unacked}unacked_mutex",
    }
DEMO_DATA_ALLOWED = True
