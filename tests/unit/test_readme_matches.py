"""The README documents what a fresh clone meets (issue #20): every environment variable
the registry reads, every command module, and first steps that name the business."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
READS = re.compile(r"""(?:env\.get|environ\.get|_number\(env,)\s*\(?\s*["'](REGISTRY_[A-Z0-9_]+)""")


def test_every_environment_variable_the_registry_reads_is_in_the_readme() -> None:
    read = {
        name
        for path in ROOT.joinpath("registry").rglob("*.py")
        for name in READS.findall(path.read_text(encoding="utf-8"))
    }
    assert read  # the pattern finds the reads
    assert sorted(name for name in read if name not in README) == []


def test_every_command_line_module_is_in_the_readme() -> None:
    commands = [
        "python -m registry.imports",
        "python -m registry.devtoken",
        "python -m audit verify ",
        "python -m audit verify-receipt",
        "python -m audit check",
        "make rebuild",
    ]
    assert [c for c in commands if c not in README] == []


def test_the_first_steps_set_the_display_name_before_the_first_grant() -> None:
    first_block = README.split("```sh", 2)[2].split("```", 1)[0]
    assert "display_name" in first_block
    assert first_block.index("display_name") < first_block.index("/v1/consents")
