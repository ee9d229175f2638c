"""``manage.py search QUERY [--mode lexical|semantic|hybrid] [--format json] [--reindex]``."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from governance.discovery import selectors, services
from governance.errors import HubgateError


class Command(BaseCommand):
    help = "Search the catalog as a user sees it, or rebuild every search index (--reindex)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("query", nargs="?", default="", help="The words to search for.")
        parser.add_argument("--mode", choices=selectors.MODES, default="hybrid")
        parser.add_argument("--format", choices=("text", "json"), default="text")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--sort", choices=tuple(selectors.SORTS), default="relevance")
        parser.add_argument(
            "--user",
            help="Search as this user (their visibility and team boosts); default: as staff.",
        )
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="Rebuild the lexical, semantic and image indexes first.",
        )

    def handle(
        self,
        *args,
        query: str,
        mode: str,
        format: str,
        limit: int,
        sort: str,
        user: str | None,
        reindex: bool,
        **options,
    ) -> None:
        try:
            if reindex:
                report = services.reindex_all()
                self.stderr.write(
                    f"Indexed {report.documents} models, embedded {report.embeddings}, "
                    f"hashed {report.image_hashes} preview images."
                )
                if report.semantic_skipped:
                    self.stderr.write(self.style.WARNING(report.semantic_skipped))
            if not query:
                if not reindex:
                    raise CommandError("Give a QUERY, or --reindex.")
                return
            searcher = self._user(user)
            params = selectors.SearchParams(
                query=query, mode=mode, limit=limit, sort=sort, personalize=searcher.pk is not None
            )
            results = selectors.search(user=searcher, params=params)
        except HubgateError as exc:
            raise CommandError(exc.detail) from exc
        for warning in results.warnings:
            self.stderr.write(self.style.WARNING(warning))
        if format == "json":
            self.stdout.write(
                json.dumps(
                    {
                        "query": query,
                        "mode": mode,
                        "total": results.total,
                        "results": [
                            {
                                "id": h.model.pk,
                                "name": h.model.name,
                                "type": h.model.type,
                                "score": round(h.score, 6),
                                "sources": list(h.sources),
                            }
                            for h in results.hits
                        ],
                        "warnings": results.warnings,
                    },
                    indent=2,
                )
            )
            return
        for rank, hit in enumerate(results.hits, start=1):
            self.stdout.write(
                f"{rank:>3}. [{hit.model.pk}] {hit.model.name} ({hit.model.type}) "
                f"{hit.score:.4f} {'+'.join(hit.sources)}"
            )
        self.stdout.write(f"{len(results.hits)} of {results.total} shown.")

    def _user(self, username: str | None):
        user_model = get_user_model()
        if username is None:
            # Whoever runs manage.py can read the database anyway: search as staff.
            return user_model(username="manage.py", is_staff=True)
        found = user_model.objects.filter(username=username).first()
        if found is None:
            raise CommandError(f"No user {username!r}.")
        return found
