"""``python -m bench.export csv|xlsx PATH``: export the sessions report (one row per DN session
note) over all the scale data and print JSON with the row count, seconds and this process's
peak RSS. The benchmark runs it in a subprocess so the peak memory is the export's own.

Peak RSS is read from ``VmHWM`` in /proc/self/status (the high-water mark of this process's
own memory), not from ``getrusage``: Linux carries ``ru_maxrss`` over ``exec`` from the
forked parent, so a child of a 270 MB benchmark process would report at least 270 MB.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time

import django


def main(argv: list[str]) -> int:
    fmt, path = argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.db.models import Min
    from django.utils import timezone

    from clinic.reports.exports import write_csv, write_xlsx
    from clinic.reports.filters import MAX_SPAN_DAYS, Filters
    from clinic.reports.registry import get_report
    from needling.sessions.models import SessionRecord

    end = timezone.localdate()
    first = SessionRecord.objects.aggregate(first=Min("session_date"))["first"]
    start = max(first or end, end - dt.timedelta(days=MAX_SPAN_DAYS - 1))
    report = get_report("sessions")
    filters = Filters(start=start, end=end)
    started = time.perf_counter()
    if fmt == "csv":
        with open(path, "wb") as handle:
            rows = write_csv(report, filters, handle)
    else:
        rows = write_xlsx(report, filters, path)
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}))
    return 0


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
