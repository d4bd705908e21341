"""The evidence behind ontrack, apart from the suite users run: benchmarks (``make bench``,
``make bench-scale``), the forecast's evaluation on real series and synthetic worlds (``make
evaluate``), and the generators of sample and synthetic projects the tests and benchmarks use.

It lives beside the package in the checkout (``lib/ontrack_evidence``) and is not in the wheel:
nothing in :mod:`ontrack` imports it. The Makefile and the tests put ``lib`` on the path.
"""
