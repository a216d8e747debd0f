"""The fee a practice may ask for a manifestly unfounded or excessive request (GDPR art. 12(5)):
a reasonable amount based on administrative costs, with the reasons the practice must be able
to show (the burden of proof is the practice's)."""

from decimal import Decimal, InvalidOperation

# A ceiling against typing errors and unreasonable amounts: a fee covers the administrative
# costs of one request, which for a GP practice are tens of euros, not hundreds.
FEE_MAXIMUM = Decimal("100.00")
CENT = Decimal("0.01")


def as_amount(value) -> Decimal | None:
    """The amount in euros as a Decimal with cents, or None when it is not a finite number."""
    if isinstance(value, float | bool):  # floats lose cents; a bool is no amount
        return None
    try:
        amount = Decimal(str(value).strip())
        if not amount.is_finite() or amount != amount.quantize(CENT):
            return None  # no fractions of a cent
        return amount.quantize(CENT)
    except (InvalidOperation, ValueError):  # not a number, or too large to have cents
        return None


def problem(amount, justification: str, cost_basis: str) -> str:
    """Why this fee cannot be asked, or "" when it can."""
    value = as_amount(amount)
    if value is None or value <= 0 or value > FEE_MAXIMUM:
        return f"a fee is an amount in euros above 0 and at most {FEE_MAXIMUM}"
    if not (justification or "").strip():
        return "say why the request is manifestly unfounded or excessive"
    if not (cost_basis or "").strip():
        return "say how the amount follows the administrative costs"
    return ""
