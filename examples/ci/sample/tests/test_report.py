from ledger.accounts import Account
from ledger.report import statement


def test_statement():
    text = statement([Account("small", 5), Account("big", 12000)])
    assert text.splitlines()[0].startswith("big")
    assert text.splitlines()[-1].endswith("120.05")
