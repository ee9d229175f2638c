"""Community fragments for the portal's panels (htmx) that also work as full pages: a model's
ratings, reviews and discussion, favorites, follows, collections and my downloads.

Views are thin: parse the request, call one community service or selector, render. A request
from htmx gets the fragment alone; a plain browser gets it inside a page, and a plain form
POST is answered with a redirect back (post/redirect/get).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.catalog.models import Creator, Model, Tag
from governance.catalog.selectors import visible_models, visible_versions
from governance.community import selectors, services
from governance.community.models import Collection, CollectionItem, Comment, Follow, Review
from governance.errors import HubgateError
from governance.usage import selectors as usage
from governance.usage.models import UsageEvent
from governance.usage.services import record_usage

from ..htmx import is_htmx, render_partial_or_page


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    return redirect(target)


def _model(request: HttpRequest, model_id: int) -> Model:
    model = visible_models(request.user).select_related("creator").filter(pk=model_id).first()
    if model is None:
        raise Http404("No such model, or you may not see it.")
    return model


# --- a model's community block ---------------------------------------------------------------


def _block_context(
    request: HttpRequest, model: Model, *, error: str = "", form: dict | None = None
) -> dict:
    user = request.user
    reviews = list(selectors.reviews_of_model(model, user)[:50])
    threads = selectors.comments_of_model(model, user)
    people = {r.user_id for r in reviews} | {c.author_id for c in threads}
    people |= {reply.author_id for c in threads for reply in c.thread_replies}
    reputation = selectors.reputation(people)
    for review in reviews:
        review.reputation = reputation.get(review.user_id, 0)
    for comment in threads:
        comment.reputation = reputation.get(comment.author_id, 0)
        for reply in comment.thread_replies:
            reply.reputation = reputation.get(reply.author_id, 0)
    versions = list(visible_versions(user).filter(model=model).order_by("index", "-pk"))
    mine = next((r for r in reviews if r.user_id == user.pk), None)
    trend = selectors.trend_scores(model_ids=[model.pk])[model.pk]
    creator_points = (
        selectors.creator_reputation([model.creator_id]).get(model.creator_id, 0)
        if model.creator_id
        else None
    )
    return {
        "model": model,
        "versions": versions,
        "rating": selectors.rating_summary(model),
        "sentiment": selectors.sentiment_summary(model),
        "trend": trend,
        "reviews": reviews,
        "my_review": mine,
        "threads": threads,
        "is_favorite": selectors.is_favorite(user, model),
        "follows_model": Follow.objects.filter(user=user, model=model).exists(),
        "creator_reputation": creator_points,
        "error": error,
        "form": form or {},
        "stars": range(1, 6),
    }


@login_required
@require_GET
def model_block(request: HttpRequest, model_id: int) -> HttpResponse:
    """Rating, Bayesian average, sentiment, trend, reviews with a form, and the discussion.

    Loading it is a portal view of the model's newest version (recorded as usage)."""
    model = _model(request, model_id)
    context = _block_context(request, model)
    response = render_partial_or_page(
        request, "community/_model_block.html", context, title=model.name
    )
    if context["versions"]:
        record_usage(
            kind=UsageEvent.Kind.PORTAL_VIEW,
            version=context["versions"][0],
            user=request.user,
            client="portal",
            after=response,
        )
    return response


def _after_post(
    request: HttpRequest, model: Model, error: HubgateError | None, form: dict
) -> HttpResponse:
    status = error.status if error is not None else 200
    if is_htmx(request) or error is not None:
        context = _block_context(
            request, model, error=error.detail if error else "", form=form if error else None
        )
        return render_partial_or_page(
            request, "community/_model_block.html", context, title=model.name, status=status
        )
    return _back(request, reverse("community:model-block", args=[model.pk]))


@login_required
@require_POST
def review_submit(request: HttpRequest, model_id: int) -> HttpResponse:
    """Rate and review one of the model's versions (or edit your review of it)."""
    model = _model(request, model_id)
    form = {
        "rating": request.POST.get("rating", ""),
        "text": request.POST.get("text", ""),
        "version": request.POST.get("version", ""),
    }
    error = None
    try:
        version = (
            visible_versions(request.user).filter(model=model, pk=int(form["version"])).first()
        )
        rating = int(form["rating"])
        if version is None:
            raise Http404("No such version.")
        services.write_review(user=request.user, version=version, rating=rating, text=form["text"])
    except ValueError:
        error = HubgateError("Choose a version and a rating from 1 to 5.")
    except HubgateError as exc:
        error = exc
    return _after_post(request, model, error, form)


