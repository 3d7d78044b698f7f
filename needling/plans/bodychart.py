"""The body chart of a plan: the patients' SVG outline with each planned site marked.

Reuses the outline and coordinate system of ``patients.bodychart`` (offset ``dx`` from the
body's midline towards the patient's own side, front and back views). Each site is a
numbered marker matching its row in the sites table, with a <title> naming it; a site whose
muscle has no position of its own (a muscle a manager added) is drawn at its region.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from patients.bodychart import (
    BACK,
    FRONT,
    HEIGHT,
    WIDTH,
    outline_group,
    shape_x,
    view_captions,
)

# muscle code -> (view, dx, y): roughly where the needle goes in, on the chart's scale.
MUSCLE_MARKS: dict[str, tuple[str, int, int]] = {
    "temporalis": (FRONT, 20, 26),
    "masseter": (FRONT, 15, 50),
    "medial_pterygoid": (FRONT, 11, 56),
    "lateral_pterygoid": (FRONT, 17, 43),
    "upper_trapezius": (BACK, 30, 82),
    "levator_scapulae": (BACK, 19, 78),
    "splenius_capitis": (BACK, 8, 57),
    "splenius_cervicis": (BACK, 9, 70),
    "suboccipitals": (BACK, 6, 49),
    "cervical_multifidus": (BACK, 3, 65),
    "sternocleidomastoid": (FRONT, 10, 68),
    "scalenes": (FRONT, 16, 77),
    "supraspinatus": (BACK, 28, 93),
    "infraspinatus": (BACK, 30, 111),
    "teres_minor": (BACK, 42, 114),
    "subscapularis": (FRONT, 44, 112),
    "deltoid": (FRONT, 54, 100),
    "pectoralis_major": (FRONT, 24, 104),
    "pectoralis_minor": (FRONT, 31, 95),
    "serratus_anterior": (FRONT, 40, 140),
    "intercostals": (FRONT, 28, 128),
    "middle_trapezius": (BACK, 14, 100),
    "lower_trapezius": (BACK, 12, 132),
    "rhomboids": (BACK, 12, 113),
    "latissimus_dorsi": (BACK, 36, 152),
    "thoracic_paraspinals": (BACK, 6, 152),
    "biceps_brachii": (FRONT, 60, 130),
    "triceps_brachii": (BACK, 60, 130),
    "brachialis": (FRONT, 62, 155),
    "supinator": (BACK, 64, 180),
    "extensor_carpi_radialis": (BACK, 66, 191),
    "extensor_digitorum": (BACK, 68, 206),
    "brachioradialis": (FRONT, 66, 181),
    "wrist_flexors": (FRONT, 68, 206),
    "pronator_teres": (FRONT, 63, 176),
    "first_dorsal_interosseous": (BACK, 78, 252),
    "adductor_pollicis": (FRONT, 80, 252),
    "quadratus_lumborum": (BACK, 14, 200),
    "iliocostalis_lumborum": (BACK, 9, 190),
    "lumbar_multifidus": (BACK, 4, 212),
    "rectus_abdominis": (FRONT, 6, 180),
    "abdominal_obliques": (FRONT, 24, 190),
    "iliopsoas": (FRONT, 14, 226),
    "gluteus_maximus": (BACK, 22, 258),
    "gluteus_medius": (BACK, 30, 236),
    "gluteus_minimus": (BACK, 35, 247),
    "piriformis": (BACK, 15, 246),
    "tensor_fasciae_latae": (FRONT, 34, 246),
    "vastus_lateralis": (FRONT, 32, 300),
    "vastus_medialis": (FRONT, 15, 328),
    "rectus_femoris": (FRONT, 22, 284),
    "hamstrings": (BACK, 22, 300),
    "adductors": (FRONT, 12, 280),
    "gastrocnemius": (BACK, 22, 376),
    "soleus": (BACK, 22, 405),
    "tibialis_posterior": (BACK, 19, 420),
    "tibialis_anterior": (FRONT, 25, 390),
    "fibularis_longus": (FRONT, 31, 380),
    "flexor_hallucis_longus": (BACK, 25, 432),
    "quadratus_plantae": (BACK, 22, 470),
    "abductor_hallucis": (FRONT, 15, 466),
}

# region -> (view, dx, y): the fallback for muscles without a position of their own.
REGION_MARKS: dict[str, tuple[str, int, int]] = {
    "head": (FRONT, 18, 30),
    "jaw": (FRONT, 15, 52),
    "neck": (BACK, 10, 70),
    "shoulder": (BACK, 35, 100),
    "chest": (FRONT, 25, 112),
    "upper_back": (BACK, 14, 120),
    "low_back": (BACK, 10, 205),
    "abdomen": (FRONT, 12, 185),
    "buttock": (BACK, 22, 252),
    "hip": (FRONT, 34, 240),
    "upper_arm": (FRONT, 60, 130),
    "forearm": (FRONT, 66, 195),
    "hand": (FRONT, 75, 256),
    "thigh": (FRONT, 22, 295),
    "leg": (BACK, 22, 390),
    "foot": (FRONT, 20, 466),
}

MARKER_RADIUS = 7

# WeasyPrint's PDF does not apply the document's stylesheet to inline SVG, so the PDF's chart
# carries these rules in a <style> element. Pages get the same rules from
# static/css/needling.css instead (the Content-Security-Policy forbids <style> elements);
# tests/needling/test_bodychart_style.py keeps the two the same.
CHART_RULES = (
    ".plan-chart .outline{fill:#e9ecef;stroke:#adb5bd;stroke-width:1}"
    ".plan-chart .outline .limb{fill:none;stroke:#e9ecef;stroke-linecap:round;"
    "stroke-linejoin:round}"
    ".plan-chart .outline .arm{stroke-width:18}.plan-chart .outline .leg{stroke-width:28}"
    ".plan-chart .site-mark circle{fill:#0b5ed7;stroke:#fff;stroke-width:1}"
    ".plan-chart .site-mark.is-blocked circle{fill:#b02a37}"
    ".plan-chart .site-mark text{font-size:9px;fill:#fff;font-weight:bold;font-family:sans-serif}"
    ".plan-chart .caption{font-size:12px;fill:#495057;font-family:sans-serif}"
    ".plan-chart .side-label{font-size:10px;fill:#6c757d;font-family:sans-serif}"
)
_STYLE = f"<style>{CHART_RULES}</style>"


def site_position(muscle_code: str, region: str, side: str) -> tuple[int, int]:
    """Where the marker of a site goes: (x, y) on the chart."""
    view, dx, y = MUSCLE_MARKS.get(muscle_code) or REGION_MARKS.get(region, (FRONT, 0, 250))
    if side == "midline":
        dx = 0
    return shape_x(view, dx, side), y


def plan_body_chart(
    sites: Iterable[tuple[int, str, str, str, str, bool]],
    *,
    label: str = "",
    embed_style: bool = True,
) -> SafeString:
    """SVG markup with one numbered marker per site.

    ``sites``: (number, muscle code, muscle name, region, side, blocked) for each site.
    Blocked sites are drawn in red. ``embed_style`` puts CHART_RULES inside the SVG (for the
    PDF); pages pass False and load static/css/needling.css.
    """
    markup = format_html_join(
        "",
        '<g class="{}"><circle cx="{}" cy="{}" r="{}"><title>{}</title></circle>'
        '<text x="{}" y="{}" text-anchor="middle">{}</text></g>',
        _markers(sites),
    )
    return format_html(
        '<svg class="body-chart plan-chart" viewBox="0 0 {} {}" width="{}" height="{}" '
        'role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">{}{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        label or "Body chart, front and back, with the planned needling sites numbered",
        mark_safe(_STYLE if embed_style else ""),  # noqa: S308 - a constant
        outline_group(),
        markup,
        view_captions(caption_class="caption"),
    )


def _markers(sites: Iterable[tuple[int, str, str, str, str, bool]]) -> list[tuple]:
    """(class, x, y, r, title, text x, text y, number) for each site's marker."""
    markers = []
    for number, code, name, region, side, blocked in sites:
        x, y = site_position(code, region, side)
        markers.append(
            (
                "site-mark is-blocked" if blocked else "site-mark",
                x,
                y,
                MARKER_RADIUS,
                f"{number}. {name}, {side}" + (" (blocked)" if blocked else ""),
                x,
                y + 3.5,
                number,
            )
        )
    return markers
