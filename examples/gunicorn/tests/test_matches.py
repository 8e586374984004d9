# test_matches.py: system tests of POST /match on the live scorer: winners,
# ties, bankruptcy ending a match early, and the 400s for broken matches.
import pytest

HIGH = {"price": 14}
LOW = {"price": 9}


def test_the_richer_firm_wins(api):
    r = api("/match", {"rounds": [{"a": LOW, "b": HIGH}] * 3}).json()
    assert r["rounds_played"] == 3
    assert r["cash"]["a"] > r["cash"]["b"]
    assert r["winner"] == "a"
    assert r["bankrupt"] == []


def test_mirror_moves_tie(api):
    r = api("/match", {"rounds": [{"a": LOW, "b": HIGH}, {"a": HIGH, "b": LOW}]}).json()
    assert r["winner"] == "tie"
    assert r["cash"]["a"] == r["cash"]["b"]


def test_bankruptcy_ends_the_match(api):
    burn = {"price": 5, "ads": 100}
    rounds = [{"a": burn, "b": LOW}] * 5
    r = api("/match", {"rounds": rounds, "cash": 10}).json()
    assert r["bankrupt"] == ["a"]
    assert r["winner"] == "b"
    assert r["rounds_played"] == 1


@pytest.mark.parametrize("payload, reason", [
    ({"rounds": []}, "a match is a non-empty list"),
    ({"rounds": [{"a": LOW, "b": LOW}] * 51}, "a match has at most 50 rounds"),
    ({"rounds": [{"a": LOW, "b": LOW}], "cash": -5}, "cash must be a whole number"),
    ({"rounds": ["a wins"]}, "round 1: a round is an object"),
    ({"rounds": [{"a": LOW, "b": {"price": 99}}]}, "b: price must be from 4 to 20"),
])
def test_broken_matches_are_refused(api, payload, reason):
    answer = api("/match", payload)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(reason)
