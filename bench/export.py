"""``python -m bench.export csv|xlsx PATH``: export the activity report over all scale data
(one row per appointment; every completed one carries a DN session note) and print JSON with
the row count, seconds and this process's peak RSS. The benchmark runs it in a subprocess so
the peak memory is the export's own."""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import time

import django


def main(argv: list[str]) -> int:
    fmt, path = argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.db.models import Min
    from django.utils import timezone

    from clinic.booking.models import Appointment
    from clinic.reports.base import get_report
    from clinic.reports.exports import write_csv, write_xlsx
    from clinic.reports.filters import MAX_SPAN_DAYS, Filters

    end = timezone.localdate()
    first = Appointment.objects.aggregate(first=Min("starts_at"))["first"]
    start = max(first.date() if first else end, end - dt.timedelta(days=MAX_SPAN_DAYS - 1))
    report = get_report("activity")
    filters = Filters(start=start, end=end)
    started = time.perf_counter()
    if fmt == "csv":
        with open(path, "wb") as handle:
            rows = write_csv(report, filters, handle)
    else:
        rows = write_xlsx(report, filters, path)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mb": peak_kb / 1024}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
