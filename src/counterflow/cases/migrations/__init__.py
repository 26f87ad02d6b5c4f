"""Alembic migrations of the case store, run by :mod:`counterflow.cases.db` (no alembic.ini).

Each file in ``versions/`` brings the schema one revision forward. A new one is written by hand
from ``script.py.mako`` (revision ids are four digits, in order: ``0002``, ``0003``…) and checked
by ``tests/cases/test_db.py``, which compares the migrated schema with the ORM models.
"""
