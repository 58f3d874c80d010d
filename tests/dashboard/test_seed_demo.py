"""The demo seed: the Dadukou district through the services, and the bulk city builder."""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q

from alliance.models import Alliance, Kind, Level, Tenant
from alliance.selectors import alliance_descendants, alliance_list, user_scope
from alliance.services import alliance_create, tenant_create
from dashboard.management.commands import seed_demo
from members.models import Category, Membership, MembershipRole, MemberUnit, User
from members.selectors import liaison_unit_ids, member_unit_list
from members.validators import validate_credit_code

from ..conftest import fresh

ACCOUNTS = {
    "admin": None,
    "zuzhibu": "district_admin",
    "jiedao": "secretary",
    "shequ": "secretary",
    "gongzuo": "staff",
    "lianluo": "liaison",
    "guancha": "observer",
}


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def assert_sound_tree(root: Alliance) -> None:
    """No treebeard problem, and depth and numchild agree with the paths."""
    assert Alliance.objects.find_problems(parent=root) == ([], [], [], [], [])
    nodes = list(alliance_descendants(alliance=root, include_self=True))
    paths = {node.path for node in nodes}
    for node in nodes:
        assert node.depth == len(node.path) // Alliance.steplen
        children = [p for p in paths if p.startswith(node.path) and len(p) == len(node.path) + Alliance.steplen]
        assert node.numchild == len(children), node.name


def assert_units_carry_their_alliance_path(tenant_id: int) -> None:
    units = MemberUnit.objects.filter(tenant_id=tenant_id)
    assert not units.exclude(alliance_path=F("alliance__path")).exists()
    memberships = Membership.objects.filter(tenant_id=tenant_id)
    assert not memberships.exclude(alliance_path=F("alliance__path")).exists()
    assert not memberships.exclude(alliance__tenant_id=tenant_id).exists()
    codes = list(units.values_list("credit_code", flat=True))
    assert len(codes) == len(set(codes))
    for code in codes:
        validate_credit_code(code)


def test_the_default_seed_builds_the_dadukou_district(db):
    output = seed()

    root = Alliance.objects.get(tenant__code="500104", depth=1)
    assert (root.name, root.level, root.initiating_organisation) == ("大渡口区党建共同体", Level.DISTRICT, "中共大渡口区委")
    tree = Alliance.objects.filter(tenant_id=root.tenant_id)
    streets = tree.filter(level=Level.STREET)
    assert streets.count() == 8
    assert set(streets.values_list("name", flat=True)) == {
        f"{name}党建共同体" for name in
        ("新山村街道", "跃进村街道", "九宫庙街道", "茄子溪街道", "春晖路街道", "八桥镇", "建胜镇", "跳磴镇")
    }
    assert all("“大工委”" in s.initiating_organisation for s in streets)
    communities = tree.filter(level=Level.COMMUNITY)
    assert communities.count() == 63
    assert all(c.initiating_organisation.endswith("社区“大党委”") for c in communities)
    assert all(len(c.code) == 12 and c.code.startswith("500104") for c in communities)
    industry = tree.filter(kind=Kind.INDUSTRY)
    assert set(industry.values_list("name", flat=True)) == {
        "服务中小微企业和个体工商户行业党建共同体", "物业行业党建共同体"}
    assert all(a.level == Level.DISTRICT and a.depth == 2 for a in industry)
    assert tree.count() == 1 + 8 + 63 + 2
    assert_sound_tree(root)

    units = MemberUnit.objects.filter(tenant_id=root.tenant_id)
    assert units.count() == 530
    assert set(units.values_list("category", flat=True)) == set(Category.values) - {Category.OTHER}
    assert not units.exclude(alliance__level=Level.COMMUNITY).exists()
    assert units.filter(name="大渡口区财政局", category=Category.AGENCY).exists()
    assert units.filter(name__endswith="物业服务有限公司").exists()
    assert units.filter(name__endswith="小区业主委员会").exists()
    assert units.values("name").distinct().count() == 530
    assert_units_carry_their_alliance_path(root.tenant_id)

    # Every unit is a member of its own community; each community has one chair.
    home = Membership.objects.filter(tenant_id=root.tenant_id, alliance_id=F("unit__alliance_id"))
    assert home.count() == 530
    per_community = communities.annotate(
        chairs=Count("memberships", filter=Q(memberships__role=MembershipRole.CHAIR)),
        committee=Count("memberships", filter=Q(memberships__role=MembershipRole.COMMITTEE)),
    )
    assert {c.chairs for c in per_community} == {1}
    assert all(c.committee >= 2 for c in per_community)

    property_alliance = industry.get(name="物业行业党建共同体")
    members = MemberUnit.objects.filter(memberships__alliance=property_alliance)
    assert members.count() == units.filter(category=Category.PROPERTY_MANAGEMENT).count()
    assert not members.exclude(category=Category.PROPERTY_MANAGEMENT).exists()
    sme = industry.get(kind=Kind.INDUSTRY, name__startswith="服务中小微企业")
    assert Membership.objects.filter(alliance=sme).count() >= 40

    for username, role in ACCOUNTS.items():
        user = User.objects.get(username=username)
        assert user.check_password("demo2026")
        assert username in output
        if role:
            assert user.role_assignments.filter(role=role).exists()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.role_assignments.get().alliance == root
    assert "demo2026" in output


