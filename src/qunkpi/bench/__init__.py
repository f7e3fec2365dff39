"""Benchmarks: ``qunkpi bench`` times each step of the pipeline in its own process (wall time and peak RSS)."""
