"""The demo's governance: reviewer roles, two policies, and in-house models taken through
the real services — uploaded, scanned, requested, reviewed, approved, one deprecated — so
`make run` shows every state a team meets. Idempotent: it does nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import struct
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from governance.accounts.models import ReviewerRole, RoleAssignment, Team, User
from governance.approvals import services
from governance.approvals.models import ApprovalPolicy, ModelRequest
from governance.catalog.models import Hub, Model, ModelType, ModelVersion, Visibility
from governance.catalog.services import grant_owning_team
from governance.ingest.services import attach_blob, ingest_chunks
from governance.lifecycle import services as lifecycle
from governance.scoring.services import refresh_version_scores

REVIEWERS = [("sofia", "Sofia", "security"), ("lars", "Lars", "legal")]


def demo_safetensors(seed: str, tensors: int = 8, width: int = 256) -> bytes:
    """A small, valid safetensors file whose bytes depend only on ``seed``."""
    header, offset = {"__metadata__": {"format": "pt", "hubgate_demo": seed}}, 0
    for i in range(tensors):
        size = width * width * 2
        header[f"lora_unet_block_{i}.weight"] = {
            "dtype": "F16",
            "shape": [width, width],
            "data_offsets": [offset, offset + size],
        }
        offset += size
    encoded = json.dumps(header).encode()
    data = bytearray()
    counter = 0
    while len(data) < offset:
        data += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return struct.pack("<Q", len(encoded)) + encoded + bytes(data[:offset])


def demo_research_pickle() -> bytes:
    """A protocol-2 pickle that references a research library's class: an unknown global
    (flagged medium, never executed)."""
    return (
        b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01X\x06\x00\x00\x00configq\x02"
        b"cresearch_toolkit.configs\nProbeConfig\nq\x03)\x81q\x04s."
    )


def _roles() -> dict[str, ReviewerRole]:
    roles = {}
    for slug, name, scoped, waive in [
        ("security", "Security", False, True),
        ("legal", "Legal", False, False),
        ("team-lead", "Team lead", True, False),
    ]:
        roles[slug], _ = ReviewerRole.objects.get_or_create(
            slug=slug, defaults={"name": name, "team_scoped": scoped, "can_waive": waive}
        )
    return roles


def _policies(roles: dict[str, ReviewerRole]) -> None:
    standard, created = ApprovalPolicy.objects.get_or_create(
        name="Standard review", defaults={"priority": 100, "quorum": 2}
    )
    if created:
        standard.required_roles.set([roles["security"], roles["legal"]])
    fast, created = ApprovalPolicy.objects.get_or_create(
        name="Clean add-ons: team lead",
        defaults={
            "priority": 50,
            "quorum": 1,
            "risk": ApprovalPolicy.Risk.LOW,
            "model_types": [
                ModelType.LORA,
                ModelType.LOCON,
                ModelType.DORA,
                ModelType.TEXTUAL_INVERSION,
            ],
        },
    )
    if created:
        fast.required_roles.set([roles["team-lead"]])


def _in_house(name: str, model_type: str, team: Team, versions: list[tuple[str, bytes, str]]):
    model = Model.objects.create(
        name=name,
        type=model_type,
        owning_team=team,
        hub=Hub.UPLOAD,
        visibility=Visibility.TEAM if team.slug == "ml-research" else Visibility.COMPANY,
        description=f"<p>{name}: built in-house by {team.name}.</p>",
    )
    grant_owning_team(model=model)
    made = []
    for index, (version_name, data, filename) in enumerate(versions):
        version = ModelVersion.objects.create(
            model=model,
            name=version_name,
            base_model="SDXL 1.0",
            index=len(versions) - index,
            hub=Hub.UPLOAD,
            published_at=timezone.now(),
        )
        attach_blob(version=version, blob=ingest_chunks([data]), name=filename)
        refresh_version_scores(version=version)
        made.append(version)
    return made


def seed_governance_demo(*, password: str) -> bool:
    """Roles, policies and in-house models through their real flow; False if already there."""
    roles = _roles()
    _policies(roles)
    for username, first_name, role in REVIEWERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        RoleAssignment.objects.get_or_create(user=user, role=roles[role])
    if Model.objects.filter(hub=Hub.UPLOAD, name="Studio Brand Palette").exists():
        return False
    studio, research = (
        Team.objects.get(slug="creative-studio"),
        Team.objects.get(slug="ml-research"),
    )
    alice, bob = User.objects.get(username="alice"), User.objects.get(username="bob")
    carol = User.objects.get(username="carol")
    sofia, lars = User.objects.get(username="sofia"), User.objects.get(username="lars")

    (palette,) = _in_house(
        "Studio Brand Palette",
        ModelType.LORA,
        studio,
        [("v1", demo_safetensors("palette-v1"), "brand_palette_v1.safetensors")],
    )
    upscale_v1, upscale_v2 = _in_house(
        "Product Shot Upscaler",
        ModelType.UPSCALER,
        studio,
        [
            ("v1", demo_safetensors("upscaler-v1"), "product_upscaler_v1.safetensors"),
            ("v2", demo_safetensors("upscaler-v2"), "product_upscaler_v2.safetensors"),
        ],
    )
    (probe,) = _in_house(
        "Research Probe Checkpoint",
        ModelType.CHECKPOINT,
        research,
        [("v0.3", demo_research_pickle(), "probe_v0_3.pt")],
    )

    def approve(version: ModelVersion, requester: User, team: Team, use: str, reviewers):
        request = services.request_model(
            requester=requester,
            team=team,
            version=version,
            intended_use=use,
            justification="Demo catalog",
        )
        for reviewer in reviewers:
            if request.state != ModelRequest.State.IN_REVIEW:
                break
            services.review_request(
                request=request,
                reviewer=reviewer,
                decision="approve",
                comment="Reviewed for the demo.",
            )
            request.refresh_from_db()
        return request

    with transaction.atomic():
        approve(palette, alice, studio, "commercial-products", [bob])
        approve(upscale_v1, alice, studio, "commercial-products", [sofia, lars])
        approve(upscale_v2, alice, studio, "commercial-products", [sofia, lars])
    upscale_v1.refresh_from_db()
    upscale_v2.refresh_from_db()
    if upscale_v1.state == "approved" and upscale_v2.state == "approved":
        lifecycle.deprecate_version(
            version=upscale_v1,
            actor=User.objects.get(username="admin"),
            reason="v2 handles JPEG artefacts better",
            successor=upscale_v2,
            sunset_at=timezone.now() + timedelta(days=30),
        )
    # Left waiting: a research checkpoint with a flagged pickle, in the reviewers' queue.
    services.request_model(
        requester=carol,
        team=research,
        version=probe,
        intended_use="internal-research",
        justification="Probe the probe; internal use only.",
    )
    return True
