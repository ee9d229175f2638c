"""The community's htmx fragments; each URL also answers a plain browser with a full page."""

from django.urls import path

from . import views

app_name = "community"
urlpatterns = [
    path("", views.panel, name="panel"),
    path("models/<int:model_id>/", views.model_block, name="model-block"),
    path("models/<int:model_id>/reviews/", views.review_submit, name="review-submit"),
    path("models/<int:model_id>/comments/", views.comment_submit, name="comment-submit"),
    path("models/<int:model_id>/favorite/", views.favorite_toggle, name="favorite-toggle"),
    path("follow/", views.follow_toggle, name="follow-toggle"),
    path("reviews/<int:review_id>/vote/", views.review_vote, name="review-vote"),
    path("reviews/<int:review_id>/history/", views.review_history, name="review-history"),
    path("report/<str:kind>/<int:pk>/", views.report, name="report"),
    path("favorites/", views.favorites, name="favorites"),
    path("collections/", views.my_collections, name="my-collections"),
    path("collections/<int:pk>/", views.collection, name="collection"),
    path("s/<str:token>/", views.collection_shared, name="collection-shared"),
    path("downloads/", views.my_downloads, name="my-downloads"),
    path("analytics/", views.company_analytics, name="company-analytics"),
    path("analytics/team/<slug:slug>/", views.team_analytics, name="team-analytics"),
    path("analytics/model/<int:model_id>/", views.model_analytics, name="model-analytics"),
    path("versions/<int:version_id>/users/", views.who_uses, name="who-uses"),
    path("moderation/", views.moderation, name="moderation"),
]
