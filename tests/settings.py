"""Test settings: the real settings, with a fixed key and fast password hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DEBUG", "0")

from relief.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
AXES_FAILURE_LIMIT = 3
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# Jobs run inline after commit (deterministic); tests/relief/test_job_threads.py turns threads on.
JOBS_RUN_IN_THREAD = False
# The read replica's alias, as in production when DATABASE_REPLICA_URL is set: a mirror of the test
# database (no router, so nothing reads it) until tests/replica.py points it at a real streaming
# replica for the tests marked `replica`.
if "replica" not in DATABASES:  # noqa: F405
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
# The dashboard's live figures are computed at every read, as before their cache: a test reading
# twice around a change made without a service sees the change. tests/relief/test_dashboard_live.py
# turns the cache on, on real Redis (REDIS_URL).
DASHBOARD_LIVE_SECONDS = 0
