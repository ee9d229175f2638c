"""Django system checks for Hubgate: a plugin that failed to load is reported loudly."""

from typing import Any

from django.core import checks

from governance.plugins import plugin_infos


@checks.register("hubgate")
def plugins_loaded(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"Plugin {info.name!r} ({info.module}) failed to load: {info.error}",
            hint="Fix or remove the plugin, or list it in HUBGATE_DISABLED_PLUGINS.",
            id="hubgate.E001",
        )
        for info in plugin_infos()
        if info.enabled and info.error
    ]
