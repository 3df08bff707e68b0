"""Long commands show a bar on a terminal and plain lines elsewhere (issue #20 item 9)."""

from __future__ import annotations

import io

from registry.progress import progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_progress_is_plain_lines_with_counts_and_time() -> None:
    out, clock = io.StringIO(), FakeClock()
    with progress("rebuild", total=300, stream=out, clock=clock, every=5) as bar:
        bar.update(100)  # no time has passed: no line yet
        clock.now += 6
        bar.update(100)
        clock.now += 1
        bar.update(100)
    assert out.getvalue().splitlines() == [
        "rebuild: 200/300 events (66 %), 6.0 s",
        "rebuild: done, 300 events in 7.0 s",
    ]


def test_without_a_total_the_plain_lines_count_only() -> None:
    out, clock = io.StringIO(), FakeClock()
    with progress("import", stream=out, clock=clock, every=1, unit="rows") as bar:
        clock.now += 2
        bar.update(7)
    assert out.getvalue().splitlines() == ["import: 7 rows, 2.0 s", "import: done, 7 rows in 2.0 s"]


def test_on_a_terminal_a_bar_is_drawn_and_the_end_is_one_line() -> None:
    out = Terminal()
    with progress("verify", total=10, stream=out) as bar:
        bar.update(10)
    text = out.getvalue()
    assert "\r" in text  # tqdm redraws its line in place
    assert text.rstrip().splitlines()[-1].split("\r")[-1].startswith("verify: done, 10 events in")
