"""`python -m registry.migrate` (`make migrate`): bring the configured database's
registry tables to the newest migration, under the lock a starting worker takes.

Servers do the same at start-up, so this is for deploying the schema ahead of the
code, or checking a database by hand. Configuration comes from the environment
(REGISTRY_DATABASE_URL, as for the server)."""

from __future__ import annotations

import sys

from registry.config import ConfigError, load_settings


def main() -> int:
    from registry.bootstrap import migrate_database
    from registry.store.migrations import HEAD

    try:
        settings = load_settings()
        migrate_database(settings)
    except ConfigError as error:
        print(f"registry: {error}", file=sys.stderr)
        return 2
    print(f"registry tables at revision {HEAD} ({settings.database.dialect})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
