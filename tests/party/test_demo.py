"""The demo data keeps the rules the services enforce."""

from __future__ import annotations

import random

from django.db.models import Count, F, Q, Sum

from party.demo import seed_party
from party.models import Order, PartyMember, PointEntry, ServicePost, TimeBankEntry
from tasks.services import item_create


def test_seed_party_is_consistent(tree):
    for i in range(12):
        item_create(user=None, alliance=[tree.community_a1, tree.community_b1][i % 2], title=f"诉求{i}",
                    source="demand", requester_phone="13600003333")
    row = seed_party(root=tree.district, hashed="!", rng=random.Random(1), count=120)
    assert row[0] == "dangyuan"
    demo = PartyMember.objects.get(user__username="dangyuan")
    assert demo.reports.filter(ended_at__isnull=True).exists()
    assert PartyMember.objects.count() == 120
    # No post holds more claims than places.
    over = ServicePost.objects.annotate(held=Count("claims", filter=Q(claims__status__in=["claimed", "confirmed"])))
    assert not over.filter(held__gt=F("places")).exists()
    # No time bank below zero; every order on a demand of the member's community.
    balances = TimeBankEntry.objects.values("member").annotate(total=Sum("hours"))
    assert all(b["total"] >= 0 for b in balances)
    assert all(o.item.alliance_id == o.member.community_id for o in Order.objects.select_related("item", "member"))
    assert PointEntry.objects.filter(kind="reversal").count() <= 20
