from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("community/reviews", views.ReviewViewSet, basename="community-review")
router.register("community/comments", views.CommentViewSet, basename="community-comment")
router.register("community/favorites", views.FavoriteViewSet, basename="community-favorite")
router.register("community/follows", views.FollowViewSet, basename="community-follow")
router.register("community/collections", views.CollectionViewSet, basename="community-collection")

urlpatterns = [
    path("community/moderation/", views.ModerationView.as_view(), name="community-moderation"),
    path(
        "community/models/<int:model_id>/summary/",
        views.model_summary,
        name="community-model-summary",
    ),
    path("community/trending/", views.trending, name="community-trending"),
    *router.urls,
]
