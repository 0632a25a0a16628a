"""Masking of personal data (ID and phone numbers) for roles that do not need it in full.

Who sees full numbers is decided by `user.sees_personal_data` (relief.models.UNMASKED_ROLES); pages,
the API and exports all go through `id_for` / `phone_for`.
"""

from __future__ import annotations

from relief.privacy import mask_id_number, mask_phone, sees_personal_data


def id_for(user, value: str | None) -> str:
    return (value or "") if sees_personal_data(user) else mask_id_number(value)


def phone_for(user, value: str | None) -> str:
    return (value or "") if sees_personal_data(user) else mask_phone(value)
