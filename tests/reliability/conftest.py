import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Autouse, so it runs before the user fixtures (PBKDF2 costs seconds here)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
