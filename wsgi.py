"""`gunicorn wsgi:app` serves the registry; configuration comes from the environment.

A wrong setting stops start-up with one line naming the variable. Exit code 3 is
gunicorn's "worker failed to boot", which stops the master instead of respawning.
"""

import sys

from registry.config import ConfigError

try:
    from registry.api.app import create_app

    app = create_app()
except ConfigError as error:
    sys.stderr.write(f"registry: {error}\n")
    sys.exit(3)
