"""The floor (issue #21): a minimal Flask app that does only what each measured request
physically needs, served by the same gunicorn settings on the same database in the same
run as the registry, so that each registry figure can be divided by it."""
