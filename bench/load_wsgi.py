"""The load stage's WSGI entry: the clinic's application with every view imported up front.

gunicorn ``--preload`` imports this in the master before it forks the workers, so a worker's
first request does not import the views (WeasyPrint and all) while the clock runs.
"""

from django.urls import get_resolver

from clinic.wsgi import application

get_resolver().url_patterns  # noqa: B018 - imports every URLconf and view module

__all__ = ["application"]
