# web.py: the HTTP API of the Price War scorer (Flask). gunicorn serves
# scorer.web:app; every answer is JSON, a broken request gets a 400.
import os

from flask import Flask, jsonify, request

from scorer.game import MoveError, play_match, score_round

app = Flask(__name__)


@app.get("/health")
def health():
    """Readiness check; names the worker that answered."""
    return jsonify(status="ok", pid=os.getpid())


def body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise MoveError("send a JSON object")
    return data


@app.post("/round")
def round_():
    data = body()
    return jsonify(score_round(data.get("a"), data.get("b")))


@app.post("/match")
def match():
    data = body()
    return jsonify(play_match(data.get("rounds"), data.get("cash", 100)))


@app.errorhandler(MoveError)
def bad_move(err):
    return jsonify(error=str(err)), 400
