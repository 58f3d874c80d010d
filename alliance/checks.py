"""System checks that fail loudly on a deployment that would misbehave."""

import ctypes.util
import shutil
import subprocess

from django.conf import settings
from django.core import checks


@checks.register()
def guardian_backend_check(app_configs, **kwargs):
    if "guardian.backends.ObjectPermissionBackend" not in settings.AUTHENTICATION_BACKENDS:
        return [
            checks.Error(
                "guardian.backends.ObjectPermissionBackend is missing from AUTHENTICATION_BACKENDS.",
                hint="Object permissions on alliances are held by django-guardian.",
                id="alliance.E001",
            )
        ]
    return []


def cjk_font_available() -> bool:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return False
    try:
        out = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.stdout.strip())


def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


@checks.register("pdf")
def pdf_dependencies_check(app_configs, **kwargs):
    """PDFs must show Chinese on any machine, and WeasyPrint is ten times slower without subsetting."""
    problems = []
    if not cjk_font_available():
        problems.append(
            checks.Warning(
                "No CJK font is installed: PDFs will show boxes instead of Chinese characters.",
                hint="Install fonts-noto-cjk (Debian) or another font that covers :lang=zh.",
                id="alliance.W001",
            )
        )
    if not harfbuzz_subset_available():
        problems.append(
            checks.Warning(
                "libharfbuzz-subset is missing: WeasyPrint falls back to a path ten times slower on CJK fonts.",
                hint="Install libharfbuzz-subset0 (Debian).",
                id="alliance.W002",
            )
        )
    return problems


@checks.register()
def celery_visibility_timeout_check(app_configs, **kwargs):
    """With the Redis broker an unacknowledged task comes back after the visibility timeout:
    a task that runs longer than that is delivered twice while it is still running."""
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", None)
    if limit and timeout <= limit:
        return [
            checks.Error(
                f"The Redis visibility_timeout ({timeout} s) must be longer than CELERY_TASK_TIME_LIMIT ({limit} s).",
                hint="Raise CELERY_VISIBILITY_TIMEOUT or lower CELERY_TASK_TIME_LIMIT.",
                id="alliance.E002",
            )
        ]
    return []
