"""Command-line commands of `python -m gamecoll`."""
