"""File storage behind one small interface (`Storage`): on the local disk or in an S3 bucket."""

from gamecoll.storage.base import (
    FileInfo,
    Storage,
    StorageError,
    StorageFull,
    StorageNotFound,
    StorageUnavailable,
    StoredFile,
)
from gamecoll.storage.keys import validate_key
from gamecoll.storage.local import LocalStorage
from gamecoll.storage.local_file import LocalFile

__all__ = [
    "FileInfo",
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
