"""Routers: ``pages`` (HTML shells, login) and ``api`` (JSON under /api/v1)."""
