"""Retrieval quality on a user's own questions (``marja eval``).

questions.py reads and validates a question set, rules.py decides whether a passage is a hit,
run.py asks every question of a collection (and compares two runs), metrics.py sums it up.
"""
