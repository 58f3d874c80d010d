"""Schemathesis against the live schema, in-process (Django's WSGI app), as an API client of each scope.

A small seeded tree (the `tree` fixture, a few items, a meeting and an agreement) and one client per
scope on the district. Every GET and POST operation of the schema gets a few generated requests,
sent with the token of each client in turn: no answer may be a 500, and every answer (status code,
content type, body) must match the schema. Data is committed (the app closes connections as in
production), so the test is transactional.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.utils import timezone

from integrations.models import Scope
from integrations.services import api_client_create
from tasks.services import item_create

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")

from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 3


def _seed(tree):
    from meetings.services import meeting_schedule
    from tests import factories

    for n in range(3):
        item_create(user=tree.root, alliance=tree.community_a1, title=f"路灯不亮{n}", source="grid")
    item_create(user=tree.root, alliance=tree.community_b1, title="井盖松动", source="grid")
    meeting_schedule(user=tree.root, alliance=tree.community_a1, title="季度共同体会议",
                   starts_at=timezone.now() + dt.timedelta(days=3))
    factories.agreement(tree.community_a1, by=tree.root, units=[tree.unit_a1])


@pytest.mark.django_db(transaction=True)
def test_every_get_and_post_matches_the_schema_for_each_scope(tree):
    _seed(tree)
    tokens = []
    for scope in Scope.values:
        _client, token = api_client_create(user=tree.district_admin, alliance=tree.district, name=f"fuzz {scope}",
                                           scopes=[scope], rate_limit_per_minute=100_000)
        tokens.append(token)
    everything = api_client_create(user=tree.district_admin, alliance=tree.district, name="fuzz all",
                                   scopes=Scope.values, rate_limit_per_minute=100_000)[1]
    cache.clear()
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app,
                                            headers={"Authorization": f"Bearer {everything}"})
    rotation = itertools.cycle([everything, *tokens])
    failures = []
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.method.upper() in ("GET", "POST")]
    assert len(operations) > 50

    for operation in operations:
        @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                             phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                             suppress_health_check=list(hypothesis.HealthCheck))
        @hypothesis.given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {next(rotation)}"}, checks=CHECKS)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, then report all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
