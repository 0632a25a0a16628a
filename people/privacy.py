"""Masking of personal data (ID and phone numbers) for roles that do not need it in full.

Who sees full numbers is decided by `user.sees_personal_data` (relief.models.UNMASKED_ROLES); pages,
the API and exports all go through `id_for` / `phone_for`.
"""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """510121198001010017 -> 510121********0017 (address code and last four kept)."""
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 -> 138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def sees_personal_data(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.sees_personal_data)


def id_for(user, value: str | None) -> str:
    return (value or "") if sees_personal_data(user) else mask_id_number(value)


def phone_for(user, value: str | None) -> str:
    return (value or "") if sees_personal_data(user) else mask_phone(value)
