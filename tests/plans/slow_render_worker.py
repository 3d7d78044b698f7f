"""A Celery app for tests/plans/test_worker_killed.py: the real app, whose PDF render and
CSV export block while a marker file exists (so the test can kill the worker mid-job).

Run as `celery -A tests.plans.slow_render_worker worker`; never imported by the app.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from clinic.celery import app  # noqa: E402
from clinic.reports import exports  # noqa: E402
from needling.plans import documents  # noqa: E402


def _blocking(function):
    def blocked(*args, **kwargs):
        marker = Path(os.environ["DN_SLOW_RENDER_MARKER"])
        if marker.exists():
            # Tell the test which process is working, then block until it is killed.
            Path(os.environ["DN_RENDER_STARTED"]).write_text(str(os.getpid()))
            while marker.exists():
                time.sleep(0.1)
        return function(*args, **kwargs)

    return blocked


documents.render_plan_pdf = _blocking(documents.render_plan_pdf)
exports.write_csv = _blocking(exports.write_csv)

__all__ = ["app"]
