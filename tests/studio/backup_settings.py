"""Settings for a restore run in a subprocess by tests/studio/test_backup.py: the project's,
with the media files in the folder the test names (the database comes from DATABASE_URL)."""
import os

from studio.settings import *  # noqa: F403

MEDIA_ROOT = os.environ["STUDIO_TEST_MEDIA_ROOT"]
STORAGES = {**STORAGES,  # noqa: F405
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
