from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict, key):
    """``mapping|get_item:key`` — a dict lookup by a variable key."""
    return mapping.get(key) if mapping else None


@register.simple_tag
def local_login_enabled() -> bool:
    """Whether the password form shows on the sign-in page (HUBGATE_LOCAL_LOGIN)."""
    from django.conf import settings

    return settings.HUBGATE_LOCAL_LOGIN


@register.filter
def percent(value: float | None) -> str:
    """0.823 → "82%" (quality values are in [0, 1]); "—" when unknown."""
    return "—" if value is None else f"{round(value * 100)}%"


@register.filter
def get_list(querydict, key: str) -> list[str]:
    """``request.GET|get_list:"type"`` — every value of a repeated query parameter."""
    return querydict.getlist(key) if hasattr(querydict, "getlist") else []
