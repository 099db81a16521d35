"""Test settings: a fast password hasher and the in-memory e-mail backend."""

from escalation.settings.base import *  # noqa: F401,F403

# Signs nothing that outlives a test run; production never reads this file.
SECRET_KEY = "test-settings-only-not-a-secret-" + "x" * 32

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests serve static files from the finders; there is no collected folder for WhiteNoise to look in.
STATIC_ROOT = None
# An audit event whose before/after keys differ from escalation/audit/events.py fails the test that writes it.
AUDIT_CHECK_PAYLOADS = True
