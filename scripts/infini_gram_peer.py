"""The peer half of scripts/bench-attribution.sh: builds an infini-gram 2.6.0 byte-level index of
the same corpus, runs the same count queries and maximal-span attributions that Sinew ran (read
from the files `sinew bench attribution --dump` wrote), checks the answers agree, and prints its
figures. Usage: infini_gram_peer.py CORPUS_DIR INDEX_DIR DUMP_DIR"""
import json, os, statistics, subprocess, sys, time

corpus, index_dir, dump = sys.argv[1:4]
os.makedirs(index_dir, exist_ok=True)
t = time.time()
subprocess.run([sys.executable, "-m", "infini_gram.indexing_v6", "--data_dir", corpus, "--save_dir", index_dir,
                "--token_dtype", "u8", "--cpus", "2", "--mem", "16", "--add_metadata", "--ulimit", "1024",
                "--hack", "1000"], check=True, stdout=subprocess.DEVNULL)
build = time.time() - t
size = sum(os.path.getsize(os.path.join(index_dir, f)) for f in os.listdir(index_dir))
from infini_gram.engine import InfiniGramEngine
engine = InfiniGramEngine(index_dir=index_dir, eos_token_id=0, vocab_size=255, token_dtype="u8")
queries = [json.loads(l) for l in open(os.path.join(dump, "queries.jsonl"))]
tokens = sum(1 for _ in range(0))  # filled below from the index size
lat, agree = [], 0
for q in queries[:200]:
    engine.count(input_ids=list(bytes.fromhex(q["hex"])))  # warm
for q in queries:
    ids = list(bytes.fromhex(q["hex"]))
    t = time.perf_counter()
    r = engine.count(input_ids=ids)
    lat.append((time.perf_counter() - t) * 1e6)
    agree += r["count"] == q["count"]
answers = [json.loads(l) for l in open(os.path.join(dump, "answers.jsonl"))]
alat, same = [], 0
for a in answers:
    ids = list(bytes.fromhex(a["hex"]))
    t = time.perf_counter()
    r = engine.attribute(input_ids=ids, delim_ids=[], min_len=32, max_cnt=10, enforce_bow=False)
    alat.append((time.perf_counter() - t) * 1e3)
    theirs = sorted((s["l"], s["r"] - s["l"]) for s in r["spans"])
    ours = sorted((s[0], s[1]) for s in a["spans"])
    same += theirs == ours
lat.sort(); alat.sort()
print(f"infini-gram 2.6.0 build (indexing_v6 --hack 1000): {build:.1f}s, index {size} bytes")
print(f"infini-gram count: p50 {statistics.median(lat):.1f} us; counts equal to Sinew's on {agree}/{len(queries)} queries")
print(f"infini-gram maximal-span attribution of a 1 KB answer: p50 {statistics.median(alat):.1f} ms, p99 {alat[int(len(alat)*0.99)-1]:.1f} ms; same spans as Sinew on {same}/{len(answers)} answers")
