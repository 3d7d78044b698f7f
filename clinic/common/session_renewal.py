"""Idle expiry without a session write on every request.

`SESSION_SAVE_EVERY_REQUEST` wrote the session row (an UPDATE of django_session) on every
request, htmx partials included, to push the expiry on. This middleware saves the session
only when it has not been renewed for SESSION_RENEW_SECONDS (60) or is being saved anyway
(log-in, messages): the stored expiry is then at most a minute short of "SESSION_COOKIE_AGE
after the last request", so a user is logged out between SESSION_IDLE_MINUTES - 1 and
SESSION_IDLE_MINUTES idle minutes, never later.

It sits after SessionMiddleware in MIDDLEWARE, so that its response step runs first and
SessionMiddleware saves what it marked.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

RENEWED_KEY = "_renewed_at"


def renew_interval() -> int:
    """Seconds between renewals: SESSION_RENEW_SECONDS, at most half the idle timeout."""
    return min(settings.SESSION_RENEW_SECONDS, settings.SESSION_COOKIE_AGE // 2)


class SessionRenewalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or user is None or not user.is_authenticated:
            # Anonymous (a stale cookie included: no new row for it), or just logged out.
            return response
        now = int(time.time())
        renewed = session.get(RENEWED_KEY)
        due = not isinstance(renewed, int) or now - renewed >= renew_interval()
        if due or session.modified:
            # Setting the key marks the session modified: SessionMiddleware saves it with a
            # fresh expiry (now + SESSION_COOKIE_AGE) and sends the cookie again.
            session[RENEWED_KEY] = now
        return response
