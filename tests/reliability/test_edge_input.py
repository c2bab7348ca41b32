"""No 500 on any input, class by class, over the whole URL configuration
(issue 14 point 2). Every route, list, filter and body parser is found by
walking ``get_resolver()`` and the lists' FilterSets, so a new route, list or
filter is attacked without editing this file.

Classes: path parameters (NUL, control characters, over-long codes, huge or
zero ids), filters of every type (huge integers, decimals, NUL, over-long
text, UTC offsets PostgreSQL refuses, calendar ends, repeated and empty
values), tampered cursors, JSON bodies (deep nesting, over-size, invalid
UTF-8, NaN), multipart over-size, and Django's own error pages under /api/.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.urls import get_resolver
from rest_framework.test import APIClient

from config import filters as edge_filters
from config.filters import BaseFilterSet
from config.limits import CODE_PATTERN
from tests.factories import order_placed
from tests.test_role_matrix import _walk
from tests.tickets.conftest import open_ticket, order_a  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

ALLOWED_CONVERTERS = {"id", "code"}


def _routes():
    """(route, view class) of every /api/v1/ route."""
    found = []
    for route, callback in _walk(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if route.startswith("api/v1/") and cls is not None:
            found.append((route, cls))
    return found


ROUTES = _routes()
PARAM_ROUTES = [(r, c) for r, c in ROUTES if "<" in r]
LIST_ROUTES = [(r, c) for r, c in ROUTES if hasattr(c, "pagination_class") and hasattr(c, "get")]
FILTERED = [(r, c) for r, c in LIST_ROUTES if getattr(c, "filterset_class", None)]
POST_ROUTES = [(r, c) for r, c in ROUTES if hasattr(c, "post")]


def _fill(route: str, **values) -> str:
    def one(match):
        converter, name = match.group(1), match.group(2)
        return values.get(name, values.get(converter, "1"))

    return "/" + re.sub(r"<(\w+):(\w+)>", one, route)


def _shape(response) -> dict:
    assert response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) >= {"code", "detail"}, body
    return body


@pytest.fixture
def clients(merchant, support, storefront, reviewer):
    made = []
    for user in (merchant, support, storefront, reviewer):
        client = APIClient()
        client.force_authenticate(user)
        made.append(client)
    return made


def test_every_api_route_uses_the_edge_converters():
    """Every path parameter of the API goes through the ``id`` or ``code``
    converter (config.converters): no ``str``, ``int``, ``slug`` or ``path``."""
    bad = [
        (route, conv)
        for route, _cls in ROUTES
        for conv in re.findall(r"<(\w+):\w+>", route) + re.findall(r"<(\w+)>", route)
        if conv not in ALLOWED_CONVERTERS
    ]
    assert not bad
    assert PARAM_ROUTES


def test_every_list_filterset_is_a_base_filterset():
    """Every list's FilterSet derives from ``config.filters.BaseFilterSet``
    (which refuses filter types outside config.filters at class creation)."""
    assert FILTERED
    assert all(issubclass(cls.filterset_class, BaseFilterSet) for _r, cls in FILTERED)


@pytest.mark.parametrize(
    "value",
    ["%00", "a%01b", "x" * 33, "99999999999999999999", "0", "-1", "%E2%80%AE", "a.b"],
    ids=["nul", "control", "over_long", "huge", "zero", "negative", "bidi", "dot"],
)
@pytest.mark.parametrize("route,cls", PARAM_ROUTES, ids=[r for r, _c in PARAM_ROUTES])
def test_path_parameter_attacks_answer_404_in_the_error_shape(route, cls, value, clients):
    """A path parameter no id or code can be answers 404 ``not_found`` (JSON),
    for every verb the route serves and every role."""
    for converter in ("id", "code"):
        if f"<{converter}:" not in route:
            continue
        if converter == "code" and re.fullmatch(CODE_PATTERN, value):
            continue  # a well-formed code: the view decides (400 on a body, 404 if missing)
        url = _fill(route, **{converter: value})
        for client in clients:
            for verb in ("get", "post"):
                if not hasattr(cls, verb):
                    continue
                response = getattr(client, verb)(url)
                assert response.status_code in (403, 404), (url, verb, response.status_code)
                _shape(response)


def _filter_attacks(filter_) -> list[tuple[str, tuple[int, ...]]]:
    """(value, accepted statuses) per filter type."""
    common = [("", (400,))]
    if isinstance(filter_, edge_filters.IdFilter):
        return common + [
            ("99999999999999999999", (400,)),
            ("9" * 5000, (400,)),
            ("1.5", (400,)),
            ("0", (400,)),
            ("1e3", (400,)),
            ("%00", (400,)),
        ]
    if isinstance(filter_, edge_filters.NumberFilter):
        return common + [("NaN", (400,)), ("1e999999", (400,)), ("Infinity", (400,)), ("5", (200,))]
    if isinstance(filter_, edge_filters.DateTimeFilter):
        return common + [
            ("2026-01-01T00:00:00+23:00", (200,)),
            ("2026-01-01T00:00:00-23:59", (200,)),
            ("0001-01-01T00:00:00+23:00", (200,)),
            ("9999-12-31T23:59:59-23:00", (200,)),
            ("2026-12-31T23:59:60Z", (200,)),
            ("2026-13-01T00:00:00Z", (400,)),
            ("yesterday", (400,)),
            ("2026-01-01T00:00:00\x00", (400,)),
        ]
    if isinstance(filter_, edge_filters.DateFilter):
        return common + [("0001-01-01", (200,)), ("9999-12-31", (200,)), ("2026-02-30", (400,)), ("x", (400,))]
    if isinstance(filter_, edge_filters.BooleanFilter):
        return common + [("maybe", (400,)), ("true", (200,)), ("false", (200,))]
    if isinstance(filter_, edge_filters.ChoiceFilter):
        return common + [("no_such_choice", (400,)), ("\x00", (400,))]
    # TextFilter, CodeFilter
    return common + [("\x00", (400,)), ("a\x01b", (400,)), ("x" * 5000, (400,)), ("%ED%A0%80", (200, 400))]


FILTER_CASES = [
    (route, name, value, statuses)
    for route, cls in FILTERED
    for name, filter_ in cls.filterset_class.base_filters.items()
    for value, statuses in _filter_attacks(filter_)
]


@pytest.mark.parametrize(
    "route,name,value,statuses", FILTER_CASES, ids=[f"{r}?{n}#{i}" for i, (r, n, _v, _s) in enumerate(FILTER_CASES)]
)
def test_filter_values_never_500(route, name, value, statuses, merchant, reviewer, api, shop_a):
    """Every filter of every list, fed the values its type must refuse or
    normalise: the answer is the expected one, a 400 in the error shape with
    the filter named, never a 500 (on PostgreSQL too: offsets beyond ±15:59,
    years 1 and 9999 at extreme offsets, huge integers)."""
    order_placed(shop=shop_a)
    from urllib.parse import quote

    url = _fill(route) + f"?{name}={quote(value, safe='%')}"
    user = merchant if api(merchant).get(_fill(route)).status_code == 200 else reviewer
    response = api(user).get(url)
    assert response.status_code in statuses, (url, response.status_code, response.content[:300])
    if response.status_code == 400:
        assert name in _shape(response)["errors"]


@pytest.mark.parametrize("route,cls", FILTERED, ids=[r for r, _c in FILTERED])
def test_a_filter_given_twice_is_refused(route, cls, merchant, reviewer, api):
    """``?f=a&f=b`` is a 400 naming the filter, not "the last one wins"."""
    name = next(iter(cls.filterset_class.base_filters))
    user = merchant if api(merchant).get(_fill(route)).status_code == 200 else reviewer
    response = api(user).get(_fill(route) + f"?{name}=1&{name}=2")
    assert response.status_code == 400
    assert name in _shape(response)["errors"]


def _cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


TAMPERED = [
    _cursor("p=abc"),
    _cursor("p=99999999999999999999"),
    _cursor("p=1.5"),
    _cursor("p=%00"),
    _cursor("p=2026-01-01 00:00:00+23:00&r=1"),
    _cursor("p=0001-01-01T00:00:00%2B23:00"),
    _cursor("o=99999999999999999999&r=9999999999999999999999"),
    "!!not-base64!!",
    "%00",
    "x" * 600,
]


@pytest.mark.parametrize("cursor", TAMPERED, ids=[f"cursor{i}" for i in range(len(TAMPERED))])
@pytest.mark.parametrize("route,cls", LIST_ROUTES, ids=[r for r, _c in LIST_ROUTES])
def test_tampered_cursor_never_500(route, cls, cursor, merchant, reviewer, api, shop_a):
    """A tampered cursor on every list answers 404 "Invalid cursor" in the
    error shape (or the page, when the position is a valid one), never a 500."""
    order_placed(shop=shop_a)
    from urllib.parse import quote

    for user in (merchant, reviewer):
        response = api(user).get(_fill(route) + "?cursor=" + quote(cursor, safe="%"))
        assert response.status_code in (200, 403, 404), (route, cursor, response.status_code, response.content[:200])
        if response.status_code == 404:
            _shape(response)


def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("route,cls", POST_ROUTES, ids=[r for r, _c in POST_ROUTES])
def test_hostile_json_bodies_answer_4xx_in_the_error_shape(route, cls, clients, settings):
    """Every POST route, as every role: a 2 KB deeply nested body, a body over
    the size limit, invalid UTF-8 and NaN answer 400/413 (or the role's
    401/403/404), never a 500 (RecursionError) nor HTML."""
    settings.API_JSON_MAX_BYTES = 64 * 1024
    url = _fill(route)
    bodies = [
        (_deep(1000), 400),
        (b'{"a": "' + b"x" * (65 * 1024) + b'"}', 413),
        (b'{"a": "\xff\xfe"}', 400),
        (b'{"a": NaN}', 400),
        (b'{"a": ' + b"9" * 5000 + b"}", 400),
    ]
    for client in clients:
        for body, expected in bodies:
            response = client.generic("POST", url, body, content_type="application/json")
            assert response.status_code in (expected, 403, 404), (url, response.status_code, response.content[:200])
            _shape(response)


def test_deeply_nested_body_needs_no_credentials_to_be_refused(client):
    """The token endpoint parses before any login: a 2 KB nested body is a 400
    ``parse_error``, not a RecursionError."""
    response = client.post("/api/v1/auth/token/", _deep(1000), content_type="application/json")
    assert response.status_code == 400
    assert _shape(response)["code"] == "parse_error"


def test_nesting_within_the_limit_is_parsed(client):
    """Nesting up to API_JSON_MAX_DEPTH still parses (the field errors follow)."""
    body = json.dumps({"username": "x", "password": "y", "extra": [[[["deep"]]]]})
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert _shape(response)["code"] == "invalid_credentials"


def test_oversize_multipart_answers_413_in_the_error_shape(merchant, api, settings, order_a, open_ticket):  # noqa: F811
    """A multipart body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django's own guard)
    answers 413 ``request_too_large`` as JSON, not Django's HTML 400 page."""
    ticket_no = open_ticket(order_a)["ticket_no"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api(merchant).post(f"/api/v1/tickets/{ticket_no}/reply/", {"message": "x" * 5000}, format="multipart")
    assert response.status_code == 413
    assert _shape(response)["code"] == "request_too_large"


def test_unhandled_error_under_api_is_json(merchant, monkeypatch):
    """An unhandled exception in an API view answers 500 ``server_error`` as
    JSON (handler500), not Django's HTML page; the admin keeps its page."""
    from orders import selectors

    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "shops_visible_to", broken)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(merchant)
    response = client.get("/api/v1/shops/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "server_error"


def test_unknown_api_path_is_json_404(client):
    """An unmatched path under /api/ answers 404 in the error shape."""
    response = client.get("/api/v1/no-such-thing/%00/")
    assert response.status_code == 404
    assert _shape(response)["code"] == "not_found"
