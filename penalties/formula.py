"""R1: the shop rating formula, the one place its weights live.

Over a rolling window of ``PLATFORM["RATING_WINDOW_DAYS"]`` (30) Asia/Shanghai
days ending with the rated day, for the orders **paid** in the window:

==========================  ==========================================================  ======
component                   numerator / denominator                                     weight
==========================  ==========================================================  ======
``overdue_shipment``        orders judged overdue (P1) / orders paid                    0.40
``merchant_cancellation``   orders cancelled on the merchant's request (C3) / paid      0.20
``quality_return``          orders with an after-sale for ``quality_issue`` (A2) / paid 0.20
``ticket_timeout``          tickets created in the window closed ``timed_out`` (T3)     0.20
                            / tickets created in the window and closed
==========================  ==========================================================  ======

``score = 100 × (1 − Σ weight × rate)``, rounded to 2 places, between 0 and
100 (a component with denominator 0 has rate 0). Each rating stores every
component with its numerator, denominator, rate and weight, and the merchant
API returns them beside the score.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

WEIGHTS: dict[str, Decimal] = {
    "overdue_shipment": Decimal("0.40"),
    "merchant_cancellation": Decimal("0.20"),
    "quality_return": Decimal("0.20"),
    "ticket_timeout": Decimal("0.20"),
}


def rate(numerator: int, denominator: int) -> Decimal:
    if not denominator:
        return Decimal("0")
    return Decimal(numerator) / Decimal(denominator)


def components(counts: dict[str, tuple[int, int]]) -> dict[str, dict]:
    """``counts``: component → (numerator, denominator)."""
    out = {}
    for name, weight in WEIGHTS.items():
        num, den = counts.get(name, (0, 0))
        out[name] = {
            "numerator": int(num),
            "denominator": int(den),
            "rate": str(rate(num, den).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)),
            "weight": str(weight),
        }
    return out


def score(counts: dict[str, tuple[int, int]]) -> Decimal:
    penalty = sum((WEIGHTS[name] * rate(*counts.get(name, (0, 0))) for name in WEIGHTS), Decimal("0"))
    value = Decimal("100") * (Decimal("1") - penalty)
    value = max(Decimal("0"), min(Decimal("100"), value))
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
