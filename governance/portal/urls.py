"""Every HTML page and htmx fragment of Hubgate (the REST and CivitAI-compatible APIs live
under /api/ in each app's ``api`` package).

The community and licensing pages keep their own URL namespaces (``community:…``,
``licensing:…``) and prefixes, so links and bookmarks did not change when their views moved
here; everything else is ``portal:…``. This module itself has no namespace, so each group
keeps its own at the top level.
"""

from django.urls import include, path

from .views import analytics, catalog, community, licensing, moderation, requests, workspace

portal_patterns = [
    path("", workspace.workspace, name="workspace"),
    # The old name of the front page, still used by links and tests.
    path("", workspace.workspace, name="catalog"),
    path("results/", catalog.discovery_results, name="discovery-results"),
    path("recommendations/<slug:kind>/", catalog.recommendations, name="recommendations"),
    path("gallery/<int:pk>/", catalog.gallery, name="gallery"),
    path("models/<int:pk>/", catalog.model_detail, name="model-detail"),
    path("versions/<int:pk>/upload/", catalog.upload, name="version-upload"),
    path("management/", requests.management, name="management"),
    path("imports/", requests.import_model, name="import"),
    path("status/jobs/<int:pk>/", requests.work_status, {"kind": "job"}, name="job-status"),
    path("status/scans/<int:pk>/", requests.work_status, {"kind": "scan"}, name="scan-status"),
    path("versions/<int:pk>/request/", requests.request_version, name="version-request"),
    path(
        "versions/<int:pk>/license-check/",
        requests.request_license_check,
        name="version-license-check",
    ),
    path("requests/", requests.requests_page, name="requests"),
    path("requests/<int:pk>/review/", requests.review, name="request-review"),
    path("requests/<int:pk>/withdraw/", requests.withdraw, name="request-withdraw"),
    path("requests/<int:pk>/waivers/", requests.waive, name="request-waive"),
    path("waivers/<int:pk>/revoke/", requests.revoke_waiver, name="waiver-revoke"),
]

# Each URL answers htmx with a fragment and a plain browser with a full page.
community_patterns = [
    path("", community.panel, name="panel"),
    path("models/<int:model_id>/", community.model_block, name="model-block"),
    path("models/<int:model_id>/reviews/", community.review_submit, name="review-submit"),
    path("models/<int:model_id>/comments/", community.comment_submit, name="comment-submit"),
    path("models/<int:model_id>/favorite/", community.favorite_toggle, name="favorite-toggle"),
    path("follow/", community.follow_toggle, name="follow-toggle"),
    path("reviews/<int:review_id>/vote/", community.review_vote, name="review-vote"),
    path("reviews/<int:review_id>/history/", community.review_history, name="review-history"),
    path("report/<str:kind>/<int:pk>/", community.report, name="report"),
    path("favorites/", community.favorites, name="favorites"),
    path("collections/", community.my_collections, name="my-collections"),
    path("collections/<int:pk>/", community.collection, name="collection"),
    path("s/<str:token>/", community.collection_shared, name="collection-shared"),
    path("downloads/", community.my_downloads, name="my-downloads"),
    path("analytics/", analytics.company_analytics, name="company-analytics"),
    path("analytics/team/<slug:slug>/", analytics.team_analytics, name="team-analytics"),
    path("analytics/model/<int:model_id>/", analytics.model_analytics, name="model-analytics"),
    path("versions/<int:version_id>/users/", analytics.who_uses, name="who-uses"),
    path("moderation/", moderation.moderation, name="moderation"),
]

licensing_patterns = [
    path("", licensing.reports, name="reports"),
    path("company/", licensing.company_report, name="company"),
    path("teams/<slug:slug>/", licensing.team_report, name="team"),
    path("teams/<slug:slug>/NOTICE.txt", licensing.team_notice, name="notice"),
]

urlpatterns = [
    path("licensing/", include((licensing_patterns, "licensing"))),
    path("community/", include((community_patterns, "community"))),
    path("", include((portal_patterns, "portal"))),
]
