# game.py: the rules of Price War. Two firms share a market each round: the
# cheaper one and the one that advertises more sell more; a match adds rounds up.
"""Each round both firms pick a price and an advertising budget. They share
MARKET units: price and advertising weigh each firm's share. Profit is units
times margin, less advertising. Both at the top price is a cartel and is
fined; both near cost is a price war. A firm whose cash drops below zero
goes bankrupt and the match ends early."""

UNIT_COST = 4
MAX_PRICE = 20
MARKET = 100
CARTEL_FINE = 150
MAX_ROUNDS = 50


class MoveError(ValueError):
    """A move or a match that breaks the rules; the web layer answers 400."""


def check_move(move, who):
    """Return (price, ads) from a move such as {"price": 9, "ads": 10}."""
    if not isinstance(move, dict):
        raise MoveError(f"{who}: a move is an object with a price")
    price, ads = move.get("price"), move.get("ads", 0)
    if type(price) is not int:
        raise MoveError(f"{who}: price must be an integer")
    if not UNIT_COST <= price <= MAX_PRICE:
        raise MoveError(f"{who}: price must be from {UNIT_COST} to {MAX_PRICE}")
    if type(ads) is not int or ads < 0:
        raise MoveError(f"{who}: ads must be a whole number, 0 or more")
    return price, ads


def weight(price, ads, other_price):
    """A firm's pull on customers: undercutting and advertising both help."""
    pull = other_price / price
    if ads > 0:
        pull *= 1 + min(ads, 100) / 100
    return pull


def score_round(a, b):
    """Score one round; a and b are moves. Returns units, profit and events."""
    (pa, ads_a), (pb, ads_b) = check_move(a, "a"), check_move(b, "b")
    wa, wb = weight(pa, ads_a, pb), weight(pb, ads_b, pa)
    units_a = round(MARKET * wa / (wa + wb))
    units_b = MARKET - units_a
    profit_a = units_a * (pa - UNIT_COST) - ads_a
    profit_b = units_b * (pb - UNIT_COST) - ads_b
    events = []
    if pa == pb == MAX_PRICE:
        events.append("cartel")
        profit_a -= CARTEL_FINE
        profit_b -= CARTEL_FINE
    elif pa <= UNIT_COST + 1 and pb <= UNIT_COST + 1:
        events.append("price war")
    elif pa != pb:
        events.append("a undercuts" if pa < pb else "b undercuts")
    return {
        "a": {"units": units_a, "profit": profit_a},
        "b": {"units": units_b, "profit": profit_b},
        "events": events,
    }


def play_match(rounds, cash=100):
    """Play rounds in order from the same starting cash; name the winner."""
    if not isinstance(rounds, list) or not rounds:
        raise MoveError("a match is a non-empty list of rounds")
    if len(rounds) > MAX_ROUNDS:
        raise MoveError(f"a match has at most {MAX_ROUNDS} rounds")
    if type(cash) is not int or cash < 0:
        raise MoveError("cash must be a whole number, 0 or more")
    totals = {"a": cash, "b": cash}
    played, bankrupt = 0, []
    for rnd in rounds:
        if not isinstance(rnd, dict):
            raise MoveError(f"round {played + 1}: a round is an object with a and b")
        result = score_round(rnd.get("a"), rnd.get("b"))
        played += 1
        for firm in "ab":
            totals[firm] += result[firm]["profit"]
        bankrupt = [firm for firm in "ab" if totals[firm] < 0]
        if bankrupt:
            break
    if len(bankrupt) == 1:
        winner = "b" if bankrupt == ["a"] else "a"
    elif totals["a"] == totals["b"]:
        winner = "tie"
    else:
        winner = "a" if totals["a"] > totals["b"] else "b"
    return {
        "cash": totals,
        "rounds_played": played,
        "bankrupt": bankrupt,
        "winner": winner,
    }
