"""Approval policies, requests and waivers.

Requests and waivers are made by ``governance.approvals.services`` (audit entry, version
state, gates), reviews by ``review_request``; policies are administrator configuration,
written directly. For a request whose gates pass (stored, scanned files and a license
verdict) use the ``company`` and ``stored_version`` fixtures in conftest.py.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from governance.accounts.models import Membership
from governance.approvals import services
from governance.approvals.models import ApprovalPolicy, ModelRequest, Review, Waiver
from governance.ingest.services import attach_blob
from tests.accounts.factories import (
    ReviewerRoleFactory,
    RoleAssignmentFactory,
    TeamFactory,
    UserFactory,
)
from tests.catalog.factories import ModelVersionFactory
from tests.licensing.factories import IntendedUseFactory
from tests.scanning.factories import FindingFactory


class ApprovalPolicyFactory(factory.django.DjangoModelFactory):
    """A policy that applies to every request and needs one approval from a new role.

    ``required_roles=[...]`` and ``teams=[...]`` replace the defaults."""

    class Meta:
        model = ApprovalPolicy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Policy {n}")
    priority = 100
    quorum = 1

    @factory.post_generation
    def required_roles(self, create, extracted, **kwargs):
        if create:
            self.required_roles.set(extracted if extracted is not None else [ReviewerRoleFactory()])

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.set(extracted)


class ModelRequestFactory(factory.django.DjangoModelFactory):
    """A team member's request, made by ``request_model``: audited, the version submitted,
    the gates run and recorded (its state is what they decided; a version without stored
    files is "in review" with a failed gate run, and no policy unless one exists).

    The requester is made a member of the team if needed; the intended use is a new
    company-wide profile unless ``intended_use=`` names one."""

    class Meta:
        model = ModelRequest

    version = factory.SubFactory(ModelVersionFactory)
    team = factory.SubFactory(TeamFactory)
    requester = factory.SubFactory(UserFactory)
    intended_use = factory.LazyFunction(lambda: IntendedUseFactory().slug)
    justification = "Product shots for the spring campaign."

    @classmethod
    def _create(cls, model_class, *, requester, team, **fields):
        Membership.objects.get_or_create(user=requester, team=team)
        return services.request_model(requester=requester, team=team, **fields)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("A request starts its gates: use ModelRequestFactory()")


class ReviewFactory(factory.django.DjangoModelFactory):
    """One reviewer's decision, given by ``review_request`` in the role a new policy needs.

    The policy is created before the request, so the request is matched to it on entering
    review; the reviewer is given the role. By default the reviewer rejects: the default
    request's gates fail (its version has no stored files), and an approval is refused while
    any gate fails. Pass a request whose gates pass to approve."""

    class Meta:
        model = Review

    role = factory.SubFactory(ReviewerRoleFactory)
    policy = factory.LazyAttribute(lambda o: ApprovalPolicyFactory(required_roles=[o.role]))
    request = factory.SubFactory(ModelRequestFactory)
    reviewer = factory.SubFactory(UserFactory)
    decision = Review.Decision.REJECT
    comment = "No stored files to scan yet; ask again once they are uploaded."

    @classmethod
    def _create(cls, model_class, *, role, policy, reviewer, **fields):
        RoleAssignmentFactory(user=reviewer, role=role)
        return services.review_request(reviewer=reviewer, role=role, **fields)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("A review decides a request: use ReviewFactory()")


class WaiverFactory(factory.django.DjangoModelFactory):
    """A waiver granted by ``grant_waiver`` for a medium finding in a file of ``version``.

    The finding's blob is attached to the version and the granter gets the waiving role
    ``security``, as the service requires."""

    class Meta:
        model = Waiver

    version = factory.SubFactory(ModelVersionFactory)
    finding = factory.SubFactory(FindingFactory, severity="medium")
    granted_by = factory.SubFactory(UserFactory)
    justification = "The flagged global is collections.OrderedDict, harmless here."
    scope = "Inference in the sandboxed render farm only."
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))

    @classmethod
    def _create(cls, model_class, *, version, finding, granted_by, **fields):
        blob = finding.scan.blob
        if not version.files.filter(blob=blob).exists():
            attach_blob(version=version, blob=blob, name="model.safetensors")
        RoleAssignmentFactory(
            user=granted_by, role=ReviewerRoleFactory(slug="security", can_waive=True)
        )
        return services.grant_waiver(
            version=version, finding=finding, granted_by=granted_by, **fields
        )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("A waiver is granted by a reviewer: use WaiverFactory()")
