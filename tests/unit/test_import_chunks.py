"""The bulk import CLI reads a file as a stream, in chunks of the API's row limit."""

from __future__ import annotations

from collections.abc import Iterator

from registry.api.consents.imports import MAX_ROWS
from registry.imports import chunks


def lines(count: int) -> Iterator[str]:
    for n in range(count):
        yield f'{{"customer_id": "c{n}", "purposes": ["alerts"]}}\n'


def test_chunks_have_the_apis_size_and_number_rows_across_the_file() -> None:
    found = [(c.first_row, len(c.records)) for c in chunks(lines(2 * MAX_ROWS + 1), "ndjson")]
    assert found == [(1, MAX_ROWS), (MAX_ROWS + 1, MAX_ROWS), (2 * MAX_ROWS + 1, 1)]


def test_chunks_are_read_lazily_one_at_a_time() -> None:
    read = 0

    def counted() -> Iterator[str]:
        nonlocal read
        for line in lines(10 * MAX_ROWS):
            read += 1
            yield line

    first = next(chunks(counted(), "ndjson"))
    assert len(first.records) == MAX_ROWS
    assert read == MAX_ROWS  # the rest of the file is not read yet


def test_csv_rows_become_the_same_records_as_the_api_makes() -> None:
    text = iter(["customer_id,purposes,evidence\n", "anna,alerts;promotions,form\n"])
    (chunk,) = chunks(text, "csv")
    assert chunk.records == [
        {
            "customer_id": "anna",
            "purposes": ["alerts", "promotions"],
            "source": {"kind": "import", "evidence": "form"},
        }
    ]
