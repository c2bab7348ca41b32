import os

import pytest
from django.db import connection
from django.db.models import Q
from rest_framework.test import APIClient

from config import celery_app
from orders.roles import INTAKE, REVIEWER, SUPPORT
from tests.factories import MembershipFactory, ShopFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip on SQLite, but in CI's PostgreSQL pass
    (REQUIRE_POSTGRES=1) they must run: a non-PostgreSQL database is an error."""
    require = os.environ.get("REQUIRE_POSTGRES") == "1"
    db_url = os.environ.get("DATABASE_URL", "")
    is_pg = db_url.startswith(("postgres://", "postgresql://"))
    if require and not is_pg:
        raise pytest.UsageError("REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL")
    if not is_pg:
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)
    # Issue 18: the replica tests need a streaming replica of the test database
    # (.ci/replica start; TEST_REPLICA_URL); CI's replica pass requires them.
    if os.environ.get("REQUIRE_REPLICA") == "1" and not os.environ.get("TEST_REPLICA_URL"):
        raise pytest.UsageError("REQUIRE_REPLICA=1 but TEST_REPLICA_URL is not set")
    if not os.environ.get("TEST_REPLICA_URL"):
        skip = pytest.mark.skip(reason="needs a streaming replica (.ci/replica start; TEST_REPLICA_URL)")
        for item in items:
            if "replica" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Tasks queued by the code under test run in-process; the few
    end-to-end tests start a real worker instead (marker ``celery_worker``)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _no_axes_lockouts(settings):
    settings.AXES_ENABLED = False


_ROLES: dict[str, list[tuple[str, str]]] = {}


@pytest.fixture(autouse=True)
def _roles_survive_flushes(request):
    """A transactional test (``transaction=True``, ``live_server``) empties the
    database after itself, so the role groups made by data migrations are gone
    for the next one. Snapshot them (with their permissions) before the first
    flush and put them back when missing. Permissions and content types are
    recreated by the flush itself (post_migrate)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if not transactional:
        return
    from django.contrib.auth.models import Group, Permission

    if not _ROLES:
        for group in Group.objects.prefetch_related("permissions__content_type"):
            _ROLES[group.name] = [(p.content_type.app_label, p.codename) for p in group.permissions.all()]
        return
    for name, perms in _ROLES.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            wanted = Q()
            for app_label, codename in perms:
                wanted |= Q(content_type__app_label=app_label, codename=codename)
            group.permissions.set(Permission.objects.filter(wanted) if perms else [])


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~1 s per user on this loaded 2-core machine; tests check
    behaviour, not hashing strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_unless_asked(settings):
    """Tests read the English source strings: a request without
    Accept-Language, and code run outside a request, get English here (the
    product's default is zh-hans, see tests/workbench/test_i18n.py). A test
    about Chinese sends ``Accept-Language: zh-CN`` or sets LANGUAGE_CODE."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    """K1: texts go to ``config.sms.outbox`` (read by ``phone_verified``)."""
    from config import sms

    settings.SMS_BACKEND = "config.sms.MemoryBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def phone_verified(client, user, phone: str = "13900001234", *, via: str = "api"):
    """K1: register a phone for ``user`` if it has none, and verify the login
    ``client`` holds (its token or session) through the real endpoints, as a
    user would before downloading an export. Returns ``client``."""
    import re

    from django.utils import timezone

    from config import sms
    from orders.verification.models import PhoneVerificationDevice, UserPhone
    from orders.verification.services import user_phone_set

    if not UserPhone.objects.filter(user=user).exists():
        user_phone_set(user=user, phone=phone, now=timezone.now())
    if via == "session":  # a URLconf without the API (admin-only tests): the same services, this session's key
        import hashlib

        from orders.verification import services

        PhoneVerificationDevice.objects.filter(user=user).update(last_generated_timestamp=None)
        services.phone_verification_send(user=user, now=timezone.now())
        code = re.search(r"\b(\d{6})\b", sms.outbox[-1].body).group(1)
        key = "session:" + hashlib.sha256(client.session.session_key.encode()).hexdigest()
        services.phone_verification_check(user=user, code=code, login_key=key, now=timezone.now())
        return client
    sent = client.post("/api/v1/auth/verify/send/", {}, content_type="application/json")
    if sent.status_code == 429:  # a code went out less than a minute ago (a frozen clock): as if a minute passed
        PhoneVerificationDevice.objects.filter(user=user).update(last_generated_timestamp=None)
        sent = client.post("/api/v1/auth/verify/send/", {}, content_type="application/json")
    assert sent.status_code == 202, sent.json()
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1].body).group(1)
    verified = client.post("/api/v1/auth/verify/", {"code": code}, content_type="application/json")
    assert verified.status_code == 200, verified.json()
    return client


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", is_staff=True, groups=[REVIEWER])


@pytest.fixture
def support(db):
    return UserFactory(username="support", is_staff=True, groups=[SUPPORT])


@pytest.fixture
def storefront(db):
    return UserFactory(username="storefront", groups=[INTAKE])


@pytest.fixture
def shop_a(db):
    return ShopFactory(name="A 店")


@pytest.fixture
def shop_b(db):
    return ShopFactory(name="B 店")


@pytest.fixture
def shop_c(db):
    return ShopFactory(name="C 店")


@pytest.fixture
def merchant(db, shop_a, shop_b):
    """Member of shops A and B."""
    user = UserFactory(username="merchant")
    MembershipFactory(user=user, shop=shop_a)
    MembershipFactory(user=user, shop=shop_b)
    return user


@pytest.fixture
def merchant2(db, shop_c):
    """Member of shop C only."""
    user = UserFactory(username="merchant2")
    MembershipFactory(user=user, shop=shop_c)
    return user


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    """``api(user)`` → an APIClient authenticated as ``user`` (or anonymous)."""
    return _client
