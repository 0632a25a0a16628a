from django import template

from relief import privacy
from relief.stored_labels import stored

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.inclusion_tag("relief/_masked.html", takes_context=True)
def masked(context, obj, field: str, masked_value: str = ""):
    """A personal number: in full for roles that need it, else masked with a logged "show" button."""
    user = context["request"].user
    value = getattr(obj, field, "") or ""
    full = bool(getattr(user, "sees_personal_data", False))
    return {
        "value": value if full else masked_value,
        "can_reveal": bool(value) and not full,
        "model_label": obj._meta.label_lower,
        "pk": obj.pk,
        "field": field,
    }


@register.simple_tag
def idempotency_field():
    """The hidden key of a write form (relief/idempotency.py): a fresh one each time the form is drawn,
    so submitting it twice makes one record."""
    import uuid

    from django.utils.html import format_html

    from relief.idempotency import FIELD

    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, uuid.uuid4())


@register.filter
def text_for(value: str | None, user) -> str:
    """{{ visit.note|text_for:user }}: free text as written, or with the ID and mobile numbers typed
    into it masked, by the user's role (relief/privacy.py)."""
    return privacy.text_for(user, value)


@register.filter
def account_for(value: str | None, user) -> str:
    from relief.privacy import account_for as account

    return account(user, value)


@register.filter
def phone_for(value: str | None, user) -> str:
    """{{ institution.contact_phone|phone_for:user }}: the full number or a masked one, by role."""
    return privacy.phone_for(user, value)


@register.filter
def birth_date_for(value, user):
    """{{ person.birth_date|birth_date_for:user }}: the date, or its year where IDs are masked."""
    return privacy.birth_date_for(user, value)


@register.filter
def yuan(value) -> str:
    """{{ payment.amount|yuan }}: an amount of money as a person reads it, with thousands
    separators and two decimals ("1,234,567.89"); "" for none. Decimal throughout (a float would
    round 0.005 the wrong way), whatever the active language."""
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    if value is None or value == "":
        return ""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{amount:,.2f}"


@register.filter
def figure(value, kind: str) -> str:
    """{{ row.value|figure:fig.kind }}: a dashboard figure as shown, a share as a whole percentage
    ("87%"), a count with thousands separators; "—" for none."""
    from decimal import ROUND_HALF_UP, Decimal

    if value is None or value == "":
        return "—"
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == "ratio":
        return f"{(number * 100).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"
    if kind == "money":
        return yuan(number)
    return f"{number.normalize():,f}" if number != number.to_integral_value() else f"{int(number):,}"


@register.filter
def change(value, kind: str) -> str:
    """{{ row.change|change:fig.kind }}: the change since last week with its sign ("+3"; a share's
    in percentage points, "−5%"),
        "—" when there is no snapshot of last week, "0" when unchanged."""
    if value is None or value == "":
        return "—"
    shown = figure(abs(value), kind)
    return ("+" if value > 0 else "−" if value < 0 else "") + shown


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    """`?…&page=N`: the current list's filters (region, state, …) kept when paging."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"


@register.filter(name="stored")
def stored_filter(value):
    """A label stored in Chinese (a programme, a material item or unit, a checklist item) in the
    chosen language where a translation exists (relief/stored_labels.py)."""
    return stored(value)


@register.simple_tag(takes_context=True)
def kept(context, action: str, name: str, default="", row=None, suffix=""):
    """What was typed in field `name` (+ `suffix`: "amount_" and a donation's id) of the hand-written
    form `action` (on row `row` of a list) when it answered an error and the page is drawn again
    (`relief.forms.kept_input`); else `default`."""
    data = context.get("kept") or {}
    if data.get("_action") != action or (row is not None and data.get("_row") != str(row)):
        return default
    return data.get(f"{name}{suffix}", default)
