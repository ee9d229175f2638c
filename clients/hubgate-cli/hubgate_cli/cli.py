"""``hubgate check PATH-or-REF… --profile P``: is each file approved for this use?

Files are hashed here (streaming SHA256); only hashes and references go to Hubgate.
Exit 0 pass, 1 fail, 2 error or Hubgate unreachable (0 with ``--fail-open``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import ci, report
from .client import CheckError, GateClient
from .hashing import files_under, sha256_of

FORMATS = ("text", "json", "junit", "sarif")
_HASH = re.compile(r"(?:[0-9A-Fa-f]{64}|[0-9A-Fa-f]{10})")
_PREFIXES = ("urn:air:", "air:", "civitai:", "hash:", "http://", "https://")
_CIVITAI_HOSTS = ("civitai.com/", "civitai.green/", "www.civitai.com/", "www.civitai.green/")
_TRUE = {"1", "true", "yes", "on"}


class UsageError(Exception):
    """Bad arguments or an unreadable file: exit 2 whatever --fail-open says."""


def add_check_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``check`` to an argparse sub-command set (this package's and Hubgate's own)."""
    check = commands.add_parser(
        "check",
        help="ask Hubgate whether model files are approved for an intended use",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "targets",
        nargs="+",
        metavar="PATH-or-REF",
        help="a file or directory (hashed locally), a SHA256/AutoV2 hash, a "
        "version id, a CivitAI URL or an AIR",
    )
    check.add_argument(
        "--profile",
        default=os.environ.get("HUBGATE_PROFILE") or None,
        help="the intended-use profile slug (default: $HUBGATE_PROFILE)",
    )
    check.add_argument("--url", default=None, help="Hubgate's address (default: $HUBGATE_URL)")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="write the report here; a text summary goes to stderr",
    )
    check.add_argument(
        "--fail-open",
        action="store_true",
        default=os.environ.get("HUBGATE_FAIL_OPEN", "").lower() in _TRUE,
        help="pass (exit 0, with a warning) when Hubgate is unreachable or "
        "failing; default: fail closed (exit 2). Also $HUBGATE_FAIL_OPEN=1",
    )
    check.add_argument(
        "--strict", action="store_true", help="warnings (deprecated, waived) fail the check too"
    )
    check.add_argument(
        "--record-deployment",
        action="store_true",
        help="record a deployment of every passing item, with the CI job's "
        "repository, commit and pipeline URL",
    )
    check.add_argument("--repo", default=None, help="repository (default: from the CI)")
    check.add_argument("--commit", default=None, help="commit (default: from the CI)")
    check.add_argument("--pipeline-url", default=None, help="pipeline URL (default: from the CI)")
    check.add_argument("--environment", default=None, help="deployment environment")
    check.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    check.add_argument(
        "--retries",
        type=int,
        default=int(os.environ.get("HUBGATE_RETRIES") or 2),
        help="retries when Hubgate is unreachable, failing or throttling (default 2)",
    )
    check.set_defaults(handler=run_check)
    return check


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hubgate", description="The Hubgate CI quality gate.")
    commands = parser.add_subparsers(dest="command", required=True)
    add_check_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 2


def items_for(targets: Sequence[str]) -> list[dict[str, str]]:
    """The request items: every file under each path hashed; everything else a reference."""
    items: list[dict[str, str]] = []
    for target in targets:
        path = Path(target)
        if path.exists():
            for file in files_under(path):
                try:
                    digest = sha256_of(file)
                except OSError as exc:
                    raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
                items.append({"hash": digest, "name": str(file), "path": str(file)})
        elif (key := reference_key(target)) is not None:
            items.append({key: target, "name": target})
        else:
            raise UsageError(
                f"{target}: no such file, and not a hash, version id, CivitAI URL or AIR"
            )
    if not items:
        raise UsageError("nothing to check: the directories given hold no files")
    return items


def reference_key(value: str) -> str | None:
    """``hash`` or ``ref``: how an argument that is not a path is sent; None if it is neither.

    Hubgate's one reference table (``governance.catalog.references``; this client cannot
    import it) decides what a reference names; this only sorts by the same rules: digits
    only are a version id (write ``hash:…`` for an all-digit hash), 10 or 64 hex digits a
    file hash, a ``civitai:``/``air:``/``urn:air:``/``hash:`` prefix or a CivitAI URL a
    reference. Hubgate tests that the two agree on one table of cases.
    """
    lowered = value.lower()
    if value.isascii() and value.isdigit():
        return "ref"
    if _HASH.fullmatch(value):
        return "hash"
    if lowered.startswith(_PREFIXES) or lowered.startswith(_CIVITAI_HOSTS):
        return "ref"
    return None


def _ci_metadata(args: argparse.Namespace, env: Mapping[str, str]) -> dict[str, str]:
    metadata = ci.detect(env)
    for key, value in (
        ("repository", args.repo),
        ("commit", args.commit),
        ("pipeline_url", args.pipeline_url),
        ("environment", args.environment),
    ):
        if value:
            metadata[key] = value
    return metadata


def run_check(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    """Run one check and write its report; returns the exit code."""
    env = os.environ if env is None else env
    url = args.url or env.get("HUBGATE_URL", "")
    started = time.monotonic()
    rep = report.Report(url=url, profile=args.profile or "", strict=args.strict)
    try:
        if not args.profile:
            raise UsageError("name the intended-use profile: --profile SLUG (or $HUBGATE_PROFILE)")
        if not url:
            raise UsageError("say where Hubgate is: --url or $HUBGATE_URL")
        token = env.get("HUBGATE_TOKEN", "")
        if not token:
            raise UsageError("set $HUBGATE_TOKEN to a Hubgate API key with the ci scope")
        items = items_for(args.targets)
    except UsageError as exc:
        print(f"hubgate check: {exc}", file=sys.stderr)
        return 2
    client = GateClient(url, token, timeout=args.timeout, retries=max(0, args.retries))
    try:
        answer = client.check(
            profile=args.profile,
            items=[{k: v for k, v in item.items() if k != "path"} for item in items],
            record_deployment=args.record_deployment,
            ci=_ci_metadata(args, env) if args.record_deployment else None,
        )
        for item, local in zip(answer.get("items", []), items):
            if "path" in local:
                item["path"] = local["path"]
        rep.items = answer.get("items", [])
    except CheckError as exc:
        rep.error = str(exc)
        rep.failed_open = exc.unavailable and args.fail_open
    finally:
        client.close()
    rep.duration = time.monotonic() - started
    _write(rep, args)
    return rep.exit_code


def _write(rep: report.Report, args: argparse.Namespace) -> None:
    rendered = report.render(rep, args.format)
    if args.output is None:
        sys.stdout.write(rendered)
        if rep.error and args.format != "text":
            print(f"hubgate check: {report.text(rep).splitlines()[-1]}", file=sys.stderr)
        return
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(rendered, encoding="utf-8")
    sys.stderr.write(report.text(rep))
