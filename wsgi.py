"""`gunicorn wsgi:app` serves the registry; configuration comes from the environment."""

import sys

from registry.config import ConfigError

try:
    from registry.api.app import create_app

    app = create_app()
except ConfigError as error:
    sys.stderr.write(f"registry: {error}\n")
    sys.exit(1)
