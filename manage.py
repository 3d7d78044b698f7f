#!/usr/bin/env python
import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["screen"]:
        # The screening engine is pure (no models, no database): `manage.py screen` runs it
        # without loading Django settings, so it needs no SECRET_KEY, DEBUG or DATABASE_URL.
        from needling.screening.cli import main as screen

        raise SystemExit(screen(sys.argv[2:]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
