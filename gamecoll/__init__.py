"""gamecoll: self-hosted account and game-collection backend."""

__version__ = "0.1.0"