def test_each_demo_account_sees_its_own_subtree(db):
    seed()
    tree = Alliance.objects.filter(tenant__code="500104")
    chunhui = tree.get(name="春晖路街道党建共同体")
    xinshan = tree.get(name="新山村街道党建共同体")

    jiedao = fresh(User.objects.get(username="jiedao"))
    seen = set(alliance_list(user=jiedao).values_list("pk", flat=True))
    expected = set(alliance_descendants(alliance=chunhui, include_self=True).values_list("pk", flat=True))
    assert seen == expected
    assert len(seen) == 1 + 8
    assert xinshan.pk not in seen
    assert not user_scope(jiedao).allows("view_alliance", xinshan.path)
    units = member_unit_list(user=jiedao)
    assert units.exists()
    assert not units.exclude(alliance_path__startswith=chunhui.path).exists()
    assert not units.filter(alliance_path__startswith=xinshan.path).exists()

    shequ = fresh(User.objects.get(username="shequ"))
    community = shequ.role_assignments.get().alliance
    assert community.level == Level.COMMUNITY and community.path.startswith(chunhui.path)
    assert set(alliance_list(user=shequ).values_list("pk", flat=True)) == {community.pk}

    gongzuo = fresh(User.objects.get(username="gongzuo"))
    assert set(alliance_list(user=gongzuo).values_list("pk", flat=True)) == expected

    lianluo = fresh(User.objects.get(username="lianluo"))
    assignment = lianluo.role_assignments.get()
    assert assignment.alliance == community
    assert assignment.member_unit.alliance == community
    assert liaison_unit_ids(lianluo) == {assignment.member_unit_id}
    assert list(member_unit_list(user=lianluo)) == [assignment.member_unit]

    for username in ("zuzhibu", "guancha"):
        user = fresh(User.objects.get(username=username))
        assert alliance_list(user=user).count() == tree.count() == 74
        assert member_unit_list(user=user).count() == 530


def test_seeding_twice_does_not_duplicate_and_reset_rebuilds_the_same_data(db):
    seed()
    codes = set(MemberUnit.objects.values_list("credit_code", flat=True))
    users = User.objects.count()

    output = seed()
    assert "已存在" in output
    assert Tenant.objects.filter(code="500104").count() == 1
    assert Alliance.objects.count() == 74
    assert MemberUnit.objects.count() == 530
    assert User.objects.count() == users

    seed(reset=True, interactive=False)
    assert Tenant.objects.filter(code="500104").count() == 1
    assert Alliance.objects.count() == 74
    assert Membership.objects.filter(alliance__level=Level.COMMUNITY).count() == 530
    assert User.objects.count() == users
    # The same seed gives the same data.
    assert set(MemberUnit.objects.values_list("credit_code", flat=True)) == codes


@pytest.mark.parametrize("batch_size", [7, 2000])
def test_the_bulk_city_builder_writes_a_sound_tree(db, batch_size):
    # Another tenant already in the table: the city's root comes after it.
    admin = User.objects.create_superuser("admin", "admin@example.cn", "pw-Test-2026")
    tenant_create(name="九龙坡区党建共同体", code="500107")
    spec = seed_demo.grid_spec(districts=2, streets=3, communities=4, units_per_community=10)
    root = seed_demo.city_build(spec=spec, rng=random.Random(seed_demo.SEED), batch_size=batch_size)

    root.refresh_from_db()
    assert (root.level, root.depth, root.numchild) == (Level.CITY, 1, 2)
    assert root.path == "0002"
    tree = Alliance.objects.filter(tenant_id=root.tenant_id)
    assert tree.filter(level=Level.DISTRICT, depth=2, numchild=3).count() == 2
    assert tree.filter(level=Level.STREET, depth=3, numchild=4).count() == 6
    assert tree.filter(level=Level.COMMUNITY, depth=4, numchild=0).count() == 24
    assert tree.count() == spec.alliance_count == 33
    assert Alliance.objects.find_problems() == ([], [], [], [], [])
    assert_sound_tree(root)
    assert [c.level for c in Alliance.objects.get_children(root)] == [Level.DISTRICT, Level.DISTRICT]

    units = MemberUnit.objects.filter(tenant_id=root.tenant_id)
    assert units.count() == 240
    assert not units.exclude(alliance__level=Level.COMMUNITY).exists()
    assert_units_carry_their_alliance_path(root.tenant_id)
    per_community = units.values("alliance_id").annotate(n=Count("pk"))
    assert {row["n"] for row in per_community} == {10}
    memberships = Membership.objects.filter(tenant_id=root.tenant_id)
    assert memberships.count() == 240
    assert memberships.filter(alliance_id=F("unit__alliance_id")).count() == 240
    assert memberships.filter(role=MembershipRole.CHAIR).count() == 24

    # Treebeard keeps working on the bulk-written tree: the next child gets the next path.
    street = tree.filter(level=Level.STREET).order_by("path").first()
    added = alliance_create(user=admin, parent=street, name="新建社区党建共同体", level=Level.COMMUNITY,
                            code=f"{street.code}099")
    assert added.path == street.path + "0005"
    assert Alliance.objects.find_problems(parent=root) == ([], [], [], [], [])


