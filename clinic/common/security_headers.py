"""Browser security headers beyond Django's own: the Content-Security-Policy (django-csp)
and a Permissions-Policy.

The policy allows only this site's own files: no inline script (the app's JavaScript lives in
static/js, htmx is told not to eval or inject its own style), no <style> elements, no style
attributes, no third parties (clinics run offline and PHI pages must not call out), no
framing. What pages once set in style attributes comes from the stylesheets in static/css:
the calendar places each appointment with classes (`cal-at-h9 cal-at-m30`, see
clinic/booking/selectors.py:place), progress bars take a `pct-N` class, and a user-chosen
colour (an appointment type's) is an SVG `fill` presentation attribute, which the policy
does not govern. Scripts may still set element.style through the CSSOM (Bootstrap and
Chart.js do), which CSP allows.
Referrer-Policy, X-Frame-Options, X-Content-Type-Options and Cross-Origin-Opener-Policy come
from Django's SecurityMiddleware and XFrameOptionsMiddleware (see settings).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from csp.constants import NONE, SELF

if TYPE_CHECKING:  # settings import this module: keep it light
    from django.http import HttpRequest, HttpResponse


def content_security_policy(*, https: bool) -> dict:
    directives = {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-elem": [SELF],
        "style-src-attr": [NONE],
        # Bootstrap's CSS draws form controls with data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-src": [NONE],
        "worker-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
    if https:
        directives["upgrade-insecure-requests"] = True
    return {"DIRECTIVES": directives}


# Features the app never uses are switched off for it and anything it might embed.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header to every response that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
