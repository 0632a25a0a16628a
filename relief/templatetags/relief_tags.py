from django import template

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
