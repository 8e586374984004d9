"""Accounts that refuse to be overdrawn."""


class Overdrawn(Exception):
    pass


class Account:
    def __init__(self, name, balance=0):
        self.name = name
        self.balance = balance
        self.history = []

    def deposit(self, cents):
        if cents <= 0:
            raise ValueError("a deposit is positive")
        self.balance += cents
        self.history.append(cents)

    def withdraw(self, cents):
        if cents > self.balance:
            raise Overdrawn(f"{self.name}: {cents} > {self.balance}")
        self.balance -= cents
        self.history.append(-cents)


def transfer(source, target, cents):
    source.withdraw(cents)
    target.deposit(cents)
