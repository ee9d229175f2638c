"""``manage.py apikey create USERNAME --scopes read,ci`` prints a new key; ``revoke PREFIX``."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from governance.accounts.models import ApiKey, User
from governance.accounts.services import create_api_key, revoke_api_key


class Command(BaseCommand):
    help = "Create (printing the secret once) or revoke an API key."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create")
        create.add_argument("username")
        create.add_argument("--scopes", default="read")
        create.add_argument("--name", default="cli")
        create.add_argument("--days", type=int, default=None)
        revoke = commands.add_parser("revoke")
        revoke.add_argument("prefix")

    def handle(self, *args, command: str, **options) -> None:
        if command == "revoke":
            key = ApiKey.objects.filter(prefix=options["prefix"]).first()
            if key is None:
                raise CommandError("No such key.")
            revoke_api_key(key=key, actor=key.user)
            self.stdout.write(f"Revoked {key}.")
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        days = options["days"]
        _, raw = create_api_key(
            user=user,
            name=options["name"],
            scopes=options["scopes"].split(","),
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        self.stdout.write(raw)
