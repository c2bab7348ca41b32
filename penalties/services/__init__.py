"""Writes of the penalties app (rules P1–P8, R1). Tasks, admin and API call these."""

from .appeals import appeal_approve, appeal_file, appeal_reject, appeal_window_closes_at
from .autoclose import orders_auto_close_run
from .deductions import deductions_preview, deductions_run
from .jobs import job_run, job_run_claim
from .judgement import judgement_turn_resume, violations_judge
from .ledger import deposit_adjust, deposit_reverse, deposit_top_up
from .ratings import rating_window, ratings_compute
from .sanctions import shop_clear, shop_lift, shop_sanction, shop_suspend
from .topups import four_eyes_limit, needs_second_reviewer, top_up_approve, top_up_reject, top_up_request

__all__ = [
    "judgement_turn_resume",
    "appeal_approve",
    "appeal_file",
    "appeal_reject",
    "appeal_window_closes_at",
    "deductions_preview",
    "deductions_run",
    "deposit_adjust",
    "deposit_reverse",
    "deposit_top_up",
    "job_run",
    "job_run_claim",
    "orders_auto_close_run",
    "rating_window",
    "ratings_compute",
    "shop_clear",
    "shop_lift",
    "shop_sanction",
    "shop_suspend",
    "violations_judge",
    "four_eyes_limit",
    "needs_second_reviewer",
    "top_up_approve",
    "top_up_reject",
    "top_up_request",
]
