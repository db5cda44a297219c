"""PromiseKeeper: a personal ledger of the promises you make to people."""

__version__ = "0.1.0"
