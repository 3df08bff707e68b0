"""Alembic migrations of the registry's own tables (registry/store/schema.py).

Shipped as package data: an installed package finds them beside this file."""

from pathlib import Path

SCRIPT_LOCATION = Path(__file__).resolve().parent

# The newest revision's id. Bump it with every new revision: a worker starting on a
# database already at HEAD skips Alembic (registry.store.migrate.is_at_head), and
# tests/integration/test_migrations.py fails if it is not Alembic's head.
HEAD = "0008"
