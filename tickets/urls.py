from django.urls import path

from . import apis

urlpatterns = [
    path("tickets/", apis.TicketListApi.as_view(), name="ticket-list"),
    path("tickets/<str:ticket_no>/", apis.TicketDetailApi.as_view(), name="ticket-detail"),
    path("tickets/<str:ticket_no>/reply/", apis.TicketReplyApi.as_view(), name="ticket-reply"),
    path(
        "tickets/<str:ticket_no>/evidence/<int:evidence_id>/", apis.TicketEvidenceApi.as_view(), name="ticket-evidence"
    ),
    path("tickets/<str:ticket_no>/approve/", apis.TicketApproveApi.as_view(), name="ticket-approve"),
    path("tickets/<str:ticket_no>/reject/", apis.TicketRejectApi.as_view(), name="ticket-reject"),
]
