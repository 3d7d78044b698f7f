"""The plan body chart is styled by the page's stylesheet (no <style> element under the
Content-Security-Policy) and by rules inside the SVG in the PDF; the two are the same."""

from __future__ import annotations

import re
from pathlib import Path

from needling.plans.bodychart import CHART_RULES, plan_body_chart

ROOT = Path(__file__).resolve().parents[2]
SITES = [(1, "deltoid", "Deltoid", "shoulder", "left", False)]


def _rules(css: str) -> set[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return {rule.strip() + "}" for rule in css.split("}") if rule.strip()}


def test_the_page_stylesheet_has_every_chart_rule_the_pdf_embeds():
    page_css = _rules((ROOT / "static/css/needling.css").read_text())
    assert _rules(CHART_RULES) <= page_css


def test_the_chart_embeds_its_style_only_for_the_pdf():
    assert "<style>" in plan_body_chart(SITES)
    page_chart = plan_body_chart(SITES, embed_style=False)
    assert "<style" not in page_chart and 'class="site-mark"' in page_chart
