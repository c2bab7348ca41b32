"""Issue 15 point 6: the admin's 403/404/500 pages are in the platform's
language (zh-hans; English for an English browser) and lead back to the
workbench, never Django's bare English pages."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils import translation

from config import handlers

pytestmark = pytest.mark.django_db


def test_w15_admin_404_and_403_pages_in_chinese(client, support, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(support)
    missing = client.get("/admin/orders/nosuchpage/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert missing.status_code == 404
    assert "这个页面不存在" in missing.content.decode() and 'href="/admin/"' in missing.content.decode()
    denied = client.get("/admin/penalties/violation/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert denied.status_code == 403
    html = denied.content.decode()
    assert "您没有权限打开这个页面" in html and "403 Forbidden" not in html


def test_w15_500_page_in_chinese_and_in_english():
    request = RequestFactory().get("/admin/")
    with translation.override("zh-hans"):
        assert "出错了" in handlers.server_error(request).content.decode()
    with translation.override("en"):
        assert "Something went wrong" in handlers.server_error(request).content.decode()


def test_w15_403_page_for_an_english_browser():
    request = RequestFactory().get("/admin/penalties/violation/")
    with translation.override("en"):
        html = handlers.permission_denied(request, PermissionDenied()).content.decode()
    assert "You may not open this page" in html
