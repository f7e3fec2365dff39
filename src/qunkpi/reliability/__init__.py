"""Reliability tooling (issue 10): the dashboard load-test driver and the summary of generated test cases."""
