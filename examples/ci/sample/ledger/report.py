"""A statement of accounts, one line each, largest balance first."""
from ledger.money import format_amount


def statement(accounts):
    lines = []
    for account in sorted(accounts, key=lambda a: -a.balance):
        lines.append(f"{account.name:<10} {format_amount(account.balance):>10}")
    if not lines:
        return "no accounts"
    total = sum(a.balance for a in accounts)
    lines.append(f"{'total':<10} {format_amount(total):>10}")
    return "\n".join(lines)
