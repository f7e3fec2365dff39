"""Realistic demo data: a year of private-domain community traces in the canonical layout."""

from qunkpi.demo.generator import default_end_month, generate

__all__ = ["default_end_month", "generate"]
