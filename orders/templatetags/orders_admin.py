"""Template tags for the orders admin: the change-list table of a ``FastRowsMixin``
admin, rendered by :mod:`orders.admin_list`."""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers, result_hidden_fields

from ..admin_list import fast_results

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html")
def fast_result_list(cl):
    """``{% result_list cl %}`` with the rows built by compiled columns."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(fast_results(cl)),
    }
