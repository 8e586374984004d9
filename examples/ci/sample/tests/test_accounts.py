import pytest

from ledger.accounts import Account, Overdrawn, transfer


def test_transfer():
    a, b = Account("a", 1000), Account("b")
    transfer(a, b, 400)
    assert (a.balance, b.balance) == (600, 400)


def test_overdrawn():
    with pytest.raises(Overdrawn):
        Account("a").withdraw(1)
