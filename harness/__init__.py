"""Tools shared by the tests and the benchmarks: a live `marja serve`, sample files made at run time.

Not part of the product (not in the wheel).
"""
