"""Erasure keeps every business row and event; afterwards nothing personal is left to export."""

import json

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token

from agreements.models import Agreement, Evaluation, Party
from alliance.selectors import user_scope
from members.models import RoleAssignment, User
from privacy.selectors import person_data_export, tenant_root
from privacy.services import person_erase
from tasks.models import Item, ItemEvent

from ..conftest import fresh
from .conftest import PHONE

ID_NUMBER = "11010519491231002X"
PERSONAL = ("赵敏", PHONE, "zhaomin@example.cn", "liaison_a1")


def _state():
    return (Item.objects.count(), ItemEvent.objects.count(), Agreement.objects.count(), Party.objects.count(),
            Evaluation.objects.count(), User.objects.count())


def test_erase_anonymises_the_person_and_keeps_every_row(tree, person, client):
    before = _state()
    done = person_erase(actor=fresh(tree.district_admin), user=person.user)
    assert done["users"] == 1 and done["roles"] == 1 and done["tokens"] == 1
    assert _state() == before

    user = User.objects.get(pk=person.user.pk)
    assert user.name == f"已注销用户#{user.pk}" and user.username == f"erased-{user.pk}"
    assert (user.phone, user.email, user.is_active, user.has_usable_password()) == ("", "", False, False)
    assert not RoleAssignment.objects.filter(user=user).exists()
    assert not user_scope(fresh(user)).prefixes
    assert not Token.objects.filter(user=user).exists()
    for username in ("liaison_a1", user.username):
        response = client.post(reverse("login"), {"username": username, "password": "pw-Test-2026"})
        assert response.status_code != 302 and "_auth_user_id" not in client.session

    # The business rows stay, with the anonymised account behind them.
    own = Item.objects.get(pk=person.own_demand.pk)
    assert (own.title, own.requester_name, own.requester_phone) == ("小区路灯不亮", "", "")
    claimed = Item.objects.get(pk=person.claimed.pk)
    assert claimed.requester_phone == "13600009999"  # another resident's demand is left alone
    party = Party.objects.get(agreement=person.agreement, unit=tree.unit_a1)
    assert party.signed_by_id == user.pk and party.signer_name == user.name and party.signed_at
    assert Agreement.objects.get(pk=person.agreement.pk).stage == person.agreement.stage
    assert ItemEvent.objects.filter(actor=user).exists()

    data = person_data_export(actor=fresh(tree.district_admin), user=user)
    text = json.dumps(data, ensure_ascii=False)
    for value in PERSONAL:
        assert value not in text, value
    by_phone = person_data_export(actor=fresh(tree.district_admin), phone=PHONE,
                                  root=tenant_root(tree.district.tenant_id))
    assert not by_phone["sections"]["items"] and not by_phone["sections"]["agreement_evaluations"]


def test_a_resident_is_erased_by_phone(tree, person):
    person_erase(actor=fresh(tree.district_admin), phone=PHONE, root=tenant_root(tree.district.tenant_id))
    assert Item.objects.get(pk=person.own_demand.pk).requester_phone == ""
    evaluation = Evaluation.objects.get(agreement=person.agreement, rater_kind="resident")
    assert evaluation.resident_name == "" and PHONE not in evaluation.resident_phone
    # The account with the same phone is not touched by a phone-only request.
    assert User.objects.get(pk=person.user.pk).is_active


def test_who_may_not_be_erased(tree, person):
    admin = fresh(tree.district_admin)
    with pytest.raises(ValidationError):
        person_erase(actor=admin, user=admin)
    with pytest.raises(PermissionDenied):
        person_erase(actor=admin, user=tree.root)
    with pytest.raises(PermissionDenied):
        person_erase(actor=fresh(tree.secretary_a), user=person.user)
    with pytest.raises(PermissionDenied):
        person_erase(actor=fresh(tree.other_tenant_admin), user=person.user)
    assert User.objects.get(pk=person.user.pk).is_active


def test_the_page_asks_for_confirmation_first(tree, person, client):
    client.force_login(tree.district_admin)
    url = reverse("privacy-erase", kwargs={"pk": tree.district.pk})
    assert client.get(url).status_code == 200
    step1 = client.post(url, {"username": "liaison_a1"})
    assert step1.status_code == 200
    page = step1.content.decode()
    assert 'data-testid="privacy-erase-confirm"' in page and "赵敏" in page
    assert User.objects.get(pk=person.user.pk).is_active  # nothing written yet

    unconfirmed = client.post(url, {"username": "liaison_a1", "confirm_step": "1"})
    assert unconfirmed.status_code == 200
    assert User.objects.get(pk=person.user.pk).is_active

    done = client.post(url, {"username": "liaison_a1", "confirm_step": "1", "confirm": "on"})
    assert done.status_code == 302
    assert not User.objects.get(pk=person.user.pk).is_active

    again = client.post(url, {"username": "liaison_a1"})
    assert "本区没有该用户名的账号。" in again.content.decode()


def test_the_page_refuses_the_admins_own_account_with_a_message(tree, person, client):
    client.force_login(tree.district_admin)
    url = reverse("privacy-erase", kwargs={"pk": tree.district.pk})
    response = client.post(url, {"username": "district_admin", "confirm_step": "1", "confirm": "on"})
    assert response.status_code == 200
    assert "不能注销自己的账号。" in response.content.decode()
    assert User.objects.get(pk=tree.district_admin.pk).is_active


@pytest.mark.skipif(not apps.is_installed("party"), reason="the party app is not installed")
def test_party_member_records_are_exported_and_anonymised(tree, person):
    from party.models import PartyMember
    from party.services import party_member_create, report_create

    member = party_member_create(user=fresh(tree.root), community=tree.community_a1, name="赵敏", phone=PHONE,
                                 id_number=ID_NUMBER, account=person.user)
    report_create(user=fresh(tree.root), member=member)
    admin = fresh(tree.district_admin)
    sections = person_data_export(actor=admin, user=person.user)["sections"]
    assert [m["id_number"] for m in sections["party_members"]] == [ID_NUMBER]
    assert sections["party_records"]  # the report (报到), and its points

    done = person_erase(actor=admin, user=person.user)
    assert done["party_members"] == 1
    member = PartyMember.objects.get(pk=member.pk)
    assert (member.phone, member.id_number) == ("", "") and member.name.startswith("已注销党员#")
    text = json.dumps(person_data_export(actor=admin, user=User.objects.get(pk=person.user.pk)), ensure_ascii=False)
    assert ID_NUMBER not in text and PHONE not in text and "赵敏" not in text
