"""Who changed what, from where: the pghistory context of requests, Celery tasks and commands.

The request middleware records the user, the client address and the URL; every Celery task runs
in a context named after it. The triggers copy the context into each event row.
"""

from __future__ import annotations

import pghistory
import pghistory.runtime
from django.db import connection

_CELERY_CONTEXTS: dict[str, pghistory.context] = {}


def guard_non_postgresql() -> None:
    """pghistory prefixes each write with PostgreSQL's set_config(); other databases (the SQLite
    demo) have neither that function nor the triggers, so there the context is left out."""
    inject = pghistory.runtime._inject_history_context
    if getattr(inject, "audit_guarded", False):
        return

    def _inject_on_postgresql_only(execute, sql, params, many, context):
        if context["connection"].vendor != "postgresql":
            return execute(sql, params, many, context)
        return inject(execute, sql, params, many, context)

    _inject_on_postgresql_only.audit_guarded = True
    pghistory.runtime._inject_history_context = _inject_on_postgresql_only


def audit_context_open() -> bool:
    return hasattr(pghistory.runtime._tracker, "value")


def _task_prerun(task_id=None, task=None, **kwargs):
    # A task run eagerly inside a request belongs to that request's context: keep its user.
    if task_id is None or audit_context_open() or connection.vendor != "postgresql":
        return
    ctx = pghistory.context(task=getattr(task, "name", None), task_id=task_id)
    ctx.__enter__()
    _CELERY_CONTEXTS[task_id] = ctx


def _task_postrun(task_id=None, **kwargs):
    ctx = _CELERY_CONTEXTS.pop(task_id, None)
    if ctx is not None:
        ctx.__exit__(None, None, None)


def connect_celery_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_prerun, weak=False, dispatch_uid="audit_task_prerun")
    task_postrun.connect(_task_postrun, weak=False, dispatch_uid="audit_task_postrun")
