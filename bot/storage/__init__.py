"""SQLite storage: one connection owner, numbered migrations, one repository per aggregate."""

from bot.storage.database import Database, StorageError
from bot.storage.migrations import MIGRATIONS_DIR, Migration, load_migrations

__all__ = ["MIGRATIONS_DIR", "Database", "Migration", "StorageError", "load_migrations"]
