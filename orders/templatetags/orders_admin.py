"""Template tags for the orders admin: the change-list table of the order
list, rendered by :mod:`orders.admin_list`."""

from __future__ import annotations

from django import template
from django.contrib.admin.templatetags.admin_list import result_hidden_fields
from unfold.templatetags.unfold_list import result_headers

from ..admin_list import fast_results

register = template.Library()


@register.inclusion_tag("admin/change_list_results.html", takes_context=True)
def fast_result_list(context, cl):
    """The theme's ``{% unfold_result_list cl %}`` (same context) with the rows
    built by compiled columns."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(fast_results(cl)),
        "actions_row": context.get("actions_row"),
        "has_add_permission": cl.model_admin.has_add_permission(context["request"]),
    }
