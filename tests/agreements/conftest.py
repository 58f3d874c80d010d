"""Agreements of community A1, at each stage, shared by the services, API, page and PDF tests.

agreement_draft: between the community's initiating organisation and unit_a1 (锦霞物业), with two
clauses and three commitments (unit_a1 monthly on the 15th and once in 30 days, the initiating
organisation once in 60 days), term today .. today + 364 days. agreement_signed: the same, signed
by community_secretary_a1 and liaison_a1. agreement_performing: published and performing since
today, so its first items exist. unit_a1b / liaison_a1b: a second member unit of community A1
(锦霞小学) that is party to none of them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agreements.models import Agreement
from agreements.services import agreement_perform, agreement_publish, agreement_sign
from alliance.roles import Role

from .. import factories
from ..conftest import fresh


def draft_commitments(tree) -> list[dict]:
    today = timezone.localdate()
    return [
        {"unit": tree.unit_a1, "title": "每月清理楼道和公共区域", "category": "volunteers", "recurrence": "monthly",
         "day_of_month": 15, "description": "组织员工志愿者清理楼道杂物。"},
        {"unit": tree.unit_a1, "title": "为老旧小区更换单元门禁", "category": "other", "recurrence": "once",
         "due_on": today + dt.timedelta(days=30)},
        {"unit": None, "title": "提供党群服务中心活动场地", "category": "venue", "recurrence": "once",
         "due_on": today + dt.timedelta(days=60)},
    ]


@pytest.fixture
def unit_a1b(tree):
    """A second member unit of community A1, party to none of the fixture agreements."""
    return tree.unit_a1_other


@pytest.fixture
def liaison_a1b(tree, unit_a1b):
    return factories.user_with_role(tree.community_a1, Role.LIAISON, unit=unit_a1b, username="liaison_a1b")


@pytest.fixture
def agreement_draft(tree) -> Agreement:
    return factories.agreement(tree.community_a1, by=fresh(tree.community_secretary_a1), units=[tree.unit_a1],
                               commitments=draft_commitments(tree))


def sign_all(tree, agreement: Agreement) -> Agreement:
    """Each party signs through its entitled account: the community's secretary, the unit's liaison."""
    for party in agreement.parties.order_by("pk"):
        signer = tree.community_secretary_a1 if party.unit_id is None else tree.liaison_a1
        agreement_sign(user=fresh(signer), agreement=agreement, party=party)
    return Agreement.objects.get(pk=agreement.pk)


@pytest.fixture
def agreement_signed(tree, agreement_draft) -> Agreement:
    return sign_all(tree, agreement_draft)


@pytest.fixture
def agreement_performing(tree, agreement_signed) -> Agreement:
    secretary = fresh(tree.community_secretary_a1)
    agreement_publish(user=secretary, agreement=agreement_signed)
    agreement_perform(user=fresh(tree.community_secretary_a1), agreement=agreement_signed)
    return Agreement.objects.get(pk=agreement_signed.pk)
