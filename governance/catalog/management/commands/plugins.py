"""``manage.py plugins``: the plugins Hubgate knows, where they come from, and their hooks."""

import json

from django.core.management.base import BaseCommand, CommandParser

from governance.plugins import plugin_infos


class Command(BaseCommand):
    help = "List Hubgate plugins, the hooks each implements, and whether it is enabled."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, format: str, **options) -> None:
        infos = plugin_infos()
        if format == "json":
            rows = [
                {
                    "name": i.name,
                    "module": i.module,
                    "distribution": i.distribution,
                    "hooks": list(i.hooks),
                    "enabled": i.enabled,
                    "error": i.error,
                }
                for i in infos
            ]
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not infos:
            self.stdout.write("No plugins found in the 'hubgate' entry-point group.")
            return
        for info in infos:
            if info.error:
                state = self.style.ERROR("failed")
            elif info.enabled:
                state = self.style.SUCCESS("enabled")
            else:
                state = self.style.WARNING("disabled")
            source = f"{info.module}" + (f" ({info.distribution})" if info.distribution else "")
            self.stdout.write(f"{info.name}  [{state}]  {source}")
            if info.hooks:
                self.stdout.write("    hooks: " + ", ".join(info.hooks))
            if info.error:
                self.stdout.write("    error: " + info.error)
