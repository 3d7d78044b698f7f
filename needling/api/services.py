"""Issuing and revoking API tokens."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from needling.api.models import ApiToken


@transaction.atomic
def api_token_issue(*, user, name: str) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token (for example the system that uses it)."})
    return ApiToken.issue(user=user, name=name)


@transaction.atomic
def api_token_revoke(*, user, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated != 1:
        raise ValidationError("No such active token.")
