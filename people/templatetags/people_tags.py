from django import template

from relief import privacy

register = template.Library()


@register.filter
def id_for(value: str | None, user) -> str:
    """{{ person.id_number|id_for:user }}: the full number or a masked one, by the user's role."""
    return privacy.id_for(user, value)


@register.filter
def phone_for(value: str | None, user) -> str:
    return privacy.phone_for(user, value)


@register.filter
def check_mark(value: bool | None) -> str:
    # √ and × (not ✓ ✗): in every Chinese font of an office PC; emoji and dingbats show as boxes
    return {True: "√", False: "×", None: "—"}[value]
