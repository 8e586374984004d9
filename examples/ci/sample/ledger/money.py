"""Amounts of money as whole cents: parsing and formatting."""


def parse_amount(text):
    """'12.34' or '-5' as cents; ValueError for anything else."""
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("+-").partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 2:
        raise ValueError(f"not an amount: {text!r}")
    return sign * (int(whole) * 100 + int(frac.ljust(2, "0") or 0))


def format_amount(cents):
    """Cents as '12.34', with a minus sign when negative."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"
