#!/usr/bin/env python
"""Load test of the dashboard API on 127.0.0.1: ``python scripts/loadtest.py WORKSPACE --clients 50 --seconds 60``.

Starts the dashboard on a free port, logs in, runs the clients and prints throughput, p50/p95/p99 latency and the
error count per route (see docs/reliability.md). Exit status 1 when a request failed or the overview/community p95
is over 300 ms.
"""

from qunkpi.reliability.loadtest import main

if __name__ == "__main__":
    raise SystemExit(main())
