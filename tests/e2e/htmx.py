"""Waiting for htmx in the browser tests.

A swap is not over when its content is in: htmx binds the new elements (their hx-get, their
forms) and restores focus to an element with the same id during the settle step, a moment
later. A key pressed or a link clicked before that goes to an element htmx does not handle
yet (a plain link: a full page load). What the tests then see depends on how busy the machine
is, so they wait until htmx is done.
"""

from __future__ import annotations

# In flight, being swapped, settling, or new and not yet processed (htmx's own classes).
BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def settled(page) -> None:
    """Wait until no htmx request is in flight and every swap has settled."""
    page.wait_for_function(f"() => !document.querySelector({BUSY!r})")
