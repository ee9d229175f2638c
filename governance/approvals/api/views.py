"""Requests, reviews and waivers over the API. Every state change takes an Idempotency-Key."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.accounts.models import ApiKey
from governance.api.idempotency import idempotent
from governance.catalog.selectors import visible_versions
from governance.gates.api.serializers import GateRunSerializer

from .. import selectors, services
from ..filters import ModelRequestFilter, WaiverFilter
from ..models import Waiver
from .serializers import (
    ModelRequestSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
    WaiverSerializer,
)


class ModelRequestViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Requests to use a model version for a team; reviewers decide them."""

    serializer_class = ModelRequestSerializer
    required_scope = ApiKey.Scope.REQUEST
    problem_statuses = {"create": [404]}  # a version you may not see, as a missing one
    action_scopes = {"reviews": ApiKey.Scope.REVIEW}
    filterset_class = ModelRequestFilter
    ordering_fields = ["created_at", "decided_at"]
    ordering = ["-created_at"]

    def get_queryset(self):
        queryset = selectors.requests_visible_to(self.request.user).prefetch_related(
            "reviews__reviewer", "reviews__role"
        )
        if self.request.query_params.get("queue") == "mine":
            queryset = queryset.filter(
                pk__in=selectors.review_queue(self.request.user).values("pk")
            )
        return queryset.order_by("-created_at", "-id")

    @idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Request a version for one of your teams, naming the intended use."""
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.request_model(requester=request.user, **data.validated_data)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewCreateSerializer, responses={201: ReviewSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def reviews(self, request: Request, pk=None) -> Response:
        """Approve or reject the request in one of its required reviewer roles."""
        data = ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_request(
            request=self.get_object(), reviewer=request.user, **data.validated_data
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ModelRequestSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def withdraw(self, request: Request, pk=None) -> Response:
        """Withdraw your own open request."""
        withdrawn = services.withdraw_request(request=self.get_object(), actor=request.user)
        return Response(self.get_serializer(withdrawn).data)

    @extend_schema(responses=GateRunSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def gates(self, request: Request, pk=None) -> Response:
        """Every gate run of this request, newest first."""
        runs = self.get_object().gate_runs.all()[:20]
        return Response(GateRunSerializer(runs, many=True).data)


class WaiverViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Time-limited exceptions for single non-critical findings."""

    serializer_class = WaiverSerializer
    required_scope = ApiKey.Scope.REVIEW
    filterset_class = WaiverFilter
    problem_statuses = {"create": [404]}  # a version you may not see, as a missing one

    def get_queryset(self):
        return (
            Waiver.objects.filter(version__in=visible_versions(self.request.user))
            .select_related("granted_by", "role")
            .order_by("-granted_at", "-id")
        )

    @idempotent
    def create(self, request: Request, *args, **kwargs) -> Response:
        """Waive one finding of one version, with a justification, scope and expiry."""
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The serializer's fields already answer 404 for a version or finding not visible.
        waiver = services.grant_waiver(granted_by=request.user, **data.validated_data)
        return Response(self.get_serializer(waiver).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=WaiverSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def revoke(self, request: Request, pk=None) -> Response:
        """Revoke a waiver before it expires; the finding blocks again."""
        waiver = self.get_object()  # DRF's lookup: a malformed id is a 404, not a 500
        return Response(
            self.get_serializer(services.revoke_waiver(waiver=waiver, actor=request.user)).data
        )