@login_required
@require_POST
def comment_submit(request: HttpRequest, model_id: int) -> HttpResponse:
    """Post a comment, or a reply to one (``parent``)."""
    model = _model(request, model_id)
    form = {"comment": request.POST.get("text", ""), "parent": request.POST.get("parent", "")}
    error = None
    try:
        parent = None
        if form["parent"]:
            parent = Comment.objects.filter(model=model, pk=int(form["parent"])).first()
        services.post_comment(user=request.user, model=model, text=form["comment"], parent=parent)
    except ValueError:
        error = HubgateError("No such comment to reply to.")
    except HubgateError as exc:
        error = exc
    return _after_post(request, model, error, form)


@login_required
@require_POST
def review_vote(request: HttpRequest, review_id: int) -> HttpResponse:
    review = get_object_or_404(Review.objects.select_related("model"), pk=review_id)
    model = _model(request, review.model_id)
    helpful = {"up": True, "down": False, "clear": None}.get(request.POST.get("vote", ""))
    error = None
    try:
        services.vote_review(user=request.user, review=review, helpful=helpful)
    except HubgateError as exc:
        error = exc
    return _after_post(request, model, error, {})


@login_required
@require_GET
def review_history(request: HttpRequest, review_id: int) -> HttpResponse:
    """A review's earlier ratings and texts."""
    review = get_object_or_404(Review.objects.select_related("user", "version"), pk=review_id)
    model = _model(request, review.model_id)
    if review.status != "visible" and review.user_id != request.user.pk:
        raise Http404("No such review.")
    return render_partial_or_page(
        request,
        "community/_review_history.html",
        {"review": review, "model": model, "revisions": selectors.review_history(review)},
        title=f"History of a review of {model.name}",
    )


