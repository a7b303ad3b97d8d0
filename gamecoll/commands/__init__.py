"""Command-line commands (`python -m gamecoll ...`), one module per command group."""
