from django import template

register = template.Library()


@register.filter
def follow_target(model) -> dict:
    """The follow button's target for a model: ``{"model": model}``."""
    return {"model": model}
