"""An in-process registry behind Flask's test client, for the profiler and the
micro-benchmarks (`bench.profile`, `bench.import_micro`, `bench.rebuild_micro`,
`bench.export_micro`); `make bench` itself runs gunicorn (`bench.server`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench import seed


def build(database_url: str, workdir: Path, secret: str) -> tuple[Any, Any]:
    """The Flask app and its test client, on `database_url` or a SQLite file in `workdir`,
    with the garbage collector set as a served worker's is (`wsgi.py` calls
    `tune_for_serving` once the app is built): without it every in-process figure paid
    CPython's default collections, which gunicorn's workers do not (for a webhook of 1000
    statuses about a fifth of its CPU, BENCHMARKS.md)."""
    from registry.api.app import create_app
    from registry.config import load_settings
    from registry.memory import tune_for_serving

    env = {
        "REGISTRY_DATABASE_URL": database_url or f"sqlite:///{workdir / 'registry.sqlite3'}",
        "REGISTRY_JWT_SECRET": secret,
        "REGISTRY_VAR_DIR": str(workdir / "var"),
    }
    app = create_app(load_settings(env))
    tune_for_serving()
    return app, app.test_client()


def author_headers(secret: str) -> dict[str, str]:
    author, _ = seed.tokens(secret)
    return {"Authorization": f"Bearer {author}"}


def prepare_tenant(client: Any, secret: str) -> None:
    """The policy without time rules and the approved template, as `seed.prepare_tenant`."""
    auth = author_headers(secret)
    _, reviewer = seed.tokens(secret)
    _ok(client.put("/v1/policy", json=seed.ANY_TIME_POLICY, headers=auth))
    _ok(client.post("/v1/templates", json=seed.MARKETING_TEMPLATE, headers=auth))
    _ok(
        client.post(
            seed.REVIEW_PATH, json=seed.APPROVAL, headers={"Authorization": f"Bearer {reviewer}"}
        )
    )


def import_rows(client: Any, secret: str, rows: Iterable[dict[str, Any]], chunk: int) -> None:
    """`POST /v1/consents/import` in NDJSON requests of `chunk` rows."""
    headers = {**author_headers(secret), "Content-Type": "application/x-ndjson"}
    pending: list[str] = []
    for row in rows:
        pending.append(json.dumps(row))
        if len(pending) == chunk:
            _ok(client.post("/v1/consents/import", data="\n".join(pending), headers=headers))
            pending = []
    if pending:
        _ok(client.post("/v1/consents/import", data="\n".join(pending), headers=headers))


def _ok(answer: Any) -> Any:
    if answer.status_code not in (200, 201):
        raise SystemExit(f"{answer.status_code}: {answer.get_data(as_text=True)[:500]}")
    return answer.get_json()


def profile_call(
    work: Callable[[], object], *, flat: bool = False, lines: int = 40, interval: float = 0.0005
) -> None:
    """Runs `work` once under pyinstrument (a sampled call tree) when it is installed and
    `flat` is not asked for; otherwise under cProfile, by own time (`flat`) or cumulative
    time, printing `lines` rows."""
    try:
        if flat:
            raise ImportError
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(work)
        pstats.Stats(profiler).sort_stats("tottime" if flat else "cumulative").print_stats(lines)
        return
    sampler = Profiler(interval=interval)
    sampler.start()
    work()
    sampler.stop()
    print(sampler.output_text(unicode=True, color=False, show_all=False))
