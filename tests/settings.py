"""Test settings: the one settings module, with the environment a test run needs.

Values already in the environment win (CI sets DATABASE_URL and REDIS_URL to PostgreSQL and
Redis). Celery runs eagerly unless a test starts a real worker.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("HTTPS", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("CELERY_EAGER", "1")
_PRIVATE = os.environ.setdefault("PRIVATE_STORAGE_ROOT", "/tmp/dn-clinic-test-private")
# Under pytest-xdist each worker files in a folder of its own: both workers make a plan 1 and
# its PDF. (The workers inherit the controller's environment, hence the suffix check.)
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER and not _PRIVATE.endswith(f"-{_WORKER}"):
    os.environ["PRIVATE_STORAGE_ROOT"] = f"{_PRIVATE}-{_WORKER}"

from clinic.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Serve static files straight from the app folders (no collectstatic) for the live server.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
