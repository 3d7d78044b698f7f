"""The body chart: an SVG outline, front and back, with one shape per pain area and side.

Shapes are placed by their offset from the body's midline towards the patient's own side
(`dx`, positive = the patient's right). On the front view the patient's right is on the
viewer's left; on the back view it is on the viewer's right. The chart is a picture for the
eye: the form beside it (one labelled NPRS box per area) is the keyboard route, and every
shape names its area in a <title>.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from patients.vocabulary import PainArea, Side, pain_area_sides

FRONT, BACK = "front", "back"
VIEW_CENTRE = {FRONT: 120, BACK: 360}
WIDTH, HEIGHT = 480, 500

# area -> (view, dx, y, rx, ry)
AREA_SHAPES: dict[str, tuple[str, int, int, int, int]] = {
    "temple": (FRONT, 19, 30, 4, 6),
    "eyebrow": (FRONT, 9, 28, 6, 3),
    "behind_eye": (FRONT, 9, 36, 4, 3),
    "ear": (FRONT, 26, 42, 3, 6),
    "cheek": (FRONT, 14, 46, 5, 4),
    "upper_teeth": (FRONT, 5, 52, 4, 2),
    "teeth": (FRONT, 5, 57, 4, 2),
    "jaw": (FRONT, 15, 57, 5, 4),
    "throat": (FRONT, 0, 72, 7, 6),
    "shoulder_top": (FRONT, 38, 84, 11, 5),
    "anterior_shoulder": (FRONT, 53, 98, 8, 10),
    "chest": (FRONT, 22, 112, 15, 13),
    "lateral_chest": (FRONT, 41, 140, 6, 14),
    "medial_arm": (FRONT, 53, 132, 4, 17),
    "lateral_arm": (FRONT, 65, 130, 4, 17),
    "anterior_elbow": (FRONT, 63, 168, 7, 6),
    "forearm": (FRONT, 67, 201, 7, 19),
    "wrist": (FRONT, 71, 233, 7, 4),
    "hand": (FRONT, 74, 256, 8, 12),
    "thumb": (FRONT, 86, 251, 3, 7),
    "abdomen": (FRONT, 0, 178, 21, 24),
    "groin": (FRONT, 15, 240, 8, 6),
    "lateral_hip": (FRONT, 36, 236, 6, 12),
    "anterior_thigh": (FRONT, 22, 287, 9, 27),
    "medial_thigh": (FRONT, 9, 296, 4, 22),
    "lateral_thigh": (FRONT, 35, 292, 4, 24),
    "knee": (FRONT, 22, 345, 9, 9),
    "ankle_front": (FRONT, 22, 444, 7, 4),
    "ankle_lateral": (FRONT, 31, 450, 3, 5),
    "big_toe": (FRONT, 16, 472, 3, 4),
    "vertex": (BACK, 0, 17, 11, 5),
    "occiput": (BACK, 0, 45, 12, 7),
    "posterior_neck": (BACK, 7, 70, 5, 8),
    "posterior_shoulder": (BACK, 52, 100, 8, 10),
    "medial_scapula": (BACK, 16, 120, 6, 17),
    "mid_back": (BACK, 0, 160, 13, 18),
    "low_back": (BACK, 0, 204, 17, 13),
    "si_joint": (BACK, 10, 228, 5, 6),
    "coccyx": (BACK, 0, 245, 4, 5),
    "buttock": (BACK, 20, 256, 12, 14),
    "lateral_elbow": (BACK, 67, 168, 5, 6),
    "medial_elbow": (BACK, 56, 168, 5, 6),
    "posterior_thigh": (BACK, 22, 302, 9, 27),
    "posterior_knee": (BACK, 22, 345, 8, 7),
    "calf": (BACK, 22, 386, 9, 22),
    "achilles": (BACK, 22, 434, 4, 9),
    "heel": (BACK, 22, 454, 6, 5),
    "sole": (BACK, 22, 472, 6, 5),
}

# The silhouette, drawn once per view around its centre x (c).
_OUTLINE = (
    '<circle cx="{c}" cy="40" r="25"/>'
    '<rect x="{neck_x}" y="60" width="20" height="22" rx="4"/>'
    '<path d="M{l1} 82 Q{c} 76 {r1} 82 L{r2} 110 L{r3} 235 Q{c} 262 {l3} 235 L{l2} 110 Z"/>'
    '<polyline points="{la1},88 {la2},166 {la3},234" class="limb arm"/>'
    '<polyline points="{ra1},88 {ra2},166 {ra3},234" class="limb arm"/>'
    '<ellipse cx="{lh}" cy="256" rx="9" ry="14"/><ellipse cx="{rh}" cy="256" rx="9" ry="14"/>'
    '<polyline points="{ll1},240 {ll2},345 {ll2},448" class="limb leg"/>'
    '<polyline points="{rl1},240 {rl2},345 {rl2},448" class="limb leg"/>'
    '<ellipse cx="{ll2}" cy="466" rx="9" ry="12"/><ellipse cx="{rl2}" cy="466" rx="9" ry="12"/>'
)


def _outline(c: int) -> str:
    return _OUTLINE.format(
        c=c,
        neck_x=c - 10,
        l1=c - 46,
        r1=c + 46,
        l2=c - 44,
        r2=c + 44,
        l3=c - 34,
        r3=c + 34,
        la1=c - 56,
        la2=c - 64,
        la3=c - 72,
        ra1=c + 56,
        ra2=c + 64,
        ra3=c + 72,
        lh=c - 75,
        rh=c + 75,
        ll1=c - 18,
        ll2=c - 22,
        rl1=c + 18,
        rl2=c + 22,
    )


def nprs_colour(nprs: int) -> str:
    """Pale yellow for mild pain through to deep red for the worst."""
    nprs = max(0, min(10, nprs))
    return f"hsl({52 - 5 * nprs}, 90%, {86 - 4 * nprs}%)"


def shape_x(view: str, dx: int, side: str) -> int:
    if side == Side.LEFT:
        dx = -dx
    centre = VIEW_CENTRE[view]
    # Front view: the patient's right is on the viewer's left.
    return centre - dx if view == FRONT else centre + dx


def body_chart(*, scores: dict[tuple[str, str], int], interactive: bool = False) -> SafeString:
    """The SVG markup. `scores` maps (area, side) to NPRS; interactive charts link each shape
    to its NPRS input (id_pain_<area>__<side>) for the small script in static/js/patients.js."""
    markup = format_html_join(
        "",
        '<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="{}" class="{}" data-field="{}">'
        "<title>{}</title></ellipse>",
        _pain_shapes(scores, interactive=interactive),
    )
    description = (
        "Body chart, front and back, with the painful areas marked"
        if not interactive
        else "Body chart, front and back: click an area to set its pain score"
    )
    return format_html(
        '<svg class="body-chart{}" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg">{}{}{}</svg>',
        " is-interactive" if interactive else "",
        WIDTH,
        HEIGHT,
        description,
        outline_group(),
        markup,
        view_captions(),
    )


def _pain_shapes(scores: dict[tuple[str, str], int], *, interactive: bool) -> list[tuple]:
    """(x, y, rx, ry, fill, class, field, title) for each area and side to draw: the scored
    ones, or all of them on an interactive chart."""
    labels = dict(PainArea.choices)
    shapes = []
    for area, (view, dx, y, rx, ry) in AREA_SHAPES.items():
        for side in pain_area_sides(area):
            nprs = scores.get((area, side))
            if nprs is None and not interactive:
                continue
            side_text = "" if side == Side.MIDLINE else f", {side}"
            title = f"{labels[area]}{side_text}" + (f": NPRS {nprs}" if nprs is not None else "")
            shapes.append(
                (
                    shape_x(view, dx, side),
                    y,
                    rx,
                    ry,
                    nprs_colour(nprs) if nprs is not None else "transparent",
                    "pain-area is-marked" if nprs is not None else "pain-area",
                    f"id_pain_{area}__{side}",
                    title,
                )
            )
    return shapes


def outline_group() -> SafeString:
    """The silhouette, front and back, hidden from assistive technology."""
    return mark_safe(  # noqa: S308 - built from integers only
        f'<g class="outline" aria-hidden="true">{_outline(VIEW_CENTRE[FRONT])}'
        f"{_outline(VIEW_CENTRE[BACK])}</g>"
    )


def view_captions(*, caption_class: str = "") -> SafeString:
    """ "Front" and "Back" under the views, and which side of the patient is which above."""
    extra = format_html(' class="{}"', caption_class) if caption_class else ""
    return format_html(
        '<text x="{}" y="495" text-anchor="middle"{}>Front</text>'
        '<text x="{}" y="495" text-anchor="middle"{}>Back</text>'
        '<text x="{}" y="12" class="side-label">Right</text>'
        '<text x="{}" y="12" class="side-label" text-anchor="end">Left</text>'
        '<text x="{}" y="12" class="side-label">Left</text>'
        '<text x="{}" y="12" class="side-label" text-anchor="end">Right</text>',
        VIEW_CENTRE[FRONT],
        extra,
        VIEW_CENTRE[BACK],
        extra,
        VIEW_CENTRE[FRONT] - 100,
        VIEW_CENTRE[FRONT] + 100,
        VIEW_CENTRE[BACK] - 100,
        VIEW_CENTRE[BACK] + 100,
    )
