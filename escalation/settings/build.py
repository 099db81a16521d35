"""Settings for building the image: what `collectstatic` needs for production's manifest storage, nothing secret.

Production's settings refuse to load without the real environment (escalation/settings/required.py), which a
build does not have; the static files it collects are the same, since they depend only on STORAGES and the files.
"""

import secrets

from escalation.settings.base import *  # noqa: F401,F403

# Never used to sign anything: the build only copies files.
SECRET_KEY = secrets.token_urlsafe(50)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
