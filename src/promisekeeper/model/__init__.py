"""The model: the ledger's nouns (promise, person, typed events) and the fold of a history.

No I/O and no policy: every other layer imports it, and it imports nothing of theirs.
"""
