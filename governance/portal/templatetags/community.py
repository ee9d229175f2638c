from django import template

from governance.net import is_http_url

register = template.Library()


@register.filter
def follow_target(model) -> dict:
    """The follow button's target for a model: ``{"model": model}``."""
    return {"model": model}


@register.filter
def http_url(value: object) -> str:
    """``url|http_url``: the URL if it is http(s), else "" — a link is only rendered for a
    URL that cannot run a script, whatever an older row holds."""
    return value if is_http_url(value) else ""