def test_the_city_builder_is_deterministic(db):
    first = seed_demo.grid_spec(districts=2, streets=2, communities=3, units_per_community=5)
    second = seed_demo.grid_spec(districts=2, streets=2, communities=3, units_per_community=5)
    assert first == second


def test_the_city_option_builds_the_city_with_its_accounts(db, monkeypatch):
    small = seed_demo.grid_spec(districts=2, streets=2, communities=3, units_per_community=4,
                                name="武汉市", code="420100")
    monkeypatch.setattr(seed_demo, "wuhan_spec", lambda rng: small)

    output = seed(city="wuhan", no_progress=True)
    root = Alliance.objects.get(tenant__code="420100", depth=1)
    assert root.level == Level.CITY
    assert Alliance.objects.filter(tenant_id=root.tenant_id).count() == small.alliance_count
    assert MemberUnit.objects.filter(tenant_id=root.tenant_id).count() == small.units
    assert_sound_tree(root)
    prefix = small.account_prefix
    assert f"{prefix}jiedao" in output

    jiedao = fresh(User.objects.get(username=f"{prefix}jiedao"))
    street = jiedao.role_assignments.get().alliance
    assert street.level == Level.STREET
    seen = set(alliance_list(user=jiedao).values_list("pk", flat=True))
    assert len(seen) == 1 + 3
    other_street = Alliance.objects.filter(tenant_id=root.tenant_id, level=Level.STREET).exclude(pk=street.pk)
    assert not seen & set(other_street.values_list("pk", flat=True))
    assert not member_unit_list(user=jiedao).exclude(alliance_path__startswith=street.path).exists()
    assert member_unit_list(user=jiedao).count() == 3 * 4

    assert "已存在" in seed(city="wuhan", no_progress=True)
    assert Alliance.objects.filter(tenant_id=root.tenant_id).count() == small.alliance_count

    seed(city="wuhan", no_progress=True, reset=True, interactive=False)
    assert Tenant.objects.filter(code="420100").count() == 1
    assert MemberUnit.objects.filter(tenant__code="420100").count() == small.units
    assert User.objects.filter(username=f"{prefix}jiedao").count() == 1


def test_the_demo_refuses_a_production_database(db, settings):
    from django.core.management import CommandError, call_command

    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    from alliance.models import Tenant

    assert not Tenant.objects.exists()


def test_the_demo_has_items_in_every_state_and_the_first_sweep_escalates_some(db):
    from django.utils import timezone

    from agreements.models import CommitmentItem
    from meetings.models import ActionItem, Proposal
    from tasks.models import OPEN_STATUSES, EventKind, Item, ItemEvent, Status
    from tasks.services import escalate_overdue_batch

    seed(items=600)
    # Beside the 600, the demo meetings raise their action items and the demand one proposal came from.
    from_meetings = ActionItem.objects.count() + Proposal.objects.filter(source_item__isnull=False).count()
    # ... and the demo agreements carry out their commitments' due dates as items.
    from_agreements = CommitmentItem.objects.count()
    assert Item.objects.count() == 600 + from_meetings + from_agreements
    assert set(Item.objects.values_list("status", flat=True)) == set(Status.values)
    assert Item.objects.filter(escalations__gt=0).exclude(alliance__level="community").exists()
    overdue = Item.objects.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now(), overdue_at_root=False)
    waiting = overdue.count()
    assert waiting > 0
    escalated_before = ItemEvent.objects.filter(kind__in=[EventKind.ESCALATED, EventKind.OVERDUE]).count()
    assert escalate_overdue_batch(batch_size=10_000) == waiting
    assert ItemEvent.objects.filter(kind__in=[EventKind.ESCALATED, EventKind.OVERDUE]).count() == \
        escalated_before + waiting
    assert not overdue.exists()  # every late item went up, or is marked overdue at the district
