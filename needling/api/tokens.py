"""The manager's API token page: issue and revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clinic.common.access import any_staff
from needling.api import services
from needling.api.forms import ApiTokenForm
from needling.api.models import ApiToken


@any_staff
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = services.api_token_issue(user=request.user, name=form.cleaned_data["name"])
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "needling/api/api_tokens.html",
        {"form": form, "tokens": tokens, "new_key": new_key},
    )


@any_staff
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        services.api_token_revoke(user=request.user, token_id=token.pk)
    except ValidationError:
        messages.info(request, "That token was already revoked.")
    else:
        messages.success(request, f"Token {token.name} revoked.")
    return redirect("needling:api_tokens")
