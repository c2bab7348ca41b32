from django.urls import path

import config.converters  # noqa: F401  (registers the id and code converters)

from . import apis

urlpatterns = [
    path("tickets/", apis.TicketListApi.as_view(), name="ticket-list"),
    path("tickets/<code:ticket_no>/", apis.TicketDetailApi.as_view(), name="ticket-detail"),
    path("tickets/<code:ticket_no>/reply/", apis.TicketReplyApi.as_view(), name="ticket-reply"),
    path(
        "tickets/<code:ticket_no>/evidence/<id:evidence_id>/", apis.TicketEvidenceApi.as_view(), name="ticket-evidence"
    ),
    path("tickets/<code:ticket_no>/approve/", apis.TicketApproveApi.as_view(), name="ticket-approve"),
    path("tickets/<code:ticket_no>/reject/", apis.TicketRejectApi.as_view(), name="ticket-reject"),
]
