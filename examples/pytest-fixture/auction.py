# auction.py: a small sealed-bid auction server (Flask on werkzeug) that the
# pytest fixture in conftest.py starts as a subprocess; port 0, prints its URL.
"""POST /bids {"bidder": NAME, "amount": N} places or raises a bid; GET /result
names the winner, who pays the second-highest bid (or the reserve price)."""
import sys

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

RESERVE = 10
app = Flask(__name__)
bids = {}


@app.get("/health")
def health():
    return jsonify(status="ok")


@app.post("/bids")
def place_bid():
    data = request.get_json(silent=True) or {}
    bidder, amount = data.get("bidder"), data.get("amount")
    if not isinstance(bidder, str) or not bidder:
        return jsonify(error="name the bidder"), 400
    if type(amount) is not int or amount < RESERVE:
        return jsonify(error=f"a bid is a whole number of at least {RESERVE}"), 400
    if amount <= bids.get(bidder, 0):
        return jsonify(error="a bidder can only raise a bid"), 409
    bids[bidder] = amount
    return jsonify(bidder=bidder, amount=amount), 201


@app.get("/result")
def result():
    if not bids:
        return jsonify(error="no bids yet"), 404
    ranked = sorted(bids.items(), key=lambda kv: kv[1], reverse=True)
    price = ranked[1][1] if len(ranked) > 1 else RESERVE
    return jsonify(winner=ranked[0][0], price=price)


def main():
    server = make_server("127.0.0.1", 0, app)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
