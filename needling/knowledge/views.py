"""Knowledge-base reference pages (rules, muscles) and the clinic's screening policy."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from clinic.common.access import requires
from clinic.common.forms import apply_errors
from needling.knowledge import selectors, services
from needling.knowledge.catalogue import PAIN_AREAS, REGIONS
from needling.knowledge.forms import ScreeningSettingsForm, StricterRuleForm
from needling.knowledge.models import Contraindication, Muscle, StricterRule
from needling.knowledge.rules import CATALOGUE_VERSION, SEVERITY_ORDER

PAIN_AREA_LABELS = dict(PAIN_AREAS)


@requires("needling.view_contraindication")
@require_GET
def rule_catalogue(request: HttpRequest) -> HttpResponse:
    rules = list(Contraindication.objects.all())
    stricter = {r.rule.code: r for r in selectors.active_stricter_rules()}
    groups = [
        (severity, [rule for rule in rules if rule.severity == severity])
        for severity in SEVERITY_ORDER
    ]
    return render(
        request,
        "needling/knowledge/rule_catalogue.html",
        {
            "groups": groups,
            "stricter": stricter,
            "settings_row": selectors.screening_settings(),
            "catalogue_version": CATALOGUE_VERSION,
            "rule_count": len(rules),
        },
    )


@requires("needling.view_muscle")
@require_GET
def muscle_catalogue(request: HttpRequest) -> HttpResponse:
    region = request.GET.get("region", "")
    muscles = Muscle.objects.filter(is_active=True)
    if region in dict(REGIONS):
        muscles = muscles.filter(region=region)
    else:
        region = ""
    rows = [
        (muscle, [PAIN_AREA_LABELS.get(code, code) for code in muscle.refers_to])
        for muscle in muscles
    ]
    return render(
        request,
        "needling/knowledge/muscle_catalogue.html",
        {"rows": rows, "regions": REGIONS, "region": region},
    )


@requires("needling.manage_policy")
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    row = selectors.screening_settings()
    settings_form = ScreeningSettingsForm(
        request.POST if request.POST.get("form") == "settings" else None, instance=row
    )
    stricter_form = StricterRuleForm(
        request.POST if request.POST.get("form") == "stricter" else None
    )
    if request.method == "POST":
        if request.POST.get("form") == "settings" and settings_form.is_valid():
            services.screening_settings_update(user=request.user, **settings_form.cleaned_data)
            messages.success(request, "Screening settings saved.")
            return redirect("needling:policy")
        if request.POST.get("form") == "stricter" and stricter_form.is_valid():
            try:
                services.stricter_rule_adopt(user=request.user, **stricter_form.cleaned_data)
            except ValidationError as error:
                apply_errors(stricter_form, error)
            else:
                messages.success(request, "Policy recorded: the rule now blocks plans.")
                return redirect("needling:policy")
    history = StricterRule.objects.select_related("rule", "adopted_by", "revoked_by")
    return render(
        request,
        "needling/knowledge/policy.html",
        {
            "settings_form": settings_form,
            "stricter_form": stricter_form,
            "history": history,
            "row": row,
        },
        status=400 if request.method == "POST" else 200,
    )


@requires("needling.manage_policy")
@require_http_methods(["GET", "POST"])
def stricter_rule_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(StricterRule.objects.select_related("rule"), pk=pk)
    if request.method == "POST":
        try:
            services.stricter_rule_revoke(user=request.user, record=record)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, f"{record.rule.code} is back to its contract severity.")
        return redirect("needling:policy")
    return render(request, "needling/knowledge/stricter_revoke_confirm.html", {"record": record})
