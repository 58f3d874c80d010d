"""Filters pushed into each event table's query of pghistory's aggregate `Events` CTE.

`Events` unions every event table and computes each event's data and diff in a CTE; a filter on
the outer query would read every event of every table first. The scope and the page's filters
are therefore written into each table's own WHERE clause, where the path and date indexes apply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from pghistory.models import EventsQuery, EventsQueryCompiler, EventsQuerySet


@dataclass(frozen=True)
class Pushdown:
    """What every event table must match. `subtrees` are (tenant ids, path prefixes) alternatives;
    None means everything (a superuser's scope)."""

    subtrees: tuple[tuple[tuple[int, ...], tuple[str, ...]], ...] | None = None
    within: tuple[int, str] | None = None  # (tenant id, path): one alliance's subtree
    label: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    obj_id: int | None = None
    user_id: int | None = None


def _path_column(event_model) -> str:
    """Tenant-owned rows (and role events) carry `alliance_path`; an alliance has its own `path`."""
    columns = {f.column for f in event_model._meta.fields}
    return "alliance_path" if "alliance_path" in columns else "path"


class AuditEventsQueryCompiler(EventsQueryCompiler):
    def _get_where_clause(self, event_model):
        pushdown: Pushdown | None = getattr(self.query, "pushdown", None)
        base = super()._get_where_clause(event_model)
        if pushdown is None:
            return base
        path = f"_event.{_path_column(event_model)}"
        conditions: list[str] = []
        params: list = []
        if pushdown.subtrees is not None:
            alternatives = []
            for tenant_ids, prefixes in pushdown.subtrees:
                if not tenant_ids or not prefixes:
                    continue
                likes = " OR ".join(f"{path} LIKE %s" for _ in prefixes)
                alternatives.append(f"(_event.tenant_id IN ({', '.join(['%s'] * len(tenant_ids))}) AND ({likes}))")
                params.extend(tenant_ids)
                params.extend(f"{prefix}%" for prefix in prefixes)
            conditions.append(f"({' OR '.join(alternatives)})" if alternatives else "FALSE")
        if pushdown.within is not None:
            tenant_id, prefix = pushdown.within
            conditions.append(f"_event.tenant_id = %s AND {path} LIKE %s")
            params.extend([tenant_id, f"{prefix}%"])
        if pushdown.label:
            conditions.append("_event.pgh_label = %s")
            params.append(pushdown.label)
        if pushdown.since:
            conditions.append("_event.pgh_created_at >= %s")
            params.append(pushdown.since)
        if pushdown.until:
            conditions.append("_event.pgh_created_at < %s")
            params.append(pushdown.until)
        if pushdown.obj_id is not None:
            conditions.append("_event.pgh_obj_id = %s")
            params.append(pushdown.obj_id)
        if pushdown.user_id is not None:
            conditions.append("_event.pgh_context->>'user' = %s")
            params.append(str(pushdown.user_id))
        if not conditions:
            return base
        # The CTE is plain SQL put in front of the query (as pghistory does): bind the values here.
        with self.connection.cursor() as cursor:
            sql = cursor.mogrify(" AND ".join(conditions), params)
        if isinstance(sql, bytes):
            sql = sql.decode()
        # Literal percent signs must survive the outer query's parameter substitution.
        sql = sql.replace("%", "%%")
        if base:
            return f"WHERE ({base.removeprefix('WHERE ')}) AND {sql}"
        return f"WHERE {sql}"


class AuditEventsQuery(EventsQuery):
    pushdown: Pushdown | None = None

    def get_compiler(self, *args, **kwargs):
        compiler = super().get_compiler(*args, **kwargs)
        compiler.__class__ = AuditEventsQueryCompiler
        return compiler


class AuditEventsQuerySet(EventsQuerySet):
    def __init__(self, model=None, query=None, using=None, hints=None):
        if query is None:
            query = AuditEventsQuery(model)
        super().__init__(model, query, using, hints)

    def pushdown(self, **changes) -> AuditEventsQuerySet:
        """Narrow every event table's query (see `Pushdown`)."""
        qs = self._clone()
        qs.query.pushdown = replace(qs.query.pushdown or Pushdown(), **changes)
        return qs
