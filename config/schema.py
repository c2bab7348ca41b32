"""OpenAPI docs a merchant's developer can start from.

A drf-spectacular post-processing hook completes every operation: a
description, the error answers it can give (each with the shared error shape
and one example per machine ``code``), and request/response examples for the
calls people make first. Apps keep declaring their own ``@extend_schema``;
what they declare wins, this only fills gaps. The texts live here, keyed by
operationId, so ``config`` imports no app and the apps need no edit.
"""

from __future__ import annotations

import copy
import re

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a stable machine `code` and a human `detail` (in the caller's "
    "Accept-Language); 400 adds `errors` per field; 429 sends `Retry-After`.",
    "properties": {
        "code": {"type": "string", "example": "not_found"},
        "detail": {"type": "string", "example": "Not found."},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "required": ["code", "detail"],
}

STATUS_TEXT = {
    400: "Invalid input: `errors` names each field.",
    401: "No or bad `Authorization: Token …` header.",
    403: "Authenticated, but this role may not call it.",
    404: "Not found, or not one of your shops' (both answer the same).",
    409: "Not allowed in the current state.",
    429: "Rate limited; retry after `Retry-After` seconds.",
}

DETAILS = {
    "invalid": "Invalid input.",
    "not_authenticated": "Authentication credentials were not provided.",
    "permission_denied": "You do not have permission to perform this action.",
    "not_found": "Not found.",
    "throttled": "Request was throttled. Expected available in 42 seconds.",
    "invalid_credentials": "Unable to log in with the given credentials.",
    "locked_out": "Too many failed logins; try again later.",
    "invalid_idempotency_key": "Idempotency-Key must be 1–255 characters.",
    "idempotency_key_reused": "This Idempotency-Key was used with a different request body.",
    "not_paid": "The order is not paid yet.",
    "already_shipped": "The order is already shipped.",
    "order_cancelled": "The order is cancelled.",
    "order_closed": "The order is closed.",
    "not_shipped": "The order is not shipped.",
    "carrier_required": "A carrier is required.",
    "tracking_no_required": "A tracking number is required.",
    "cancellation_pending": "A cancellation request for this order is already pending.",
    "cancel_window_closed": "Cancellation is allowed only within 120 minutes after payment.",
    "cancel_daily_cap_reached": "This shop allows 3 cancellation requests per day; today's are used.",
    "invalid_reason": "Unknown cancellation reason.",
    "detail_required": "A reason of 'other' needs a detail.",
    "reason_required": "A reason is required to reject.",
    "cancellation_not_pending": "This request was already decided (approved).",
    "after_sale_not_allowed": "An after-sale needs a paid order that is still open.",
    "after_sale_pending": "An after-sale request for this order is already open.",
    "after_sale_not_pending": "This after-sale was already decided (approved).",
    "invalid_type": "Unknown after-sale type.",
    "unknown_shop": "Unknown shop.",
    "unknown_product": "Unknown product.",
    "message_required": "A message is required.",
    "ticket_closed": "The ticket is closed.",
    "ticket_in_review": "The ticket is waiting for support's review.",
    "not_shop_member": "Only a member of the ticket's shop may reply.",
    "agreed_close_not_allowed": "Tickets of type refund_query cannot be closed by an agreement.",
    "evidence_required": "Tickets of type product_complaint need at least one image.",
    "invalid_status": "Only a ticket in review can be approved; this one is pending.",
    "description_required": "A description is required.",
    "order_not_found": "No such order.",
    "unknown_service_type": "No such service type.",
    "service_type_inactive": "This service type is no longer offered.",
    "too_many_rows": "62000 rows match; one export holds at most 50000. Narrow the filters.",
    "export_rate_limited": "One export per minute: try again in 42 s.",
    "export_not_ready": "The export is not finished yet.",
    "verification_required": "Verify your phone first: POST /api/v1/auth/verify/send/, then /api/v1/auth/verify/.",
    "verification_rate_limited": "A code was sent less than a minute ago; try again in 42 s.",
    "verification_code_invalid": "The code is not correct (4 tries left).",
    "verification_code_expired": "This code has expired or was used up; ask for a new one.",
    "no_phone": "No phone is registered for this account.",
    "sms_failed": "The text message could not be sent; try again.",
    "appeal_exists": "This violation has already been appealed.",
    "appeal_window_closed": "Appeals are accepted within 7 days of the judgement (until 2026-03-11T10:01:00+08:00).",
    "appeal_not_pending": "This appeal was already decided (approved).",
    "too_many_images": "At most 4 images per appeal.",
}

ORDER_EXAMPLE = {
    "order_no": "2026112210304512345",
    "shop": 1,
    "status": "awaiting_shipment",
    "buyer_name": "张伟",
    "buyer_phone": "138****5678",
    "placed_at": "2026-11-22T10:30:45+08:00",
    "paid_at": "2026-11-22T10:33:45+08:00",
    "ship_by": "2026-11-24T10:33:45+08:00",
    "remaining_ship_seconds": 165600,
    "shipped_at": None,
    "carrier": "",
    "tracking_no": "",
    "in_after_sale": False,
    "logistics_abnormal": False,
    "total_amount": "268.00",
}
SHIPPED_EXAMPLE = {
    **ORDER_EXAMPLE,
    "status": "shipped",
    "remaining_ship_seconds": None,
    "shipped_at": "2026-11-22T15:02:10+08:00",
    "carrier": "SF",
    "tracking_no": "SF1234567890",
}
TICKET_EXAMPLE = {
    "ticket_no": "T2026112200012",
    "order_no": "2026112210304512345",
    "shop": 1,
    "service_type": "urge_shipment",
    "status": "in_review",
    "outcome": None,
    "handle_deadline": "2026-11-23T09:00:00+08:00",
    "remaining_seconds": None,
}
EXPORT_EXAMPLE = {
    "id": 42,
    "kind": "orders",
    "format": "csv",
    "status": "queued",
    "row_count": 1830,
    "rows_written": 0,
    "created_at": "2026-11-22T15:10:00+08:00",
    "finished_at": None,
    "error": "",
}

APPEAL_EXAMPLE = {
    "id": 3,
    "violation": 41,
    "order_no": "2026112210304512345",
    "shop": 1,
    "reason": "courier_delay",
    "detail": "快递员 20:00 才来揽收，见揽收记录截图",
    "status": "pending_review",
    "decision_note": "",
    "created_at": "2026-11-25T09:00:00+08:00",
    "review_due_at": "2026-11-27T09:00:00+08:00",
    "decided_at": None,
    "evidence": ["/api/v1/appeals/3/evidence/5/"],
}


def _page(item: dict) -> dict:
    return {
        "next": "https://backoffice.example.com/api/v1/…?cursor=cD0yMDI2LTExLTIy",
        "previous": None,
        "results": [item],
    }


# operationId → docs. ``errors``: {status: [codes]} this call can answer
# (401 is added to every authenticated call, 404 to every call on a path with
# an identifier). ``request`` / ``response``: examples.
DOCS: dict[str, dict] = {
    "v1_auth_token_create": {
        "description": "Exchange a username and password for an API token; send it as "
        "`Authorization: Token <token>` on every other call. Tokens do not expire; failed logins are "
        "throttled and locked out after repeated failures.",
        "errors": {400: ["invalid", "invalid_credentials"], 403: ["locked_out"], 429: ["throttled"]},
        "request": {"username": "merchant", "password": "demo-pass-123"},
        "response": {"token": "9c1f0e6a3b…d41"},
        "public": True,
    },
    "v1_shops_list": {"response": _page({"id": 1, "name": "西湖龙井茶叶旗舰店", "status": "active"})},
    "v1_orders_list": {
        "description": "Your shops' orders, newest first, cursor-paginated. Find one by `order_no`, by the "
        "buyer's full phone number (`phone`, exact; shown masked), by product name (`product`, "
        "substring), by status and placed time; `ship_due_within_hours=24` is the 24-hour shipping board.",
        "errors": {400: ["invalid"]},
        "response": _page(ORDER_EXAMPLE),
    },
    "v1_orders_retrieve": {"response": ORDER_EXAMPLE},
    "v1_orders_ship_create": {
        "description": "Upload the carrier and tracking number: the order becomes `shipped` (rule O3). "
        "Refused on unpaid, cancelled, closed or already shipped orders and while a cancellation "
        "request waits for review. Send an `Idempotency-Key` header to retry safely.",
        "errors": {
            400: ["invalid", "carrier_required", "tracking_no_required", "invalid_idempotency_key"],
            409: [
                "already_shipped",
                "order_cancelled",
                "order_closed",
                "not_paid",
                "cancellation_pending",
                "idempotency_key_reused",
            ],
        },
        "request": {"carrier": "SF", "tracking_no": "SF1234567890"},
        "response": SHIPPED_EXAMPLE,
    },
    "v1_orders_correct_tracking_create": {
        "description": "Correct the tracking number of a shipped order (a logged action, rule O3).",
        "errors": {400: ["invalid", "carrier_required", "tracking_no_required"], 409: ["not_shipped"]},
        "request": {"carrier": "YTO", "tracking_no": "YT9876543210", "note": "wrong label"},
    },
    "v1_orders_cancel_create": {
        "description": "Ask the platform to cancel an order (rules C1–C4): only within 2 hours after payment "
        "(or the shop's narrower window) and before shipping, with a reason; `other` needs a `detail`. "
        "A reviewer approves (order cancelled, buyer refunded in full) or rejects with a reason; you are "
        "notified either way. Send an `Idempotency-Key` header to retry safely.",
        "errors": {
            400: ["invalid", "invalid_reason", "detail_required", "invalid_idempotency_key"],
            409: [
                "cancel_window_closed",
                "cancellation_pending",
                "cancel_daily_cap_reached",
                "already_shipped",
                "order_cancelled",
                "order_closed",
                "not_paid",
                "idempotency_key_reused",
            ],
        },
        "request": {"reason": "out_of_stock", "detail": ""},
        "response": {
            "id": 7,
            "order_no": "2026112210304512345",
            "reason": "out_of_stock",
            "detail": "",
            "status": "pending_review",
            "requested_at": "2026-11-22T11:02:00+08:00",
            "decided_at": None,
        },
    },
    "v1_after_sales_list": {"errors": {400: ["invalid"]}},
    "v1_after_sales_approve_create": {
        "description": "Approve the buyer's after-sale request; a refund type issues the refund (rules A2, F1).",
        "errors": {409: ["after_sale_not_pending"]},
        "request": {"note": "退货已签收"},
    },
    "v1_after_sales_reject_create": {
        "description": "Reject the buyer's after-sale request with a reason (rule A2).",
        "errors": {400: ["invalid", "reason_required"], 409: ["after_sale_not_pending"]},
        "request": {"reason": "商品已签收超过7天"},
    },
    "v1_cancellations_list": {
        "description": "Reviewers: cancellation requests, filter `status=pending_review` for the queue."
    },
    "v1_cancellations_approve_create": {
        "description": "Reviewers: approve a pending cancellation: the order is cancelled and refunded in full to "
        "the original payment route (rules C3, F1, F2).",
        "errors": {403: ["permission_denied"], 409: ["cancellation_not_pending"]},
    },
    "v1_cancellations_reject_create": {
        "description": "Reviewers: reject a pending cancellation with a reason; the order is unchanged and the "
        "merchant is notified (rule C3).",
        "errors": {400: ["invalid", "reason_required"], 403: ["permission_denied"], 409: ["cancellation_not_pending"]},
        "request": {"reason": "库存充足，请按时发货"},
    },
    "v1_tickets_list": {"response": _page({**TICKET_EXAMPLE, "status": "pending", "remaining_seconds": 50400})},
    "v1_tickets_create": {
        "description": "Support staff: open a service ticket for an order on the buyer's behalf (rule T1). "
        "The merchant must handle it before `handle_deadline` (the type's SLA, 24 h by default).",
        "errors": {
            400: ["invalid", "description_required", "order_not_found", "unknown_service_type"],
            403: ["permission_denied"],
            409: ["service_type_inactive"],
        },
        "request": {"order_no": "2026112210304512345", "service_type": "urge_shipment", "description": "买家催发货"},
        "response": {**TICKET_EXAMPLE, "status": "pending", "remaining_seconds": 86400},
    },
    "v1_tickets_retrieve": {
        "description": "A ticket with its countdown (`remaining_seconds` while pending), replies and events.",
        "response": {**TICKET_EXAMPLE, "status": "pending", "remaining_seconds": 50400},
    },
    "v1_tickets_reply_create": {
        "description": "Handle a pending ticket (rule T2): your reply sends it to support's review (`in_review`); "
        "`agreed: true` records an agreement with the buyer and closes it directly on types that allow "
        "it. Types that need evidence take images as multipart `images`. Send an `Idempotency-Key` "
        "header to retry safely.",
        "errors": {
            400: ["invalid", "message_required", "evidence_required", "invalid_idempotency_key"],
            409: ["ticket_closed", "ticket_in_review", "agreed_close_not_allowed", "idempotency_key_reused"],
        },
        "request": {"message": "已联系快递，明天上午送达", "agreed": False},
        "response": TICKET_EXAMPLE,
    },
    "v1_tickets_approve_create": {
        "description": "Support staff: approve the merchant's handling; the ticket closes (rule T2).",
        "errors": {403: ["permission_denied"], 409: ["invalid_status"]},
    },
    "v1_tickets_reject_create": {
        "description": "Support staff: reject the merchant's handling with a reason; the ticket goes back to "
        "`pending` with a fresh deadline and the merchant is notified (rules T2, T5).",
        "errors": {400: ["invalid", "reason_required"], 403: ["permission_denied"], 409: ["invalid_status"]},
        "request": {"reason": "未提供物流单号截图，请补充"},
    },
    "v1_exports_create": {
        "description": "Start a background export of orders or tickets (rules X1–X3) with the same filters as "
        "the list. At most 50,000 rows (`too_many_rows` tells the count), one export per minute "
        "(`export_rate_limited`, with `Retry-After`). Poll the record: `rows_written` of `row_count` "
        "shows progress; download when `status` is `done`. Send an `Idempotency-Key` header to retry safely.",
        "errors": {
            400: ["invalid", "too_many_rows", "invalid_idempotency_key"],
            409: ["idempotency_key_reused"],
            429: ["export_rate_limited"],
        },
        "request": {"kind": "orders", "format": "csv", "filters": {"status": "awaiting_shipment", "shop": 1}},
        "response": EXPORT_EXAMPLE,
    },
    "v1_exports_retrieve": {"response": {**EXPORT_EXAMPLE, "status": "running", "rows_written": 1200}},
    "v1_exports_download_retrieve": {
        "description": "The export's file, for the user who made it. Rule K1: the file is handed over only to a "
        "login (this token, or this browser session) verified by phone in the last 10 minutes: "
        "`POST /api/v1/auth/verify/send/` texts a 6-digit code to your registered phone, "
        "`POST /api/v1/auth/verify/` with it verifies this login; without it the answer is 403 "
        "`verification_required`.",
        "errors": {403: ["verification_required"], 409: ["export_not_ready", "export_expired"]},
    },
    "v1_me_retrieve": {
        "description": "Who you are: username, your registered phone (masked), your roles and your shops.",
        "response": {
            "username": "merchant",
            "phone": "139****0004",
            "roles": ["merchant"],
            "shops": [{"id": 1, "name": "西湖龙井茶叶旗舰店", "role": "owner"}],
        },
    },
    "v1_auth_verify_send_create": {
        "description": "Rule K1: text a 6-digit code to your registered phone (valid 5 minutes; at most one "
        "a minute, `verification_rate_limited` with `Retry-After`; 409 `no_phone` without a registered phone).",
        "errors": {409: ["no_phone"], 429: ["verification_rate_limited"]},
        "request": {},
        "response": {"sent_to": "139****0004", "expires_at": "2026-11-25T09:05:00+08:00"},
    },
    "v1_auth_verify_create": {
        "description": "Rule K1: the code from the SMS marks this login (the token or session of this request, "
        "no other) verified for 10 minutes, enough to download exports. A wrong code is "
        "`verification_code_invalid` with `tries_left`; after 5 wrong tries, or after 5 minutes, the code "
        "is void (`verification_code_expired`): ask for a new one.",
        "errors": {400: ["invalid", "verification_code_invalid"], 409: ["verification_code_expired"]},
        "request": {"code": "384920"},
        "response": {"verified_until": "2026-11-25T09:12:00+08:00"},
    },
    "v1_violations_appeal_create": {
        "description": "Rule V1: appeal one of your shops' violations within 7 days of its judgement (the "
        "instant of the request counts), once per violation. `reason`: `courier_delay`, `platform_error`, "
        "`buyer_request`, `force_majeure` or `other` (needs `detail`). Evidence images go as multipart "
        "`evidence` files (at most 4, JPEG/PNG/WebP/GIF, 5 MB each). A reviewer decides within 48 h "
        "(`review_due_at`); you are notified either way.",
        "errors": {
            400: ["invalid", "detail_required", "too_many_images"],
            409: ["appeal_exists", "appeal_window_closed"],
        },
        "request": {"reason": "courier_delay", "detail": "快递员 20:00 才来揽收，见揽收记录截图"},
        "response": APPEAL_EXAMPLE,
    },
    "v1_appeals_list": {
        "description": "Appeals oldest first (merchants: your shops'; reviewers: all). "
        "`status=pending_review` is the reviewers' queue, each with its 48 h `review_due_at`.",
        "errors": {400: ["invalid"]},
        "response": _page(APPEAL_EXAMPLE),
    },
    "v1_appeals_retrieve": {"response": APPEAL_EXAMPLE},
    "v1_appeals_approve_create": {
        "description": "Reviewers: grant the appeal (rule V3), once however often it is sent: a charged "
        "deduction is given back by a reversal entry, a pending one is never charged, the violation no "
        "longer counts in the shop rating, and a product ban this order caused is lifted unless another "
        "order still justifies it. The merchant is notified.",
        "errors": {403: ["permission_denied"], 409: ["appeal_not_pending"]},
        "request": {"note": "快递公司确认揽收延误"},
        "response": {
            **APPEAL_EXAMPLE,
            "status": "approved",
            "decision_note": "快递公司确认揽收延误",
            "decided_at": "2026-11-26T10:00:00+08:00",
        },
    },
    "v1_appeals_reject_create": {
        "description": "Reviewers: refuse the appeal with a reason (required, rule V2); the merchant is notified.",
        "errors": {400: ["invalid", "reason_required"], 403: ["permission_denied"], 409: ["appeal_not_pending"]},
        "request": {"reason": "物流记录显示未预约揽收"},
    },
    "v1_notifications_list": {
        "description": "Your shops' in-site notifications, newest first; `unread=true` for the unread ones."
    },
    "v1_notifications_read_create": {"description": "Mark a notification read."},
    "v1_intake_orders_create": {
        "description": "Storefront: push a placed order. Without `paid_at` it waits as `pending_payment`.",
        "errors": {400: ["invalid", "unknown_shop", "unknown_product"], 403: ["permission_denied"]},
    },
    "v1_intake_orders_pay_create": {
        "description": "Storefront: the order was paid; it becomes `awaiting_shipment` and its ship deadline starts.",
        "errors": {403: ["permission_denied"], 409: ["order_cancelled", "order_closed", "already_shipped"]},
    },
    "v1_intake_orders_tracking_create": {
        "description": "Carrier: a tracking update for a shipped order (clears `logistics_abnormal`, rule O4).",
        "errors": {403: ["permission_denied"], 409: ["not_shipped"]},
    },
    "v1_intake_after_sales_create": {
        "description": "Storefront: the buyer opened an after-sale request (rule A1).",
        "errors": {
            400: ["invalid", "invalid_type", "invalid_reason"],
            403: ["permission_denied"],
            409: ["after_sale_not_allowed", "after_sale_pending"],
        },
    },
}

_PATH_PARAM = re.compile(r"\{[^}]+\}")


def _humanise(operation_id: str, method: str, path: str) -> str:
    if method == "get":
        return f"Read `{path}`." if _PATH_PARAM.search(path) else f"List `{path}`, newest first, cursor-paginated."
    return f"`{method.upper()} {path}`."


def _error_content(codes: list[str]) -> dict:
    examples = {
        code: {"summary": code, "value": {"code": code, "detail": DETAILS.get(code, code.replace("_", " ") + ".")}}
        for code in codes
    }
    if "invalid" in examples:
        examples["invalid"]["value"]["errors"] = {"field": ["This field is required."]}
    return {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "examples": examples}}


