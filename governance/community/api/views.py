"""Community over the REST API: reviews, comments, favorites, follows, collections,
reports, moderation, summaries and trends. Views parse input and call one service or
selector; permissions are the selectors'."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.accounts.models import ApiKey
from governance.api.authentication import HasScope
from governance.catalog.models import Creator, Tag
from governance.catalog.selectors import visible_model, visible_version
from governance.errors import NotFound, ValidationFailed

from .. import selectors, services
from ..models import Collection, CollectionItem, Comment, Favorite, Follow, Review
from . import serializers as s

ID = OpenApiParameter("id", int, "path")


@extend_schema_view(
    retrieve=extend_schema(parameters=[ID]),
    history=extend_schema(parameters=[ID]),
    vote=extend_schema(parameters=[ID]),
    report=extend_schema(parameters=[ID]),
)
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Ratings and reviews of versions; one per person and version, edits keep history."""

    serializer_class = s.CommunityReviewSerializer
    required_scope = ApiKey.Scope.REQUEST
    problem_statuses = {"create": [404]}  # a version you may not see
    filterset_fields = ["model", "version", "rating"]
    ordering_fields = ["created_at", "helpful_count", "rating"]
    ordering = ["-created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        return selectors.reviews_visible_to(self.request.user)

    @extend_schema(request=s.ReviewWriteSerializer, responses={201: s.CommunityReviewSerializer})
    def create(self, request: Request) -> Response:
        """Rate and review a version, or edit your review of it (the old one is kept)."""
        data = s.ReviewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = visible_version(request.user, data.validated_data["version"])
        review = services.write_review(
            user=request.user,
            version=version,
            rating=data.validated_data["rating"],
            text=data.validated_data["text"],
        )
        return Response(s.CommunityReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.ReviewRevisionSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk=None) -> Response:
        """Earlier ratings and texts of this review, newest first."""
        review = self.get_object()
        return Response(
            s.ReviewRevisionSerializer(selectors.review_history(review), many=True).data
        )

    @extend_schema(request=s.VoteSerializer, responses={200: s.CommunityReviewSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def vote(self, request: Request, pk=None) -> Response:
        """Thumbs up (helpful) or down on someone else's review; null takes it back."""
        data = s.VoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.vote_review(
            user=request.user, review=self.get_object(), helpful=data.validated_data["helpful"]
        )
        return Response(s.CommunityReviewSerializer(review).data)

    @extend_schema(request=s.ReportSerializer, responses={201: s.ReportSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def report(self, request: Request, pk=None) -> Response:
        """Tell the moderators this review breaks the rules."""
        data = s.ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_content(
            reporter=request.user, review=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(s.ReportSerializer(report).data, status=status.HTTP_201_CREATED)


@extend_schema_view(retrieve=extend_schema(parameters=[ID]), report=extend_schema(parameters=[ID]))
class CommentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A model's discussion: comments and replies (``parent``), moderated before shown."""

    serializer_class = s.CommentSerializer
    required_scope = ApiKey.Scope.REQUEST
    problem_statuses = {"create": [404]}  # a model you may not see
    filterset_fields = ["model", "parent"]
    ordering = ["created_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        return selectors.comments_visible_to(self.request.user)

    @extend_schema(request=s.CommentSerializer, responses={201: s.CommentSerializer})
    def create(self, request: Request) -> Response:
        data = s.CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        model = visible_model(request.user, data.validated_data["model_id"])
        parent_id = data.validated_data.get("parent_id")
        parent = Comment.objects.filter(pk=parent_id).first() if parent_id else None
        if parent_id and parent is None:
            raise ValidationFailed("No such comment to reply to.", errors={"parent": ["unknown"]})
        comment = services.post_comment(
            user=request.user, model=model, text=data.validated_data["text"], parent=parent
        )
        return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReportSerializer, responses={201: s.ReportSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def report(self, request: Request, pk=None) -> Response:
        """Tell the moderators this comment breaks the rules."""
        data = s.ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_content(
            reporter=request.user, comment=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response(s.ReportSerializer(report).data, status=status.HTTP_201_CREATED)


@extend_schema_view(destroy=extend_schema(parameters=[OpenApiParameter("model", int, "path")]))
class FavoriteViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your favorite models; ``DELETE /favorites/{model}/`` removes one."""

    serializer_class = s.FavoriteSerializer
    required_scope = ApiKey.Scope.REQUEST
    problem_statuses = {"create": [404]}  # a model you may not see
    lookup_field = "model"
    #: A model id: anything else is no route (404), never a query with a malformed id.
    lookup_value_regex = r"[0-9]+"
    ordering = ["-created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Favorite.objects.none()
        return selectors.favorites_of(self.request.user)

    @extend_schema(request=s.FavoriteSerializer, responses={201: s.FavoriteSerializer})
    def create(self, request: Request) -> Response:
        data = s.FavoriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        model = visible_model(request.user, data.validated_data["model_id"])
        services.set_favorite(user=request.user, model=model, favorite=True)
        favorite = selectors.favorites_of(request.user).get(model=model)
        return Response(s.FavoriteSerializer(favorite).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, model=None) -> Response:
        services.set_favorite(
            user=request.user, model=visible_model(request.user, model), favorite=False
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(destroy=extend_schema(parameters=[ID]))
class FollowViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """What you follow: creators (by username), models (by id) and tags (by name)."""

    serializer_class = s.FollowSerializer
    required_scope = ApiKey.Scope.REQUEST
    problem_statuses = {"create": [404]}  # a creator, tag or model you may not see
    ordering = ["-created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Follow.objects.none()
        return selectors.follows_of(self.request.user)

    @extend_schema(request=s.FollowSerializer, responses={201: s.FollowSerializer})
    def create(self, request: Request) -> Response:
        data = s.FollowSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        creator = tag = model = None
        if given.get("creator", {}).get("username"):
            creator = get_object_or_404(Creator, username=given["creator"]["username"])
        if given.get("tag", {}).get("name"):
            tag = get_object_or_404(Tag, name=given["tag"]["name"].strip().lower())
        if given.get("model_id"):
            model = visible_model(request.user, given["model_id"])
        follow = services.follow(user=request.user, creator=creator, model=model, tag=tag)
        return Response(s.FollowSerializer(follow).data, status=status.HTTP_201_CREATED)


class CollectionViewSet(viewsets.ModelViewSet):
    """Collections you may see (yours, your teams', company-wide); only owners change them."""

    serializer_class = s.CollectionSerializer
    required_scope = ApiKey.Scope.REQUEST
    filterset_fields = ["visibility"]
    search_fields = ["name", "description"]
    ordering = ["name", "id"]

    def get_queryset(self):
        return selectors.visible_collections(self.request.user)

    def _team(self, data):
        slug = (data.get("team") or {}).get("slug")
        if not slug:
            return None
        team = self.request.user.teams.filter(slug=slug).first()
        if team is None:
            raise ValidationFailed("You are not in that team.", errors={"team": ["not yours"]})
        return team

    def create(self, request: Request) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        collection = services.create_collection(
            owner=request.user,
            name=v["name"],
            description=v.get("description", ""),
            visibility=v.get("visibility", Collection.Visibility.PRIVATE),
            team=self._team(v),
        )
        return Response(self.get_serializer(collection).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk=None, partial: bool = False) -> Response:
        data = self.get_serializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        collection = services.update_collection(
            user=request.user,
            collection=self.get_object(),
            name=v.get("name"),
            description=v.get("description"),
            visibility=v.get("visibility"),
            team=self._team(v) if "team" in v else None,
        )
        return Response(self.get_serializer(collection).data)

    def destroy(self, request: Request, pk=None) -> Response:
        services.delete_collection(user=request.user, collection=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(methods=["get"], responses={200: s.CollectionItemSerializer(many=True)})
    @extend_schema(
        methods=["post"],
        request=s.CollectionItemSerializer,
        responses={201: s.CollectionItemSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def items(self, request: Request, pk=None) -> Response:
        """The models in the collection (those you may see), or add one (owner only)."""
        collection = self.get_object()
        if request.method == "GET":
            rows = selectors.collection_items(collection, request.user)
            payload = s.CollectionItemSerializer([r.item for r in rows], many=True).data
            for row, out in zip(rows, payload, strict=True):
                out["status"], out["approved"] = row.status, row.approved
            return Response(payload)
        data = s.CollectionItemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        model = visible_model(request.user, v["model_id"])
        version = None
        if v.get("version_id"):
            version = visible_version(request.user, v["version_id"])
        item = services.add_to_collection(
            user=request.user,
            collection=collection,
            model=model,
            version=version,
            note=v.get("note", ""),
        )
        return Response(s.CollectionItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CollectionItemSerializer, responses={200: s.CollectionItemSerializer})
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"items/(?P<item_id>\d+)",
        filter_backends=[],
    )
    def item(self, request: Request, pk=None, item_id=None) -> Response:
        """Change an item's note or position, or remove it (owner only)."""
        item = get_object_or_404(CollectionItem, pk=item_id, collection=self.get_object())
        if request.method == "DELETE":
            services.remove_from_collection(user=request.user, item=item)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = s.CollectionItemSerializer(item, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        item = services.update_item(
            user=request.user,
            item=item,
            note=data.validated_data.get("note"),
            position=data.validated_data.get("position"),
        )
        return Response(s.CollectionItemSerializer(item).data)

    @extend_schema(request=None, responses={200: s.CollectionSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-link", filter_backends=[])
    def rotate_link(self, request: Request, pk=None) -> Response:
        """A new share link; the old one stops working (owner only)."""
        collection = services.rotate_share_token(user=request.user, collection=self.get_object())
        return Response(self.get_serializer(collection).data)


class ModerationView(APIView):
    """The moderator queue (GET) and decisions (POST: hide or restore a review or comment)."""

    permission_classes = [IsAuthenticated, HasScope]
    required_scope = ApiKey.Scope.REVIEW
    #: Not a moderator (the queue is hidden, as in the portal); a decision's unknown target.
    problem_statuses = {"get": [404], "post": [404]}

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        if not selectors.is_moderator(request.user):
            raise NotFound("Only moderators have a moderation queue.")
        queue = selectors.moderation_queue(request.user)
        return Response(
            {
                "reviews": s.CommunityReviewSerializer(queue["reviews"], many=True).data,
                "comments": s.CommentSerializer(queue["comments"], many=True).data,
                "reports": s.ReportSerializer(queue["reports"], many=True).data,
            }
        )

    @extend_schema(request=s.ModerationDecisionSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        data = s.ModerationDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not selectors.is_moderator(request.user):
            raise NotFound("Only moderators may decide.")
        model = Review if v["target"] == "review" else Comment
        target = get_object_or_404(model, pk=v["id"])
        target = services.moderate_content(
            moderator=request.user, target=target, action=v["action"], reason=v["reason"]
        )
        return Response({"target": v["target"], "id": target.pk, "status": target.status})


@extend_schema(responses={200: dict}, parameters=[OpenApiParameter("model_id", int, "path")])
@api_view(["GET"])
@permission_classes([IsAuthenticated, HasScope])
def model_summary(request: Request, model_id: int) -> Response:
    """A model's community numbers: rating (mean, Bayesian), sentiment, trend, favorites."""
    model = visible_model(request.user, model_id)
    rating = selectors.rating_summary(model)
    sentiment = selectors.sentiment_summary(model)
    trend = selectors.trend_scores(model_ids=[model.pk])[model.pk]
    return Response(
        {
            "model": model.pk,
            "rating": {
                "count": rating.count,
                "mean": rating.mean,
                "bayesian": rating.bayesian,
                "distribution": rating.distribution,
            },
            "sentiment": sentiment.__dict__,
            "trend": trend.__dict__,
            "favorites": model.favorites.count(),
        }
    )


@extend_schema(
    responses={200: dict},
    parameters=[
        OpenApiParameter("kind", str, enum=list(selectors.TREND_KINDS)),
        OpenApiParameter("limit", int),
    ],
)
@api_view(["GET"])
@permission_classes([IsAuthenticated, HasScope])
def trending(request: Request) -> Response:
    """Hot, rising or new models you may see, with their trend signals and virality flag."""
    try:
        limit = max(1, min(int(request.query_params.get("limit", 10)), 100))
    except ValueError:
        raise ValidationFailed(
            "limit must be a number.", errors={"limit": ["not a number"]}
        ) from None
    kind = request.query_params.get("kind", "hot")
    rows = selectors.trending(user=request.user, kind=kind, limit=limit)
    return Response(
        {
            "kind": kind,
            "results": [{"model": m.pk, "name": m.name, **t.__dict__} for m, t in rows],
        }
    )
