import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The user fixtures hash a password each; PBKDF2 costs seconds per test
    on a loaded 2-core machine, MD5 costs nothing (tests only)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
