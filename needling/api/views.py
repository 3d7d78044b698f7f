"""POST /api/screening/evaluate: the screening contract over HTTP, for staff systems.

Authenticates itself, so it answers 401 JSON rather than redirecting to the login page: an
API token (`Authorization: Token <key>` or `Bearer <key>`) or a logged-in session (with its
CSRF token). Applies the clinic's policy and muscle catalogue, exactly as plans are screened.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from needling.api.models import ApiToken
from needling.knowledge.selectors import muscle_facts
from needling.plans.screening import screening_policy
from needling.screening import ContractError, evaluate_json

MAX_BODY_BYTES = 1_000_000


def _token_user(request: HttpRequest):
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() not in ("token", "bearer") or not key.strip():
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash(key.strip()), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def _error(status: int, errors: dict[str, str]) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


def _is_staff(user) -> bool:
    return user.is_active and (user.is_superuser or user.role is not None)


@login_not_required
@csrf_exempt
@require_POST
def screening_evaluate(request: HttpRequest) -> JsonResponse:
    if "Authorization" in request.headers:
        user = _token_user(request)
        if user is None:
            return _error(401, {"authorization": "invalid or revoked API token"})
    elif request.user.is_authenticated:
        user = request.user
        rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if rejected is not None:
            return _error(403, {"csrf": "missing or wrong CSRF token for a session request"})
    else:
        return _error(401, {"authorization": "log in, or send an API token"})
    if not _is_staff(user):
        return _error(403, {"authorization": "staff only"})
    if len(request.body) > MAX_BODY_BYTES:
        return _error(413, {"body": f"larger than {MAX_BODY_BYTES} bytes"})
    try:
        data = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _error(400, {"body": f"not valid JSON: {exc}"})
    except RecursionError:
        return _error(400, {"body": "not valid JSON: nested too deeply"})
    try:
        result = evaluate_json(data, policy=screening_policy(), muscles=muscle_facts())
    except ContractError as exc:
        return _error(400, {exc.path or "case": exc.message})
    return JsonResponse(result, safe=False)
