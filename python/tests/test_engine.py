"""The local attribution engine: answers shaped like infini-gram's, checked against brute force
on random corpora for every tokenizer, and equal to the Rust CLI's on the same files."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

import sinew
from conftest import need
from sinew import Engine

ROOT = Path(__file__).resolve().parents[2]
SINEW = os.environ.get("SINEW_BIN") or str(ROOT / "target" / "debug" / "sinew")


def corpus(seed: int, docs: int = 40) -> list:
    """Random documents over a small vocabulary, so that n-grams repeat."""
    rng = random.Random(seed)
    words = "river lake delta stream rain sea hill valley flood bank mouth source".split()
    return [" ".join(rng.choice(words) for _ in range(rng.randint(3, 30))) for _ in range(docs)]


def occurrences(docs_ids: list, q: list) -> list:
    """Every (doc, offset) where the token list `q` occurs, by brute force."""
    out = []
    for d, ids in enumerate(docs_ids):
        for i in range(len(ids) - len(q) + 1):
            if ids[i : i + len(q)] == q:
                out.append((d, i))
    return out


@pytest.mark.parametrize("tokenizer", ["bytes", "gpt2", "cl100k"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_queries_match_brute_force(tokenizer, seed):
    docs = corpus(seed)
    e = Engine.build(docs, tokenizer)
    assert e.tokenizer_name == tokenizer and e.num_docs == len(docs)
    ids = [e.tokenize(d) for d in docs]
    assert e.num_tokens == sum(len(i) + 1 for i in ids)  # each document ends with a separator
    rng = random.Random(seed * 7)
    batch = []
    for _ in range(60):
        d = rng.randrange(len(docs))
        if not ids[d]:
            continue
        i = rng.randrange(len(ids[d]))
        q = ids[d][i : i + rng.randint(1, 6)]
        found = occurrences(ids, q)
        assert e.count(q) == {"count": len(found), "approx": False}
        batch.append((q, len(found)))
        f = e.find(q)
        assert f["cnt"] == len(found) and f["segment_by_shard"][0][1] - f["segment_by_shard"][0][0] == len(found)
        occ = e.occurrences(q, limit=1000)
        assert [(o["record"], o["offset"]) for o in occ] == sorted(found)
        # Every rank of the interval points at a real occurrence.
        lo, hi = f["segment_by_shard"][0]
        for rank in range(lo, hi):
            doc = e.get_doc_by_rank(0, rank, max_disp_len=50)
            at = doc["needle_offset"]
            assert doc["token_ids"][at : at + len(q)] == q[: len(doc["token_ids"]) - at]
        # The next-token distribution after q, by counting.
        follow = {}
        for dd, off in found:
            if off + len(q) < len(ids[dd]):
                t = ids[dd][off + len(q)]
                follow[t] = follow.get(t, 0) + 1
        ntd = e.ntd(q)
        assert {t: v["cont_cnt"] for t, v in ntd["result_by_token_id"].items()} == follow
        assert ntd["prompt_cnt"] == sum(follow.values())
        if follow:
            t = next(iter(follow))
            p = e.prob(q, t)
            assert p["cont_cnt"] == follow[t] and p["prompt_cnt"] == len(found)
        # The longest suffix of an extended query that occurs.
        longer = [1, 2, 3] + q if tokenizer == "bytes" else [99999 % 50000] + q
        k = e.longest_suffix(longer)
        assert occurrences(ids, longer[len(longer) - k :]) and (k == len(longer) or not occurrences(ids, longer[len(longer) - k - 1 :]))
        assert e.infgram_ntd(longer)["suffix_len"] == k
    assert e.count_many([q for q, _ in batch]) == [n for _, n in batch]


def test_attribution_finds_maximal_spans_with_their_records():
    docs = corpus(5)
    e = Engine.build(docs, refs=[(10 + i // 10, i % 10) for i in range(len(docs))])
    answer = "zz " + docs[3] + " qq " + docs[17][:40] + " end"
    a = e.attribute(answer, min_len=8, max_count=1000)
    assert a["spans"], a
    # The whole of document 3 is one span, found only there.
    assert any(s["text"] == docs[3] and [(d["contribution"], d["record"]) for d in s["docs"]] == [(10, 3)] for s in a["spans"])
    # A span found more often than max_count is not kept.
    assert all(s["count"] <= 2 for s in e.attribute(answer, min_len=8, max_count=2)["spans"])
    for s in a["spans"]:
        assert s["text"] == answer.encode()[s["byte_start"] : s["byte_start"] + s["byte_len"]].decode()
        assert s["length"] == s["r"] - s["l"] >= 8
        for d in s["docs"]:
            text = docs[(d["contribution"] - 10) * 10 + d["record"]].encode()
            assert text[d["offset"] : d["offset"] + s["length"]] == answer.encode()[s["l"] : s["r"]]
    assert sum(ppm for _, ppm in a["weights"]) == 1_000_000
    r = e.receipt(answer, min_len=8, max_count=1000)
    assert r["index"] == e.id and len(r["digest"]) == 64
    assert e.receipt(answer, min_len=8, max_count=1000) == r  # deterministic


def test_numpy_in_and_out():
    np = need("numpy")
    e = Engine.build(["the river rises", "the river falls"])
    ids = e.tokenize("river", numpy=True)
    assert ids.dtype == np.uint32 and list(ids) == list(b"river")
    assert e.count(ids)["count"] == 2
    assert e.count(np.array(list(b"rises"), dtype=np.int64))["count"] == 1
    assert e.detokenize(ids) == "river"
    many = e.count_many(["river", b"rises", ids, "sea"], numpy=True)
    assert many.dtype == np.uint64 and list(many) == [2, 1, 2, 0]


def test_save_open_and_tampering(tmp_path):
    e = Engine.build(corpus(9))
    files = e.save(str(tmp_path / "idx"))
    again = Engine.open(str(tmp_path / "idx"))
    assert again.id == e.id and again.count("river") == e.count("river")
    raw = bytearray(Path(files[0]).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    Path(files[0]).write_bytes(bytes(raw))
    with pytest.raises(sinew.InvalidInput):
        Engine.open(str(tmp_path / "idx"))
    with pytest.raises(sinew.InvalidInput):
        Engine.open(str(tmp_path / "nothing"))


def test_same_files_same_index_as_the_cli(tmp_path):
    (tmp_path / "a.txt").write_text("Rivers carve valleys.\n\nLakes store water for dry seasons.\n")
    (tmp_path / "b.jsonl").write_text(json.dumps({"text": "A delta is where a river meets the sea."}) + "\n")
    (tmp_path / "c.md").write_text("# Floods\n\nFloods spread silt over the plain.\n")
    e = Engine.from_files([str(tmp_path)])
    mine = e.save(str(tmp_path / "py.idx"))
    subprocess.run([SINEW, "index", "build", "--out", str(tmp_path / "cli.idx"), str(tmp_path / "a.txt"), str(tmp_path / "b.jsonl"), str(tmp_path / "c.md")], check=True, capture_output=True)
    assert Path(mine[0]).read_bytes() == (tmp_path / "cli.idx").read_bytes()
    out = subprocess.run([SINEW, "query", "count", str(tmp_path / "cli.idx"), "river"], check=True, capture_output=True, text=True)
    assert int(out.stdout.strip()) == e.count("river")["count"]
    answer = "They say a delta is where a river meets the sea, and floods spread silt."
    cli = subprocess.run([SINEW, "attribute", str(tmp_path / "cli.idx"), answer, "--min-len", "10", "--json"], check=True, capture_output=True, text=True)
    receipt = e.receipt(answer, min_len=10)
    receipt.pop("digest")
    assert json.loads(cli.stdout) == receipt


def test_bad_input_is_refused_clearly():
    e = Engine.build(["abc"])
    for bad in ([-1], [255], ["x"], 3.5):
        with pytest.raises(sinew.InvalidInput):
            e.count(bad)
    with pytest.raises(sinew.InvalidInput):
        e.count_many(["a", [999]])
    with pytest.raises(sinew.InvalidInput):
        e.count_many(5)
    with pytest.raises(sinew.InvalidInput):
        e.attribute("abc", min_len=0)
    with pytest.raises(sinew.InvalidInput):
        e.attribute("abc", max_count=2**63)
    assert e.get_doc_by_rank(0, 0, max_disp_len=2**62)["doc_len"] == 3
    with pytest.raises(sinew.InvalidInput):
        Engine.build(["a"], tokenizer="llama")
    with pytest.raises(sinew.InvalidInput):
        Engine.build(["a", "b"], refs=[(0, 0)])
    with pytest.raises(sinew.InvalidInput):
        Engine.build([b"\xff\xfe"])
    with pytest.raises(sinew.InvalidInput):
        e.doc(5)
    with pytest.raises(sinew.InvalidInput):
        e.get_doc_by_rank(0, 99)
    with pytest.raises(sinew.InvalidInput):
        e.get_doc_by_rank(3, 0)
    assert e.doc(0) == {"contribution": 0, "record": 0, "text": "abc"}
