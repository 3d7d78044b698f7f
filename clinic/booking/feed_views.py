"""The calendar feed (public, keyed by its secret token) and the profile page that manages it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from clinic.booking import feed
from clinic.booking.feed_models import CalendarFeed
from clinic.common.access import requires


@login_not_required
@require_GET
@never_cache
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The therapist's next 60 days as iCalendar. Public: the token is the key; a wrong or
    rotated token, or a therapist no longer active, is 404."""
    found = feed.feed_for_token(token)
    if found is None:
        raise Http404("No such calendar feed.")
    CalendarFeed.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    appointments = feed.feed_appointments(found.user)
    body = feed.render_feed(
        found.user,
        appointments,
        url_for=lambda a: request.build_absolute_uri(a.get_absolute_url()),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="dn-clinic.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _page(request: HttpRequest, *, token: str | None = None) -> HttpResponse:
    current = CalendarFeed.objects.filter(user=request.user).first()
    feed_url = None
    if token is not None:
        feed_url = request.build_absolute_uri(
            reverse("booking:calendar_feed", kwargs={"token": token})
        )
    return render(
        request,
        "clinic/booking/calendar_feed.html",
        {"feed": current, "feed_url": feed_url, "days": feed.FEED_DAYS},
    )


@requires(feed.FEED_PERMISSION)
@require_GET
def calendar_feed_settings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@requires(feed.FEED_PERMISSION)
@require_POST
@never_cache
def calendar_feed_rotate(request: HttpRequest) -> HttpResponse:
    """A new secret URL, shown on this response only; the old one stops working."""
    had_one = CalendarFeed.objects.filter(user=request.user).exists()
    token = feed.calendar_feed_rotate(user=request.user)
    if had_one:
        messages.success(request, "New feed URL made. The old one no longer works.")
    else:
        messages.success(request, "Calendar feed turned on.")
    return _page(request, token=token)


@requires(feed.FEED_PERMISSION)
@require_POST
def calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    if feed.calendar_feed_revoke(user=request.user):
        messages.success(request, "Calendar feed turned off. Its URL no longer works.")
    else:
        messages.info(request, "The calendar feed was already off.")
    return redirect("booking:calendar_feed_settings")
