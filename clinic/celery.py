"""The Celery application.

With REDIS_URL unset, settings make every task run eagerly in-process, so `make run` works on
a bare machine. With REDIS_URL set, Redis is broker and result backend.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
