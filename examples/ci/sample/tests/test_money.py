import pytest

from ledger.money import format_amount, parse_amount


def test_parse():
    assert parse_amount("12.34") == 1234
    assert parse_amount("-5") == -500
    assert parse_amount("0.5") == 50


def test_parse_rejects():
    with pytest.raises(ValueError):
        parse_amount("1.234")


def test_format():
    assert format_amount(-1234) == "-12.34"
