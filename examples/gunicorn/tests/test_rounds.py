# test_rounds.py: system tests of POST /round and GET /health on the live
# scorer: one round of Price War per request, and the 400s for broken moves.
import pytest
import requests


def test_health_names_a_worker(api):
    answer = requests.get(api.url + "/health", timeout=30)
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["pid"] > 0


def test_equal_prices_split_the_market(api):
    r = api("/round", {"a": {"price": 10}, "b": {"price": 10}}).json()
    assert r == {"a": {"units": 50, "profit": 300},
                 "b": {"units": 50, "profit": 300}, "events": []}


def test_undercutting_wins_customers(api):
    r = api("/round", {"a": {"price": 8}, "b": {"price": 12}}).json()
    assert r["events"] == ["a undercuts"]
    assert r["a"]["units"] > r["b"]["units"]
    assert r["a"]["units"] + r["b"]["units"] == 100


def test_advertising_pulls_customers(api):
    r = api("/round", {"a": {"price": 10}, "b": {"price": 10, "ads": 50}}).json()
    assert r["b"]["units"] == 60
    assert r["b"]["profit"] == 60 * 6 - 50


def test_cartel_is_fined(api):
    r = api("/round", {"a": {"price": 20}, "b": {"price": 20}}).json()
    assert r["events"] == ["cartel"]
    assert r["a"]["profit"] == 50 * 16 - 150


def test_price_war(api):
    r = api("/round", {"a": {"price": 4}, "b": {"price": 5}}).json()
    assert r["events"] == ["price war"]
    assert r["a"]["profit"] == 0


@pytest.mark.parametrize("move, reason", [
    ("cheap", "a: a move is an object"),
    ({"price": 9.5}, "a: price must be an integer"),
    ({"price": 3}, "a: price must be from 4 to 20"),
    ({"price": 9, "ads": -1}, "a: ads must be a whole number"),
])
def test_broken_moves_are_refused(api, move, reason):
    answer = api("/round", {"a": move, "b": {"price": 9}})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(reason)


def test_not_json_is_refused(api):
    answer = requests.post(api.url + "/round", data="price=9", timeout=30)
    assert answer.status_code == 400
    assert answer.json() == {"error": "send a JSON object"}
