"""Runs wrk with a generated Lua script and parses its JSON summary."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

WRK = shutil.which("wrk") or "/usr/bin/wrk"

# `body(n)` builds one request body; `{N}` customers c0..c(N-1) exist.
_LUA = r"""
local counter = 0
local token = "{TOKEN}"
local N = {N}
local path = "{PATH}"
local method = "{METHOD}"

local function rid() return "c" .. math.random(0, N - 1) end

local function body()
{BODY}
end

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
  wrk.headers["Authorization"] = "Bearer " .. token
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  if method == "GET" then
    return wrk.format("GET", path)
  end
  return wrk.format("POST", path, nil, body())
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write("BENCHJSON ", string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%f}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean), "\n")
end
"""

TPL = '{"name":"spring_sale","language":"ru"}'

BODIES = {
    "healthz": "  return nil",
    "decision": f"""  return '{{"customer_id":"' .. rid() .. '","template":{TPL}}}'""",
    "authorization": f"""  return '{{"customer_id":"' .. rid() .. '","template":{TPL}}}'""",
    "grant": """  return '{"customer_id":"' .. rid() .. '","channel":"whatsapp","purposes":["promotions"],"source":{"kind":"api"}}'""",
    "floor_single": f"""  return '{{"customer_id":"' .. rid() .. '","template":{TPL}}}'""",
    "floor_append": f"""  return '{{"customer_id":"' .. rid() .. '","template":{TPL}}}'""",
    "batch": f"""  local parts = {{}}
  for i = 1, 1000 do
    parts[i] = '{{"customer_id":"' .. rid() .. '","template":{TPL}}}'
  end
  return '{{"items":[' .. table.concat(parts, ",") .. ']}}'""",
}
BODIES["floor_batch"] = BODIES["batch"]

PATHS = {
    "healthz": ("GET", "/healthz"),
    "decision": ("POST", "/v1/decisions"),
    "batch": ("POST", "/v1/decisions/batch"),
    "authorization": ("POST", "/v1/authorizations"),
    "grant": ("POST", "/v1/consents"),
    # the floor (bench/floor): the same bodies, only what each request physically needs
    "floor_single": ("POST", "/single"),
    "floor_batch": ("POST", "/batch"),
    "floor_append": ("POST", "/append"),
}
# Requests a wrk request stands for: a batch request decides 1000 items.
ITEMS = {"batch": 1000, "floor_batch": 1000}


def run(
    base: str,
    scenario: str,
    token: str,
    customers: int,
    duration: int,
    connections: int = 32,
    threads: int = 2,
) -> dict[str, Any]:
    method, path = PATHS[scenario]
    script = (
        _LUA.replace("{TOKEN}", token)
        .replace("{N}", str(max(customers, 1)))
        .replace("{PATH}", path)
        .replace("{METHOD}", method)
        .replace("{BODY}", BODIES[scenario])
    )
    with tempfile.TemporaryDirectory() as tmp:
        lua = Path(tmp) / f"{scenario}.lua"
        lua.write_text(script)
        out = subprocess.run(
            [
                WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
                "--latency", "-s", str(lua), base,
            ],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCHJSON "))
    result: dict[str, Any] = json.loads(line[len("BENCHJSON ") :])
    seconds = result["duration_us"] / 1e6
    errors = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    result.update(
        scenario=scenario,
        connections=connections,
        rate=result["requests"] * ITEMS.get(scenario, 1) / seconds if seconds else 0.0,
        requests_per_s=result["requests"] / seconds if seconds else 0.0,
        errors=errors,
        p50_ms=result["p50_us"] / 1000,
        p90_ms=result["p90_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
    )
    return result
