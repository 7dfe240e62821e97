"""Copies of public schemas and real platform payloads the tests read (see README.md)."""

from pathlib import Path

DATA = Path(__file__).resolve().parent
SCHEMAS = DATA / "schemas"
FIXTURES = DATA / "fixtures"
