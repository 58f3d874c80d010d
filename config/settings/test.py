"""Tests: PostgreSQL and Redis where DATABASE_URL / REDIS_URL are set, SQLite otherwise."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
