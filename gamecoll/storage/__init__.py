"""File storage behind one small interface (`Storage`); `LocalStorage` keeps files on disk."""

from gamecoll.storage.base import (
    Storage,
    StorageError,
    StorageFull,
    StorageNotFound,
    StorageUnavailable,
    StoredFile,
)
from gamecoll.storage.local import LocalFile, LocalStorage, validate_key

__all__ = [
    "LocalFile",
    "LocalStorage",
    "Storage",
    "StorageError",
    "StorageFull",
    "StorageNotFound",
    "StorageUnavailable",
    "StoredFile",
    "validate_key",
]