@login_required
@require_POST
def report(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Report a review or comment to the moderators."""
    kinds = {"review": Review, "comment": Comment}
    if kind not in kinds:
        raise Http404("Nothing to report.")
    target = get_object_or_404(kinds[kind], pk=pk)
    model = _model(request, target.model_id)
    error = None
    try:
        services.report_content(
            reporter=request.user, reason=request.POST.get("reason", ""), **{kind: target}
        )
    except HubgateError as exc:
        error = exc
    return _after_post(request, model, error, {})


@login_required
@require_POST
def favorite_toggle(request: HttpRequest, model_id: int) -> HttpResponse:
    """Add the model to your favorites, or take it out; answers with the button."""
    model = _model(request, model_id)
    now = services.toggle_favorite(user=request.user, model=model)
    if is_htmx(request):
        return render(
            request, "community/_favorite_button.html", {"model": model, "is_favorite": now}
        )
    return _back(request, reverse("community:model-block", args=[model.pk]))


@login_required
@require_POST
def follow_toggle(request: HttpRequest) -> HttpResponse:
    """Follow or unfollow a model (``model``), creator (``creator``) or tag (``tag``)."""
    target: dict = {}
    if request.POST.get("model", "").isdigit():
        target["model"] = _model(request, int(request.POST["model"]))
    elif request.POST.get("creator"):
        target["creator"] = get_object_or_404(Creator, username=request.POST["creator"])
    elif request.POST.get("tag"):
        target["tag"] = get_object_or_404(Tag, name=request.POST["tag"].strip().lower())
    else:
        raise Http404("Nothing to follow.")
    following = Follow.objects.filter(user=request.user, **target).exists()
    if following:
        services.unfollow(user=request.user, **target)
    else:
        services.follow(user=request.user, **target)
    if is_htmx(request):
        return render(
            request,
            "community/_follow_button.html",
            {"target": target, "following": not following, "label": next(iter(target.values()))},
        )
    return _back(request, reverse("community:panel"))


# --- the Community panel ---------------------------------------------------------------------


@login_required
@require_GET
def panel(request: HttpRequest) -> HttpResponse:
    """Trending (hot, rising, new), top creators and the latest discussions."""
    kind = request.GET.get("trend", "hot")
    if kind not in selectors.TREND_KINDS:
        kind = "hot"
    rows = selectors.trending(user=request.user, kind=kind, limit=10)
    summaries = selectors.rating_summaries([m.pk for m, _ in rows])
    context = {
        "trend_kind": kind,
        "trend_kinds": selectors.TREND_KINDS,
        "trending": [(m, t, summaries[m.pk]) for m, t in rows],
        "creators": selectors.top_creators(request.user, limit=8),
        "discussions": selectors.recent_discussions(request.user, limit=8),
        "follows": selectors.follows_of(request.user)[:20],
    }
    return render_partial_or_page(request, "community/_panel.html", context, title="Community")


# --- Management pieces -----------------------------------------------------------------------


@login_required
@require_GET
def favorites(request: HttpRequest) -> HttpResponse:
    return render_partial_or_page(
        request,
        "community/_favorites.html",
        {"favorites": selectors.favorites_of(request.user)[:100]},
        title="My favorites",
    )


@login_required
@require_GET
def my_downloads(request: HttpRequest) -> HttpResponse:
    return render_partial_or_page(
        request,
        "community/_downloads.html",
        {"downloads": usage.my_downloads(request.user)},
        title="My downloads",
    )


def _collections_context(request: HttpRequest, *, error: str = "", form=None) -> dict:
    visible = selectors.visible_collections(request.user)
    return {
        "mine": visible.filter(owner=request.user),
        "shared": visible.exclude(owner=request.user)[:50],
        "teams": request.user.teams.all(),
        "visibilities": Collection.Visibility.choices,
        "error": error,
        "form": form or {},
    }


@login_required
@require_http_methods(["GET", "POST"])
def my_collections(request: HttpRequest) -> HttpResponse:
    """Your collections and those shared with you; POST creates one."""
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("name", "description", "visibility", "team")}
        try:
            team = None
            if form["team"]:
                team = request.user.teams.filter(slug=form["team"]).first()
            services.create_collection(
                owner=request.user,
                name=form["name"],
                description=form["description"],
                visibility=form["visibility"] or "private",
                team=team,
            )
        except HubgateError as exc:
            return render_partial_or_page(
                request,
                "community/_collections.html",
                _collections_context(request, error=exc.detail, form=form),
                title="Collections",
                status=exc.status,
            )
        if not is_htmx(request):
            return redirect("community:my-collections")
    return render_partial_or_page(
        request, "community/_collections.html", _collections_context(request), title="Collections"
    )


def _collection_page(
    request: HttpRequest, collection: Collection, *, error: str = "", status: int = 200
) -> HttpResponse:
    owner = collection.owner_id == request.user.pk
    context = {
        "collection": collection,
        "items": selectors.collection_items(collection, request.user),
        "is_owner": owner,
        "share_url": request.build_absolute_uri(
            reverse("community:collection-shared", args=[collection.share_token])
        )
        if owner
        else "",
        "error": error,
    }
    return render_partial_or_page(
        request, "community/_collection.html", context, title=collection.name, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def collection(request: HttpRequest, pk: int) -> HttpResponse:
    """One collection you may see; its owner adds, annotates, moves and removes models."""
    found = selectors.visible_collections(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such collection, or you may not see it.")
    if request.method == "POST":
        try:
            _change_collection(request, found)
        except HubgateError as exc:
            return _collection_page(request, found, error=exc.detail, status=exc.status)
        except (ValueError, CollectionItem.DoesNotExist):
            return _collection_page(
                request, found, error="That item is not in this collection.", status=400
            )
        if not is_htmx(request):
            return redirect("community:collection", pk=found.pk)
    return _collection_page(request, found)


def _change_collection(request: HttpRequest, found: Collection) -> None:
    op = request.POST.get("op", "")
    if op == "add":
        model_id = request.POST.get("model", "")
        model = _model(request, int(model_id)) if model_id.isdigit() else None
        if model is None:
            raise HubgateError("Choose a model to add.")
        services.add_to_collection(
            user=request.user, collection=found, model=model, note=request.POST.get("note", "")
        )
        return
    if op == "share":
        team = request.user.teams.filter(slug=request.POST.get("team", "")).first()
        services.update_collection(
            user=request.user,
            collection=found,
            visibility=request.POST.get("visibility", ""),
            team=team,
        )
        return
    if op == "rotate-link":
        services.rotate_share_token(user=request.user, collection=found)
        return
    if op == "delete":
        services.delete_collection(user=request.user, collection=found)
        return
    item = found.items.get(pk=int(request.POST.get("item", "")))
    if op == "remove":
        services.remove_from_collection(user=request.user, item=item)
    elif op == "note":
        services.update_item(user=request.user, item=item, note=request.POST.get("note", ""))
    elif op in ("up", "down"):
        services.update_item(
            user=request.user, item=item, position=max(0, item.position + (-1 if op == "up" else 1))
        )
    else:
        raise HubgateError("Unknown change.")


@login_required
@require_GET
def collection_shared(request: HttpRequest, token: str) -> HttpResponse:
    """A collection's share link: opens it for those allowed to see it, 404 for the rest."""
    found = selectors.collection_by_token(request.user, token)
    if found is None:
        raise Http404("No such collection, or you may not see it.")
    return _collection_page(request, found)
