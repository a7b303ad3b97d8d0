"""Command-line commands of `python -m gamecoll`, one module per group."""
