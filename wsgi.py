"""`gunicorn wsgi:app` serves the registry; configuration comes from the environment.

A wrong setting stops start-up with one line naming the variable. Exit code 3 is
gunicorn's "worker failed to boot", which stops the master instead of respawning.
A database that does not answer is not a wrong setting: the worker says so in one line,
waits a second and exits with 1, and gunicorn starts another until the database is back
(a worker respawned during a database restart must not stop the whole server).
"""

import sys
import time

from registry.config import ConfigError, DatabaseUnreachable

try:
    from registry.api.app import create_app
    from registry.memory import tune_for_serving

    app = create_app()
    tune_for_serving()
except DatabaseUnreachable as error:
    sys.stderr.write(f"registry: {error}; retrying\n")
    time.sleep(1)
    sys.exit(1)
except ConfigError as error:
    sys.stderr.write(f"registry: {error}\n")
    sys.exit(3)
