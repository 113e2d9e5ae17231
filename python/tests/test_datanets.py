"""Datanets from Python: contributions from strings, files and a pandas column, a published
version, and the local engine rebuilt from it giving the node's exact receipts."""

from __future__ import annotations

import json
import random

import pytest

import sinew
from conftest import need
from sinew import payloads

TOKEN = sinew.TOKEN

RIVER = [
    "The Amazon carries more water than any other river, draining a basin of seven million square kilometres.",
    "Oxbow lakes form when a meandering river cuts through the neck of a loop and abandons the old channel.",
    "A delta grows where a river slows at its mouth and drops the sediment it carried from the hills.",
]


@pytest.fixture(scope="module")
def datanet(devnet, client):
    """A datanet created from Python with contributions of every kind, and its version 1."""
    owner = devnet.fund(100 * TOKEN)
    done = client.send(owner, payloads.create_datanet("py-rivers", "rivers, from Python", tags=["python"]))
    created = next(e for e in done["receipt"]["events"] if e["kind"] == "datanet_created")
    id = created["datanet"]
    return {"id": id, "owner": owner}


def test_contribute_texts_files_and_a_dataframe_then_publish(devnet, client, datanet, tmp_path):
    id, owner = datanet["id"], datanet["owner"]
    contributor = devnet.fund(20 * TOKEN)
    seen = []
    texts = sinew.datanets.contribute_texts(client, contributor, id, RIVER, progress=False)
    assert len(texts) == 1 and texts[0]["records"] == 3 and texts[0]["contribution"] is not None
    seen.append(texts[0]["contribution"])

    (tmp_path / "lakes.txt").write_text("Lakes fed by glaciers look milky green.\n\nCrater lakes fill volcanic calderas.\n")
    (tmp_path / "notes.md").write_text("# Estuaries\n\nAn estuary mixes fresh river water with salt water from the sea.\n")
    (tmp_path / "rows.jsonl").write_text(json.dumps({"text": "Rapids form where the riverbed is steep and rocky."}) + "\n")
    (tmp_path / "rows.csv").write_text("text\nWaterfalls retreat upstream as the rock beneath them erodes.\n")
    files = sinew.datanets.contribute_files(client, contributor, id, [tmp_path], progress=False)
    assert sorted(f["records"] for f in files) == [1, 1, 2, 2]
    seen += [f["contribution"] for f in files]

    pd = need("pandas")
    df = pd.DataFrame({"text": ["Levees are raised banks that keep a river in its channel.", "A floodplain is built by floods."], "n": [1, 2]})
    cols = sinew.contribute(client, contributor, id, df, column="text", progress=False)
    assert cols[0]["records"] == 2
    seen.append(cols[0]["contribution"])
    with pytest.raises(sinew.InvalidInput):
        sinew.contribute(client, contributor, id, df, column="missing", progress=False)

    datasets = need("datasets")
    ds = datasets.Dataset.from_dict({"content": ["Glaciers carve U-shaped valleys.", "Springs feed many small streams."]})
    hf = sinew.contribute(client, contributor, id, ds, column="content", progress=False)
    assert hf[0]["records"] == 2
    seen.append(hf[0]["contribution"])

    contributions = client.datanet_contributions(id)["contributions"]
    assert sorted(c["seq"] for c in contributions) == sorted(seen)
    assert all(c["status"] == "approved" for c in contributions)
    assert client.contributions(contributor=contributor.address)["contributions"]

    client.send(owner, payloads.publish_version(id))
    v = client.datanet_version(id, 1)
    assert v["records"] == 3 + 6 + 2 + 2 and v["contributions"] == len(seen)
    recs = sinew.engine.version_records(client, id, 1)
    assert len(recs) == v["records"]
    assert {t for _, _, t in recs} >= set(RIVER)


def test_a_bad_contribution_is_refused_before_anything_is_stored(devnet, client, datanet, tmp_path):
    id = datanet["id"]
    k = devnet.fund(5 * TOKEN)
    before = client.datanet(id)["datanet"]["contributions"]
    (tmp_path / "ok.txt").write_text("fine text\n")
    (tmp_path / "bad.jsonl").write_text("{not json}\n")
    with pytest.raises(sinew.InvalidInput):
        sinew.datanets.contribute_files(client, k, id, [tmp_path / "ok.txt", tmp_path / "bad.jsonl"], progress=False)
    with pytest.raises(sinew.InvalidInput):
        sinew.datanets.contribute_texts(client, k, id, ["fine", ""], progress=False)
    with pytest.raises(sinew.InvalidInput):
        sinew.datanets.contribute_files(client, k, id, [tmp_path / "missing.txt"], progress=False)
    with pytest.raises(sinew.InvalidInput):  # strings naming files: ambiguous, refused
        sinew.contribute(client, k, id, [str(tmp_path / "ok.txt")], progress=False)
    assert client.datanet(id)["datanet"]["contributions"] == before
    assert client.account(k)["account"]["nonce"] == 0


def test_the_local_engine_gives_the_nodes_receipts(client, datanet):
    id = datanet["id"]
    engine = sinew.engine.from_version(client, id, 1)
    node_index = client.version_index(id, 1)
    assert engine.id == node_index["index"]
    assert engine.num_docs == node_index["documents"] and engine.num_tokens == node_index["tokens"]
    answers = [
        "I read that oxbow lakes form when a meandering river cuts through the neck of a loop, like deltas.",
        "A delta grows where a river slows at its mouth. Levees are raised banks that keep a river in its channel.",
        "Nothing here matches anything at all, zebra quantum.",
    ]
    for answer in answers:
        for min_len in (8, 16, 32):
            mine = engine.receipt(answer, min_len=min_len, max_count=10)
            theirs = client.attribute(id, 1, answer, min_len=min_len, max_count=10)
            digest = mine.pop("digest")
            assert mine == theirs, (answer, min_len)
            assert len(digest) == 64


def test_the_demo_datanet_rebuilt_locally_matches_too(client):
    engine = sinew.engine.from_version(client, 0, 1)
    assert engine.id == client.version_index(0, 1)["index"]
    text = "Most rivers begin as many small streams in high ground"
    assert engine.receipt(text, min_len=8) == {**client.attribute(0, 1, text, min_len=8), "digest": engine.receipt(text, min_len=8)["digest"]}
