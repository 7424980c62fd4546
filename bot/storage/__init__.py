"""Storage: one connection owner per process (SQLite or PostgreSQL), numbered migrations per
dialect, one repository per aggregate."""

from bot.storage.database import Database, StorageError
from bot.storage.location import DatabaseLocation, PostgresLocation, SQLiteLocation
from bot.storage.migrations import MIGRATIONS_DIR, Migration, load_migrations

__all__ = [
    "MIGRATIONS_DIR",
    "Database",
    "DatabaseLocation",
    "Migration",
    "PostgresLocation",
    "SQLiteLocation",
    "StorageError",
    "load_migrations",
]
