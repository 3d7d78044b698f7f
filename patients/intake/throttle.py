"""Throttling of link opening, per client address and per token, in Django's cache.

A fixed window counter: the first hit of a window sets the key with the window's timeout,
later hits increment it. Over the limit, the view answers 429 without looking the token up.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from patients.intake.tokens import token_hash


def client_ip(request: HttpRequest) -> str | None:
    """The client address: REMOTE_ADDR, or the address PROXY_COUNT proxies in front saw."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one hit; True while the count is within the limit."""
    if cache.add(key, 1, timeout=window):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    return count <= limit


def link_open_allowed(request: HttpRequest, token: str | None) -> bool:
    """Count this opening against the client's address and the token; False if either is
    over its limit for the window (INTAKE_THROTTLE_*)."""
    window = settings.INTAKE_THROTTLE_WINDOW_SECONDS
    ip_ok = _hit(f"intake:ip:{client_ip(request)}", settings.INTAKE_THROTTLE_PER_IP, window)
    token_ok = True
    if token is not None:
        token_ok = _hit(
            f"intake:token:{token_hash(token)}", settings.INTAKE_THROTTLE_PER_TOKEN, window
        )
    return ip_ok and token_ok
