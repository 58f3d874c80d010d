"""One person with data everywhere: liaison_a1 (赵敏, 13700001234) of unit_a1 in community A1.

She signed the community's agreement for her unit, took a demand, got a notification, has an API
token, and, as a resident with the same phone, raised a demand and rated the agreement publicly.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.authtoken.models import Token

from agreements.models import Agreement
from agreements.services import evaluation_add_resident
from members.models import User
from tasks.models import Item, Notification
from tasks.services import item_claim, item_create

from ..agreements.conftest import agreement_draft, agreement_performing, agreement_signed  # noqa: F401
from ..conftest import fresh

PHONE = "13700001234"


@dataclass
class Person:
    user: User
    agreement: Agreement
    own_demand: Item
    claimed: Item


@pytest.fixture
def person(tree, agreement_performing) -> Person:  # noqa: F811
    User.objects.filter(pk=tree.liaison_a1.pk).update(name="赵敏", phone=PHONE, email="zhaomin@example.cn")
    user = fresh(tree.liaison_a1)
    own, _created = item_create(user=None, alliance=tree.community_a1, title="小区路灯不亮", source="demand",
                                requester_name="赵敏", requester_phone=PHONE)
    other, _created = item_create(user=None, alliance=tree.community_a1, title="垃圾清运不及时", source="demand",
                                  requester_name="钱大爷", requester_phone="13600009999")
    claimed = item_claim(user=user, item=other, unit=tree.unit_a1, note="我们来办")
    evaluation_add_resident(agreement=agreement_performing, name="赵敏", phone=PHONE, score=5, comment="很好")
    Notification.objects.create(tenant_id=user.tenant_id, user=user, title="新的事项待接单")
    Token.objects.create(user=user)
    return Person(user=user, agreement=agreement_performing, own_demand=own, claimed=claimed)
