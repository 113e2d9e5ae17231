"""The Python half of scripts/bench-python.sh: opens the index `sinew bench attribution --out`
wrote and runs the same count queries and 1 KB answers through `sinew.Engine` (the Python
package), checking its answers equal the Rust ones. The binding's overhead is measured in this
process, on the same mapped index and the same queries: rounds alternate between the calls timed
from Python (`engine.count(q)`, `engine.attribute(a)`, answers built as Python dicts) and the same
calls timed inside Rust (`engine.bench_count`, `engine.bench_attribute`), so the page cache, the
CPU's caches and the machine's noise are shared; medians over all rounds. Each side's count
timings have its clock's own cost taken out (the median of an empty timed interval: about 60 ns
for Python's perf_counter, 20 ns for Rust's Instant), so what is compared is the calls. The figures of the
separate Rust process (`sinew bench attribution`) are printed beside them.
Usage: bench_python_engine.py INDEX DUMP_DIR RUST_OUTPUT"""

import json
import re
import statistics
import sys
import time

import sinew

ROUNDS = 5

index, dump, rust_out = sys.argv[1:4]
rust = open(rust_out).read()
rust_count = float(re.search(r"count: p50 ([0-9.]+) us", rust).group(1))
rust_attr = float(re.search(r"full attribution with weights: p50 ([0-9.]+) ms", rust).group(1))

t = time.perf_counter()
engine = sinew.Engine.open(index, verify=False)
open_ms = (time.perf_counter() - t) * 1e3

queries = [json.loads(line) for line in open(f"{dump}/queries.jsonl")]
patterns = [bytes.fromhex(q["hex"]) for q in queries]
answers = [bytes.fromhex(json.loads(line)["hex"]) for line in open(f"{dump}/answers.jsonl")]
count, attribute = engine.count, engine.attribute
clock = time.perf_counter

agree = sum(count(p)["count"] == q["count"] for p, q in zip(patterns, queries))
for a in answers[:20]:
    attribute(a, 32, 10)  # warm

def empty_interval_us() -> float:
    xs = []
    for _ in range(100_000):
        t = clock()
        xs.append((clock() - t) * 1e6)
    return statistics.median(xs)


clock_us = empty_interval_us()
py_count, in_count, py_attr, in_attr, many = [], [], [], [], []
for _ in range(ROUNDS):
    for p in patterns:
        t = clock()
        count(p)
        py_count.append((clock() - t) * 1e6 - clock_us)
    in_count += engine.bench_count(patterns)
    t = clock()
    engine.count_many(patterns)
    many.append((clock() - t) * 1e6 / len(patterns))
    for a in answers:
        t = clock()
        attribute(a, 32, 10)
        py_attr.append((clock() - t) * 1e3)
    in_attr += engine.bench_attribute(answers, 32, 10)


def p(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))]


pc, ic, pa, ia, pm = (statistics.median(x) for x in (py_count, in_count, py_attr, in_attr, many))
im = statistics.mean(in_count)
print(f"python open (mmap): {open_ms:.3f} ms; counts equal to Rust's on {agree}/{len(queries)} queries; Python's clock costs {clock_us * 1e3:.0f} ns")
print(f"python count: p50 {pc:.2f} us, p99 {p(py_count, 0.99):.2f} us; the same calls timed inside Rust: p50 {ic:.2f} us")
print(f"python attribution with weights of a 1 KB answer: p50 {pa:.3f} ms, p99 {p(py_attr, 0.99):.3f} ms; inside Rust: p50 {ia:.3f} ms")
print(f"python count_many (all {len(patterns)} queries in one call): {pm:.2f} us per query; inside Rust, mean {im:.2f} us")
print(f"binding overhead (same process, {ROUNDS} alternating rounds): count {100 * (pc - ic) / ic:+.1f}% per call, "
      f"{100 * (pm - im) / im:+.1f}% in one call for all; attribution {100 * (pa - ia) / ia:+.1f}%")
print(f"against the separate Rust process above: count {pc:.2f} vs {rust_count:.2f} us, attribution {pa:.3f} vs {rust_attr:.3f} ms")
