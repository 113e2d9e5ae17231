"""The Python half of scripts/bench-python.sh: opens the index `sinew bench attribution --out`
wrote, runs the same count queries and 1 KB answers through `sinew.Engine` (the Python package),
timing each call as the Rust bench times each call, checks the answers agree with the Rust
ones, and prints the figures beside the Rust figures of the same run (parsed from its output)
with the binding's overhead. Usage: bench_python_engine.py INDEX DUMP_DIR RUST_OUTPUT"""

import json
import re
import statistics
import sys
import time

import sinew

index, dump, rust_out = sys.argv[1:4]
rust = open(rust_out).read()
rust_count = float(re.search(r"count: p50 ([0-9.]+) us", rust).group(1))
rust_attr = float(re.search(r"full attribution with weights: p50 ([0-9.]+) ms", rust).group(1))

t = time.perf_counter()
engine = sinew.Engine.open(index, verify=False)
open_ms = (time.perf_counter() - t) * 1e3

queries = [json.loads(line) for line in open(f"{dump}/queries.jsonl")]
patterns = [bytes.fromhex(q["hex"]) for q in queries]
for p in patterns[:2000]:
    engine.count(p)  # warm, as the Rust bench does
count = engine.count
lat = []
agree = 0
for p, q in zip(patterns, queries):
    t = time.perf_counter()
    r = count(p)
    lat.append((time.perf_counter() - t) * 1e6)
    agree += r["count"] == q["count"]

answers = [json.loads(line) for line in open(f"{dump}/answers.jsonl")]
attribute = engine.attribute
alat = []
for a in answers:
    text = bytes.fromhex(a["hex"])
    t = time.perf_counter()
    attribute(text, 32, 10)
    alat.append((time.perf_counter() - t) * 1e3)

lat.sort()
alat.sort()
py_count = statistics.median(lat)
py_attr = statistics.median(alat)
print(f"python open (mmap): {open_ms:.3f} ms")
print(f"python count: p50 {py_count:.2f} us, p99 {lat[int(len(lat) * 0.99) - 1]:.2f} us; counts equal to Rust's on {agree}/{len(queries)} queries")
print(f"python attribution with weights of a 1 KB answer: p50 {py_attr:.3f} ms, p99 {alat[int(len(alat) * 0.99) - 1]:.3f} ms")
print(f"binding overhead over Rust (same run): count {100 * (py_count - rust_count) / rust_count:+.1f}% ({py_count:.2f} vs {rust_count:.2f} us); "
      f"attribution {100 * (py_attr - rust_attr) / rust_attr:+.1f}% ({py_attr:.3f} vs {rust_attr:.3f} ms)")
