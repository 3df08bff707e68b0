"""`python -m tests.contract.schemathesis_cli ARGS`: the `schemathesis` command, with
`ast.parse` taken one thread at a time.

With `--workers 2` two threads generate at once, and Hypothesis describes a strategy's
lambdas by parsing their source with `ast.parse`; CPython 3.11 converts a parsed tree
with a recursion counter that is not per thread, and two conversions at once fail with
`SystemError: AST constructor recursion depth mismatch` (reported by Schemathesis as a
runtime error of whichever operation was generating). A lock around `ast.parse` keeps
the two workers and takes nothing else from the run."""

from __future__ import annotations

import ast
import sys
import threading
from typing import Any

_parse = ast.parse
_one_at_a_time = threading.RLock()


def _locked_parse(*args: Any, **kwargs: Any) -> Any:
    with _one_at_a_time:
        return _parse(*args, **kwargs)


def main() -> int:
    ast.parse = _locked_parse
    from schemathesis.cli import schemathesis

    sys.argv[0] = "schemathesis"
    result = schemathesis()
    return int(result or 0)


if __name__ == "__main__":
    raise SystemExit(main())