DEFAULT_CODES = {
    400: ["invalid"],
    401: ["not_authenticated"],
    403: ["permission_denied"],
    404: ["not_found"],
    409: ["invalid_status"],
    429: ["throttled"],
}


def postprocess(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: fill descriptions, error
    answers with examples, and request/response examples."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            docs = DOCS.get(operation.get("operationId", ""), {})
            if docs.get("description") and not operation.get("description"):
                operation["description"] = docs["description"]
            operation.setdefault("description", _humanise(operation.get("operationId", ""), method, path))

            responses = operation.setdefault("responses", {})
            wanted: dict[int, list[str]] = {}
            for status, codes in docs.get("errors", {}).items():
                wanted.setdefault(status, []).extend(codes)
            for status in list(responses):
                if str(status).isdigit() and int(status) >= 400:
                    wanted.setdefault(int(status), [])
            if not docs.get("public"):
                wanted.setdefault(401, [])
            if _PATH_PARAM.search(path):
                wanted.setdefault(404, [])
            for status, codes in sorted(wanted.items()):
                codes = list(dict.fromkeys(codes or DEFAULT_CODES.get(status, ["error"])))
                existing = responses.get(str(status), {})
                entry = {"description": existing.get("description") or STATUS_TEXT.get(status, "Error.")}
                entry["description"] += " Codes: " + ", ".join(f"`{c}`" for c in codes) + "."
                entry["content"] = _error_content(codes)
                if status == 429:
                    entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
                responses[str(status)] = entry
            codes_line = ", ".join(
                f"{status} " + "/".join(f"`{c}`" for c in dict.fromkeys(codes or DEFAULT_CODES.get(status, [])))
                for status, codes in sorted(wanted.items())
            )
            if codes_line and "**Errors:**" not in operation["description"]:
                operation["description"] += f"\n\n**Errors:** {codes_line}."

            if "request" in docs:
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    content["examples"] = {"example": {"value": copy.deepcopy(docs["request"])}}
            if "response" in docs:
                for status, response in responses.items():
                    if str(status).startswith("2"):
                        for content in response.get("content", {}).values():
                            content["examples"] = {"example": {"value": copy.deepcopy(docs["response"])}}
    return result


# --- Error answers every operation can give (reliability, schema fuzzing) ---
# The exception handler answers every error in one shape; this first hook
# declares, for every operation, each status its view can return: 400 (bad
# input, on operations that take any), 401 and 403 (every authenticated
# operation), 404 (path parameters: another shop's row or a missing one;
# lists: an invalid cursor), 429 (throttled operations). ``postprocess`` then
# adds the codes and examples to each. Answers a view declares are kept.

ERROR_DESCRIPTIONS = {
    "400": "invalid input (`errors` holds the field errors)",
    "401": "no or invalid credentials",
    "403": "not allowed for this role",
    "404": "not found, or not one of your shops' rows",
    "409": "not allowed in the current state",
    "429": "rate limited (see `Retry-After`)",
}

# Operations that are throttled (path prefix → statuses they add).
THROTTLED = ("/api/v1/auth/token/", "/api/v1/exports/")
PUBLIC = ("/api/v1/auth/token/",)


def _error(status: str) -> dict:
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def declare_error_responses(result, generator, request, public):
    """Add the error answers an operation can give and does not declare."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            params = operation.get("parameters", [])
            for param in params:
                if param.get("in") == "header" and param.get("name", "").lower() == "idempotency-key":
                    param["schema"] = {"type": "string", "minLength": 1, "maxLength": 255}
            wanted = set()
            if params or "requestBody" in operation:
                wanted.add("400")
            if not path.startswith(PUBLIC):
                wanted |= {"401", "403"}
            if any(p.get("in") == "path" for p in params) or any(p.get("name") == "cursor" for p in params):
                wanted.add("404")
            if path.startswith(THROTTLED) and method == "post":
                wanted.add("429")
            for status in sorted(wanted):
                if status not in responses:
                    responses[status] = _error(status)
                elif "content" not in responses[status]:
                    responses[status]["content"] = _error(status)["content"]
    return result


def english_schema_view():
    """``/api/schema/`` generated in English whatever ``Accept-Language`` or
    ``?lang=`` says, so names and enum labels (and a generated client's class
    names) are stable: no ``V1OrdersList状态``."""
    from django.utils import translation
    from drf_spectacular.views import SpectacularAPIView

    class EnglishSchemaView(SpectacularAPIView):
        def dispatch(self, request, *args, **kwargs):
            with translation.override("en"):
                response = super().dispatch(request, *args, **kwargs)
                response.render()  # lazy labels are rendered in English too
            return response

    return EnglishSchemaView.as_view()


# --- Limits the server enforces on free text in request bodies ---
# DRF's CharField refuses NUL (PostgreSQL cannot store it); the schema says so,
# so a client or fuzzer knows a NUL is invalid input, not a valid one refused.
BODY_TEXT_PATTERN = r"^[^\x00]*$"


def _publish_text_limits(schema) -> None:
    if isinstance(schema, list):
        for item in schema:
            _publish_text_limits(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not ({"enum", "format", "pattern", "$ref"} & schema.keys()):
        schema["pattern"] = BODY_TEXT_PATTERN
    for key in ("properties", "patternProperties"):
        for sub in (schema.get(key) or {}).values():
            _publish_text_limits(sub)
    for key in ("items", "additionalProperties", "oneOf", "anyOf", "allOf"):
        if isinstance(schema.get(key), dict | list):
            _publish_text_limits(schema[key])


def publish_text_limits(result, generator, request, public):
    """drf-spectacular hook: every free-text request field declares it takes no NUL."""
    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            _publish_text_limits(schema)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    _publish_text_limits(content.get("schema"))
    return result
