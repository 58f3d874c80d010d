"""Masking of personal data for roles that need not see it (个人信息保护法).

One place for the rule of how a phone or ID number is shown masked, so pages, exports and the
API mask the same way. Who may see the full value is decided by the caller's selector.
"""

from __future__ import annotations


def mask_phone(value: str | None) -> str:
    """138****5678 for a mainland mobile; other numbers keep their first 3 and last 2 characters."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 5:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 5)}{digits[-2:]}"


def mask_id_number(value: str | None) -> str:
    """A resident ID (18 characters) keeps its first 6 (region) and last 4: 500104********123X."""
    if not value:
        return ""
    text = value.strip()
    if len(text) <= 10:
        return "*" * len(text)
    return f"{text[:6]}{'*' * (len(text) - 10)}{text[-4:]}"
