"""Pure security helpers: no web framework imports here."""
