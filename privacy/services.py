"""Erasure of one person's data (个人信息删除) that keeps every business row and the audit trail."""

from __future__ import annotations

import logging

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from agreements.models import Evaluation, Party
from alliance.models import Alliance
from alliance.roles import Role
from alliance.selectors import forget_scope, user_scope
from members.models import RoleAssignment, User
from members.services import role_revoke
from tasks.models import Item, ItemEvent

from .selectors import _phone_q, normalise_phone, require_privacy_officer, tenant_root

logger = logging.getLogger("privacy")


def erased_name(user_id: int) -> str:
    return _("已注销用户#%(id)d") % {"id": user_id}


def _erase_user_sessions(user_id: int) -> int:
    """Sessions in the database that belong to the user. The unusable password already voids
    every session (Django checks the password's hash on each request); this removes the rows."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0
    doomed = [s.pk for s in Session.objects.iterator() if str(s.get_decoded().get("_auth_user_id")) == str(user_id)]
    Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


def _erase_party(*, tenant_id: int, user: User | None, phones: set[str]) -> int:
    """Party member rows of the person (if the party app is installed): personal fields cleared,
    rows kept so that reports, points and service records still add up."""
    if not apps.is_installed("party"):
        return 0
    try:
        model = apps.get_model("party", "PartyMember")
    except LookupError:
        return 0
    names = {f.name for f in model._meta.concrete_fields}
    q = Q(pk__in=[])
    if user is not None and "user" in names:
        q |= Q(user_id=user.pk)
    if "phone" in names and phones:
        q |= _phone_q("phone", phones)
    count = 0
    for member in model.objects.filter(q, tenant_id=tenant_id):
        update = []
        for field, value in (("name", _("已注销党员#%(id)d") % {"id": member.pk}), ("phone", ""),
                             ("id_number", "")):
            if field in names:
                setattr(member, field, value)
                update.append(field)
        member.save(update_fields=update)
        count += 1
    return count


@transaction.atomic
def person_erase(*, actor, user: User | None = None, phone: str | None = None,
                 root: Alliance | None = None) -> dict[str, int]:
    """Anonymise one person: the account's personal fields, roles, tokens and sessions, and the
    contact details on the demands and ratings they gave as a resident. No row is deleted, so items,
    agreements, votes and every event stay as they were; only the district admin of the tenant."""
    if user is None and not normalise_phone(phone):
        raise ValidationError({"username": [_("请填写用户名或手机号。")]})
    if root is None:
        root = tenant_root(user.tenant_id) if user is not None and user.tenant_id else None
        if root is None:
            tenants = user_scope(actor).tenant_ids
            if len(tenants) != 1:
                raise ValidationError({"root": [_("请指定租户。")]})
            root = tenant_root(next(iter(tenants)))
    require_privacy_officer(actor=actor, root=root)
    tenant_id = root.tenant_id
    phones = {p for p in (normalise_phone(phone), (phone or "").strip()) if p}
    done = {"users": 0, "roles": 0, "tokens": 0, "sessions": 0, "items": 0, "item_events": 0,
            "agreement_signatures": 0, "evaluations": 0, "party_members": 0}

    if user is not None:
        if user.pk == actor.pk:
            raise ValidationError({"username": [_("不能注销自己的账号。")]})
        if user.is_superuser:
            raise PermissionDenied(_("平台管理员账号不能在这里注销。"))
        if not user_scope(actor).is_superuser and RoleAssignment.objects.filter(
                user=user, role=Role.DISTRICT_ADMIN, alliance_path=root.path).exists():
            raise PermissionDenied(_("同级组织部管理员的账号由上一级或平台注销。"))
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.phone:
            phones |= {user.phone, normalise_phone(user.phone)}
        old_name = user.name
        label = erased_name(user.pk)

        for assignment in RoleAssignment.objects.filter(user=user, tenant_id=tenant_id).select_related(
                "alliance", "user"):
            role_revoke(user=actor, assignment=assignment)
            done["roles"] += 1
        done["tokens"] = Token.objects.filter(user=user).delete()[0]
        done["sessions"] = _erase_user_sessions(user.pk)

        user.refresh_from_db()
        user.name = label
        user.phone = ""
        user.email = ""
        user.username = f"erased-{user.pk}"
        user.set_unusable_password()
        user.is_active = False
        user.is_staff = False
        user.save(update_fields=["name", "phone", "email", "username", "password", "is_active", "is_staff"])
        forget_scope(user)
        done["users"] = 1

        done["item_events"] = ItemEvent.objects.filter(actor_id=user.pk, tenant_id=tenant_id).update(actor_label=label)
        done["agreement_signatures"] = Party.objects.filter(signed_by_id=user.pk, tenant_id=tenant_id).update(
            signer_name=label)
        # Demands the person raised while logged in and in their own name (not those staff logged
        # for a resident: those are the resident's details, not the account holder's).
        if old_name:
            done["items"] += Item.objects.filter(created_by_id=user.pk, requester_name=old_name,
                                                 tenant_id=tenant_id).update(requester_name="", requester_phone="")

    if phones:
        done["items"] += Item.objects.filter(_phone_q("requester_phone", phones), tenant_id=tenant_id).update(
            requester_name="", requester_phone="")
        # The phone is part of the once-a-year rule's unique key: a placeholder unique per row.
        for evaluation in Evaluation.objects.filter(_phone_q("resident_phone", phones), tenant_id=tenant_id):
            evaluation.resident_name = ""
            evaluation.resident_phone = f"erased-{evaluation.pk}"[:20]
            evaluation.save(update_fields=["resident_name", "resident_phone"])
            done["evaluations"] += 1
    done["party_members"] = _erase_party(tenant_id=tenant_id, user=user, phones=phones)
    logger.info("person erased by user %s in tenant %s: user=%s %s", actor.pk, tenant_id,
                user.pk if user is not None else None, done)
    return done
