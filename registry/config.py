"""Settings from the environment (R-CONFIG). No Flask imports here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line naming the variable."""


class DatabaseUnreachable(ConfigError):
    """The configured database does not answer now (down, restarting). Command-line
    tools report it like a setting; a gunicorn worker booting meanwhile retries instead
    of stopping the server (wsgi.py)."""


@dataclass(frozen=True)
class Database:
    dialect: str  # "sqlite" | "postgres"
    sqlite_path: str = ""
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    name: str = ""


@dataclass(frozen=True)
class RateLimits:
    """Requests per second and burst per token; 0 turns the limit off."""

    per_token_rate: float
    per_token_burst: int
    public_rate: float
    public_burst: int
    storage: str = ""  # "" = in-process buckets; redis://host:port = shared by every worker


@dataclass(frozen=True)
class Settings:
    database: Database
    database_url: str
    jwt_secret: str
    jwt_public_keys_file: str | None
    public_url: str
    signing_key_path: str
    data_key_path: str
    link_key_value: str | None
    var_dir: Path
    rate_limits: RateLimits
    postgres_pool_size: int
    postgres_max_overflow: int
    max_request_age_seconds: int = 300
    sqlite_lock_timeout: int = 10  # seconds a SQLite write waits for the write lock
    feed_max_waits: int = 8  # long polls of GET /v1/changes one worker process holds at once
    feed_poll_seconds: float = 0.02  # how often a waiting process reads the log's position
    jwt_audience: str | None = None  # when set, a token's aud must name it
    jwt_issuer: str | None = None  # when set, a token's iss must equal it

    @property
    def public_host(self) -> str:
        return urlparse(self.public_url).netloc or "localhost"


def parse_database_url(url: str) -> Database:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise ConfigError(f"REGISTRY_DATABASE_URL: no SQLite file path in {url!r}")
        return Database(dialect="sqlite", sqlite_path=path)
    if parsed.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        name = parsed.path.lstrip("/")
        if not name:
            raise ConfigError(f"REGISTRY_DATABASE_URL: no database name in {url!r}")
        return Database(
            dialect="postgres",
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            user=unquote(parsed.username or "postgres"),
            password=unquote(parsed.password or ""),
            name=name,
        )
    raise ConfigError(
        "REGISTRY_DATABASE_URL must start with sqlite:/// or postgresql://, "
        f"got {parsed.scheme or url!r}"
    )


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def _rate_limit_storage(uri: str) -> str:
    if uri in ("", "memory://"):
        return ""
    if not uri.startswith(("redis://", "rediss://", "redis+unix://")):
        raise ConfigError(
            "REGISTRY_RATE_LIMIT_STORAGE must be empty (in-process limits) or a redis:// URI, "
            f"got {uri!r}"
        )
    return uri


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    var_dir = Path(env.get("REGISTRY_VAR_DIR", "var"))
    database_url = env.get("REGISTRY_DATABASE_URL", "").strip() or (
        f"sqlite:///{var_dir / 'registry.sqlite3'}"
    )
    database = parse_database_url(database_url)
    jwt_secret = env.get("REGISTRY_JWT_SECRET", "").strip()
    if not jwt_secret:
        raise ConfigError("REGISTRY_JWT_SECRET is required (make run generates one into var/)")
    if len(jwt_secret) < 16:
        raise ConfigError("REGISTRY_JWT_SECRET must be at least 16 characters")
    public_keys = env.get("REGISTRY_JWT_PUBLIC_KEYS", "").strip() or None
    if public_keys and not Path(public_keys).is_file():
        raise ConfigError(f"REGISTRY_JWT_PUBLIC_KEYS: no such file {public_keys!r}")
    public_url = env.get("REGISTRY_PUBLIC_URL", "").strip() or "http://127.0.0.1:8000"
    if urlparse(public_url).scheme not in ("http", "https"):
        raise ConfigError(f"REGISTRY_PUBLIC_URL must be an http(s) URL, got {public_url!r}")
    return Settings(
        database=database,
        database_url=database_url,
        jwt_secret=jwt_secret,
        jwt_public_keys_file=public_keys,
        public_url=public_url.rstrip("/"),
        signing_key_path=env.get("REGISTRY_SIGNING_KEY", "").strip()
        or str(var_dir / "signing_key.pem"),
        data_key_path=env.get("REGISTRY_DATA_KEY", "").strip() or str(var_dir / "data_key"),
        link_key_value=env.get("REGISTRY_LINK_KEY", "").strip() or None,
        var_dir=var_dir,
        rate_limits=RateLimits(
            per_token_rate=_number(env, "REGISTRY_RATE_LIMIT_PER_TOKEN", 20000),
            per_token_burst=int(_number(env, "REGISTRY_RATE_LIMIT_BURST", 40000)),
            public_rate=_number(env, "REGISTRY_RATE_LIMIT_PUBLIC", 200),
            public_burst=int(_number(env, "REGISTRY_RATE_LIMIT_PUBLIC_BURST", 2000)),
            storage=_rate_limit_storage(env.get("REGISTRY_RATE_LIMIT_STORAGE", "").strip()),
        ),
        postgres_pool_size=int(_number(env, "REGISTRY_POSTGRES_POOL_SIZE", 4)),
        postgres_max_overflow=int(_number(env, "REGISTRY_POSTGRES_MAX_OVERFLOW", 4)),
        sqlite_lock_timeout=max(1, int(_number(env, "REGISTRY_SQLITE_LOCK_TIMEOUT", 10))),
        feed_max_waits=int(_number(env, "REGISTRY_FEED_MAX_WAITS", 8)),
        feed_poll_seconds=_number(env, "REGISTRY_FEED_POLL_MS", 20) / 1000,
        jwt_audience=env.get("REGISTRY_JWT_AUDIENCE", "").strip() or None,
        jwt_issuer=env.get("REGISTRY_JWT_ISSUER", "").strip() or None,
    )
