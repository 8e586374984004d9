# test_auction.py: tests that talk HTTP to the auction server subprocess; the
# coverage report at the end shows auction.py's lines run in that process.
import requests


def bid(url, bidder, amount):
    return requests.post(url + "/bids", json={"bidder": bidder, "amount": amount},
                         timeout=30)


def test_no_result_before_bids(server):
    assert requests.get(server + "/result", timeout=30).status_code == 404


def test_a_single_bidder_pays_the_reserve(server):
    assert bid(server, "ada", 25).status_code == 201
    assert requests.get(server + "/result", timeout=30).json() == \
        {"winner": "ada", "price": 10}


def test_the_winner_pays_the_second_price(server):
    assert bid(server, "bob", 40).status_code == 201
    assert bid(server, "ada", 30).status_code == 201
    assert requests.get(server + "/result", timeout=30).json() == \
        {"winner": "bob", "price": 30}


def test_bad_bids_are_refused(server):
    assert bid(server, "", 50).status_code == 400
    assert bid(server, "cy", 5).status_code == 400
    assert bid(server, "bob", 40).status_code == 409
