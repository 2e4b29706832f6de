"""Benchmark scripts (run as ``python -m benchmarks.<name>``); a package so that it wins over
the unrelated top-level ``benchmarks`` package pysbd installs into site-packages."""
