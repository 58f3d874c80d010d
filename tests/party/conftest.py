"""Party members of community A1 (one with an account, employed by unit A1), one of community B1."""

from __future__ import annotations

import pytest

from party.services import party_member_create, report_create
from tests import factories


@pytest.fixture
def dangyuan(tree):
    """A party member with an account, living in community A1, working at unit A1, reported."""
    account = factories.user("dangyuan_a1", tenant=tree.district.tenant)
    member = party_member_create(user=tree.root, community=tree.community_a1, name="张党员", phone="13812345678",
                                 id_number="500104199001011234", employer_unit=tree.unit_a1,
                                 party_org="锦霞物业党支部", account=account)
    report_create(user=account, member=member)
    member.refresh_from_db()
    return member


@pytest.fixture
def walkin(tree):
    """A party member without an account, living in community A1, entered by staff, reported."""
    member = party_member_create(user=tree.root, community=tree.community_a1, name="李党员", phone="13900001111",
                                 employer_text="重庆某设计院", party_org="设计院党支部")
    report_create(user=tree.staff_a, member=member)
    member.refresh_from_db()
    return member


@pytest.fixture
def member_b1(tree):
    member = party_member_create(user=tree.root, community=tree.community_b1, name="王党员", phone="13700002222",
                                 id_number="500104198502021111")
    report_create(user=tree.root, member=member)
    member.refresh_from_db()
    return member
