"""The storage layer's one error for operators."""


class StorageError(Exception):
    """The database cannot be used; the message says why and what to do, in one line."""
