import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from alliance.models import Alliance, Kind, Level
from alliance.selectors import alliance_list
from alliance.services import alliance_create, alliance_move, alliance_update, tenant_create
from members.models import Membership, MemberUnit

from ..conftest import fresh


def _snapshot():
    return list(Alliance.objects.order_by("pk").values_list("pk", "path", "depth", "numchild", "code"))


def test_district_admin_adds_a_community_under_a_street(tree):
    child = alliance_create(user=fresh(tree.district_admin), parent=tree.street_a, name="新建社区党建共同体",
                            level=Level.COMMUNITY, code="500104001099")
    assert child.path.startswith(tree.street_a.path)
    assert child.tenant_id == tree.district.tenant_id
    assert Alliance.objects.get(pk=tree.street_a.pk).numchild == 3


def test_a_secretary_cannot_reshape_the_tree(tree):
    with pytest.raises(PermissionDenied):
        alliance_create(user=fresh(tree.secretary_a), parent=tree.street_a, name="x", level=Level.COMMUNITY,
                        code="500104001098")
    # Not even visible: the neighbour street answers 404.
    with pytest.raises(Http404):
        alliance_create(user=fresh(tree.secretary_a), parent=tree.street_b, name="x", level=Level.COMMUNITY,
                        code="500104001097")


def test_duplicate_code_in_the_tenant_is_refused_and_nothing_written(tree):
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        alliance_create(user=fresh(tree.district_admin), parent=tree.street_a, name="重复", level=Level.COMMUNITY,
                        code=tree.community_b1.code)
    assert "已被使用" in exc.value.message_dict["code"][0]
    assert _snapshot() == before


def test_the_same_code_in_another_tenant_is_fine(tree):
    other = alliance_create(user=fresh(tree.other_tenant_admin), parent=tree.other_tenant, name="九龙坡某街道",
                            level=Level.STREET, code=tree.street_a.code)
    assert other.code == tree.street_a.code


def test_a_street_cannot_sit_under_a_community(tree):
    with pytest.raises(ValidationError) as exc:
        alliance_create(user=fresh(tree.district_admin), parent=tree.community_a1, name="x", level=Level.STREET,
                        code="500104009")
    assert "level" in exc.value.message_dict


def test_an_industry_alliance_sits_beside_the_district(tree):
    industry = alliance_create(user=fresh(tree.district_admin), parent=tree.district, name="物业行业党建共同体",
                               level=Level.DISTRICT, kind=Kind.INDUSTRY, code="500104-WY")
    assert industry.depth == 2


def test_moving_a_street_under_its_own_community_is_a_cycle(tree):
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        alliance_move(user=fresh(tree.district_admin), alliance=tree.street_a, new_parent=tree.community_a1)
    assert "循环" in exc.value.message_dict["parent"][0]
    assert _snapshot() == before


def test_moving_a_community_carries_its_units_and_the_scope_follows(tree):
    alliance_move(user=fresh(tree.district_admin), alliance=tree.community_a2, new_parent=tree.street_b)
    moved = Alliance.objects.get(pk=tree.community_a2.pk)
    assert moved.path.startswith(tree.street_b.path)
    unit = MemberUnit.objects.get(pk=tree.unit_a2.pk)
    assert unit.alliance_path == moved.path
    assert set(Membership.objects.filter(alliance=moved).values_list("alliance_path", flat=True)) == {moved.path}
    assert moved in alliance_list(user=fresh(tree.secretary_b))
    assert moved not in alliance_list(user=fresh(tree.secretary_a))
    assert Alliance.objects.get(pk=tree.street_a.pk).numchild == 1
    assert Alliance.objects.get(pk=tree.street_b.pk).numchild == 3
    assert Alliance.objects.find_problems() == ([], [], [], [], [])


def test_update_refuses_a_blank_name_and_keeps_the_row(tree):
    with pytest.raises(ValidationError):
        alliance_update(user=fresh(tree.secretary_a), alliance=tree.street_a, name="  ")
    assert Alliance.objects.get(pk=tree.street_a.pk).name == tree.street_a.name


def test_a_new_tenant_code_must_be_unique(db):
    tenant_create(name="江岸区", code="420102")
    with pytest.raises(ValidationError):
        tenant_create(name="江岸区", code="420102")


def test_a_street_with_communities_cannot_become_a_grid(tree):
    with pytest.raises(ValidationError) as exc:
        alliance_update(user=fresh(tree.district_admin), alliance=tree.street_a, level=Level.GRID)
    assert "请先调整下级" in exc.value.message_dict["level"][0]
    assert Alliance.objects.get(pk=tree.street_a.pk).level == Level.STREET
    with pytest.raises(ValidationError):
        alliance_update(user=fresh(tree.root), alliance=tree.district, level=Level.GRID)


def test_nothing_goes_below_a_grid(tree):
    grid = alliance_create(user=fresh(tree.district_admin), parent=tree.community_a1, name="第一网格",
                           level=Level.GRID, code="500104001001-01")
    with pytest.raises(ValidationError):
        alliance_create(user=fresh(tree.district_admin), parent=grid, name="x", level=Level.GRID,
                        kind=Kind.PROFESSIONAL, code="500104001001-01-1")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_moves_leave_a_consistent_tree(tree):
    """Both moves run; whichever commits last wins, and every row's path follows its alliance."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    barrier = threading.Barrier(2)
    errors = []

    def move(target):
        from django.db import connection as thread_connection
        try:
            barrier.wait(timeout=10)
            alliance_move(user=fresh(tree.root), alliance=Alliance.objects.get(pk=tree.community_a2.pk),
                          new_parent=Alliance.objects.get(pk=target.pk))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=move, args=(t,)) for t in (tree.street_b, tree.district)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    moved = Alliance.objects.get(pk=tree.community_a2.pk)
    assert MemberUnit.objects.get(pk=tree.unit_a2.pk).alliance_path == moved.path
    assert set(Membership.objects.filter(alliance=moved).values_list("alliance_path", flat=True)) == {moved.path}
    assert Alliance.objects.find_problems() == ([], [], [], [], [])
