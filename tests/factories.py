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
