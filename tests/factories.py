"""Test data made through the services, so the rows are the ones users would make."""

from __future__ import annotations

import itertools

from alliance.models import Alliance
from members.models import Category, MemberUnit, User
from members.services import member_unit_create, role_assign
from members.validators import credit_code_check_char

_seq = itertools.count(1)


def credit_code(n: int | None = None, region: str = "500104") -> str:
    """A valid unified social credit code, distinct for each n."""
    n = next(_seq) if n is None else n
    body = f"91{region}MA{n:07d}"
    return body + credit_code_check_char(body)


def user(username: str | None = None, **extra) -> User:
    username = username or f"user{next(_seq)}"
    extra.setdefault("name", username)
    return User.objects.create_user(username=username, email=f"{username}@example.cn", password="pw-Test-2026",
                                    **extra)


def user_with_role(alliance: Alliance, role: str, *, unit: MemberUnit | None = None,
                   username: str | None = None) -> User:
    target = user(username)
    granter = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "root", "root@example.cn", "pw-Test-2026")
    role_assign(user=granter, target=target, alliance=alliance, role=role, member_unit=unit)
    return target


def unit(alliance: Alliance, *, by: User, name: str | None = None, **fields) -> MemberUnit:
    n = next(_seq)
    fields.setdefault("category", Category.PRIVATE_ENTERPRISE)
    fields.setdefault("credit_code", credit_code(n))
    return member_unit_create(user=by, alliance=alliance, name=name or f"测试单位{n}", **fields)


# --- agreements (#3) -----------------------------------------------------------------------

def agreement(alliance: Alliance, *, by: User, units=(), title: str = "锦霞社区共建协议", term_start=None,
              term_end=None, clauses=("双方本着资源共享、优势互补的原则开展共建。", "协议履约情况每年评议一次。"),
              commitments=()):
    """A draft agreement made through the services. `commitments` are dicts of commitment_add
    arguments, with "unit" (a MemberUnit, or None for the initiating organisation) instead of "party"."""
    import datetime as dt

    from django.utils import timezone

    from agreements.services import agreement_create, clause_add, commitment_add

    today = timezone.localdate()
    draft = agreement_create(user=by, alliance=alliance, title=title, term_start=term_start or today,
                             term_end=term_end or today + dt.timedelta(days=364), units=list(units),
                             preamble="为推动共建共治共享,经协商一致,订立本协议。")
    for text in clauses:
        clause_add(user=by, agreement=draft, text=text)
    for spec in commitments:
        spec = dict(spec)
        unit = spec.pop("unit", None)
        party = draft.parties.get(unit=unit) if unit is not None else draft.parties.get(unit__isnull=True)
        commitment_add(user=by, agreement=draft, party=party, **spec)
    return draft
