"""API keys (self-service; service accounts' keys by administrators), and — administrators
only — teams, memberships and service accounts."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from governance.api.idempotency import idempotent
from governance.api.permissions import ADMIN_ONLY, ensure_scopes_covered
from governance.errors import PermissionDenied

from .. import selectors, services
from ..models import ApiKey, Membership
from . import serializers


class ApiKeyFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="user__username", help_text="Owner's username.")
    revoked = django_filters.BooleanFilter(
        field_name="revoked_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = ApiKey
        fields = ["user", "revoked"]


class ServiceWrites:
    """Writes go through a service: the request's body validated, the result rendered."""

    def validated(self, serializer_class=None, instance=None) -> dict:
        """The request body, validated by ``serializer_class`` (default: the view's); with
        ``instance``, as a partial update of it."""
        serializer_class = serializer_class or self.get_serializer_class()
        serializer = serializer_class(
            instance, data=self.request.data, partial=instance is not None
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def answer(self, obj, code: int = status.HTTP_200_OK, **kwargs) -> Response:
        return Response(self.get_serializer(obj).data, status=code, **kwargs)


class ApiKeyViewSet(
    ServiceWrites, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Your API keys (administrators: every key). The secret is shown once, at creation."""

    serializer_class = serializers.ApiKeySerializer
    filterset_class = ApiKeyFilter
    search_fields = ["name", "prefix"]
    ordering_fields = ["created_at", "expires_at", "last_used_at"]
    ordering = ["-created_at", "-id"]
    # A key may manage keys whose scopes it holds (ensure_scopes_covered): reading is enough.
    required_scope = ApiKey.Scope.READ

    def get_queryset(self):
        return selectors.api_keys_visible_to(self.request.user)

    @extend_schema(
        request=serializers.ApiKeyCreateSerializer,
        responses={201: serializers.ApiKeyCreatedSerializer},
    )
    def create(self, request: Request) -> Response:
        """Create a key for yourself (or, administrators, for a service account)."""
        values = self.validated(serializers.ApiKeyCreateSerializer)
        owner = values.get("user") or request.user
        if not selectors.may_hold_keys_for(request.user, owner):
            raise PermissionDenied(
                "You may create keys for yourself, and administrators for "
                "service accounts, never for another person."
            )
        ensure_scopes_covered(request, values["scopes"], doing="create")
        key, raw = services.create_api_key(
            user=owner,
            name=values["name"],
            scopes=values["scopes"],
            expires_at=values.get("expires_at"),
            actor=request.user,
            # A key made with a key lives no longer than it and is revoked with it.
            parent=request.auth if isinstance(request.auth, ApiKey) else None,
        )
        key.key = raw
        return Response(
            serializers.ApiKeyCreatedSerializer(key).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )

    @extend_schema(request=None, responses=serializers.ApiKeySerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def revoke(self, request: Request, pk=None) -> Response:
        """Revoke a key now; every later call with it is a 401."""
        key = self.get_object()
        ensure_scopes_covered(request, key.scopes, doing="revoke")
        return self.answer(services.revoke_api_key(key=key, actor=request.user))


class AdministeredViewSet(
    ServiceWrites,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Administrators only, with an ``admin``-scoped key for reading too."""

    permission_classes = ADMIN_ONLY
    read_scope = required_scope = ApiKey.Scope.ADMIN


class TeamViewSet(AdministeredViewSet):
    """Teams (administrators only). Members are managed under /api/memberships/."""

    serializer_class = serializers.TeamSerializer
    lookup_field = "slug"
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["name", "created_at", "member_count"]
    ordering = ["name"]
    filterset_fields: list[str] = []

    def get_queryset(self):
        return selectors.teams_with_counts()

    def create(self, request: Request) -> Response:
        """Create a team."""
        team = services.create_team(actor=request.user, **self.validated())
        team.member_count = 0
        return self.answer(team, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.TeamUpdateSerializer, responses=serializers.TeamSerializer)
    def partial_update(self, request: Request, slug=None) -> Response:
        """Rename a team or change its description (the slug stays)."""
        team = self.get_object()
        changes = self.validated(serializers.TeamUpdateSerializer, team)
        services.update_team(team=team, actor=request.user, **changes)
        return self.answer(self.get_object())


class MembershipFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="team__slug", help_text="Team slug.")
    user = django_filters.CharFilter(field_name="user__username", help_text="Username.")

    class Meta:
        model = Membership
        fields = ["team", "user", "role"]


class MembershipViewSet(mixins.DestroyModelMixin, AdministeredViewSet):
    """Who is in which team with which role (administrators only)."""

    serializer_class = serializers.MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["joined_at"]
    ordering = ["team__name", "user__username"]

    def get_queryset(self):
        return selectors.memberships()

    def create(self, request: Request) -> Response:
        """Add a person (or service account) to a team."""
        return self.answer(services.add_member(**self.validated()), status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.MembershipUpdateSerializer, responses=serializers.MembershipSerializer
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        """Change a member's role."""
        membership = self.get_object()
        changes = self.validated(serializers.MembershipUpdateSerializer, membership)
        role = changes.get("role", membership.role)
        return self.answer(services.change_member_role(membership=membership, role=role))

    def perform_destroy(self, instance: Membership) -> None:
        services.remove_member(membership=instance)


class ServiceAccountViewSet(AdministeredViewSet):
    """Users that are programs (administrators only); they act only through API keys."""

    serializer_class = serializers.ServiceAccountSerializer
    search_fields = ["username", "first_name", "email"]
    ordering_fields = ["username", "date_joined"]
    ordering = ["username"]
    filterset_fields = ["is_active", "is_staff"]

    def get_queryset(self):
        return selectors.service_accounts()

    def create(self, request: Request) -> Response:
        """Create a service account; give it keys with POST /api/keys/ and ``user``."""
        values = self.validated()
        account = services.create_service_account(
            username=values["username"],
            name=values.get("first_name", ""),
            email=values.get("email", ""),
            is_staff=values.get("is_staff", False),
            actor=request.user,
        )
        return self.answer(account, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ServiceAccountUpdateSerializer,
        responses=serializers.ServiceAccountSerializer,
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        """Rename, deactivate (its keys stop working) or reactivate a service account."""
        account = self.get_object()
        changes = self.validated(serializers.ServiceAccountUpdateSerializer, account)
        services.update_service_account(account=account, actor=request.user, **changes)
        return self.answer(self.get_object())
