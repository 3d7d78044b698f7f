"""The browser harness fails a test whose page breaks the Content-Security-Policy, and the
app's pages with scripts (charts, confirm dialogs, htmx swaps) run under the policy."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from clinic.staff.roles import Role
from tests.factories import UserFactory


@pytest.mark.csp_violations_expected
def test_the_harness_sees_an_inline_script_refused(page, live_server, csp_violations):
    # The app's own policy on a page with an inline script: Chromium refuses it and says so.
    from csp.utils import build_policy
    from django.conf import settings

    from clinic.common.security_headers import content_security_policy

    policy = build_policy(config=content_security_policy(https=False)["DIRECTIVES"])
    assert content_security_policy(https=False) == settings.CONTENT_SECURITY_POLICY
    page.route(
        "**/csp-probe",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": policy},
            body="<p>probe</p><script>document.title = 'ran'</script>",
        ),
    )
    page.goto(f"{live_server.url}/csp-probe")
    expect(page.get_by_text("probe")).to_be_visible()
    assert page.title() != "ran"
    page.wait_for_timeout(200)
    assert any("inline script" in text for text in csp_violations), csp_violations


def test_revoking_an_api_token_asks_first_without_inline_script(login):
    from needling.api.models import ApiToken

    user = UserFactory(username="tokens", role=Role.THERAPIST)
    ApiToken.issue(user=user, name="lab system")
    page = login("tokens")
    page.goto(reverse("needling:api_tokens"))
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Revoke lab system").click()
    expect(page.get_by_role("button", name="Revoke lab system")).to_be_visible()
    assert ApiToken.objects.get().revoked_at is None
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke lab system").click()
    expect(page.get_by_role("cell", name=re.compile("^Revoked"))).to_be_visible()
    assert ApiToken.objects.get().revoked_at is not None
