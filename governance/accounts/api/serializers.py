from django.utils import timezone
from rest_framework import serializers

from ..models import ApiKey, Membership, Team, User


class ApiKeySerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiKey.Scope.choices))
    state = serializers.SerializerMethodField(help_text="active, expired or revoked")

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "user",
            "prefix",
            "scopes",
            "state",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "parent",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "parent": {
                "help_text": "Id of the API key this key was created with (it expires no "
                "later, and is revoked with it)."
            }
        }

    def get_state(self, key: ApiKey) -> str:
        if key.revoked_at is not None:
            return "revoked"
        if key.expires_at is not None and key.expires_at <= timezone.now():
            return "expired"
        return "active"


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(
        read_only=True,
        help_text="The whole key, `hg_<prefix>_<secret>`: shown in this response only, never "
        "again (only a hash of it is stored). Send it as `Authorization: Bearer <key>`.",
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKey.Scope.choices),
        allow_empty=False,
        max_length=len(ApiKey.Scope.values),
        help_text="What the key may do. A key can only create keys with scopes it has itself.",
    )
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Default and latest: HUBGATE_API_KEY_MAX_DAYS (365) days from now, and, for "
        "a key created with a key, that key's expiry.",
    )
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.all(),
        required=False,
        help_text="Administrators: the service account the key acts as. Default: yourself.",
    )


class TeamSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "member_count", "created_at"]
        read_only_fields = ["id", "member_count", "created_at"]


class TeamUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["name", "description"]


class MembershipSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())

    class Meta:
        model = Membership
        fields = ["id", "user", "team", "role", "joined_at"]
        read_only_fields = ["id", "joined_at"]
        # A duplicate is the service's business: a 409 naming the membership, not a 400.
        validators: list = []


class MembershipUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["role"]


class ServiceAccountSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="first_name", max_length=150, required=False, allow_blank=True
    )
    teams = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "name",
            "email",
            "is_active",
            "is_staff",
            "teams",
            "date_joined",
        ]
        read_only_fields = ["id", "teams", "date_joined"]


class ServiceAccountUpdateSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="first_name", max_length=150, required=False, allow_blank=True
    )

    class Meta:
        model = User
        fields = ["name", "email", "is_active", "is_staff"]
