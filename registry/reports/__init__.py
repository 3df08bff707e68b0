"""R-REPORT: the monthly review, computed from a tenant's log as of a checkpoint.

`months` names the month and its bounds, `reader` pages through the log, `figures`
counts (pure functions of the events, no database), `signing` signs the JSON, and the
renderers (`csv_format`, `charts`, `html`, `pdf`) present the same figures."""
