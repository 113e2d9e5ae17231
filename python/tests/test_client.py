"""The client against a live devnet: every route, sending, proofs, key files, events, and
refusals that change nothing."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import sinew
from conftest import need
from sinew import payloads

TOKEN = sinew.TOKEN


def test_every_route_of_the_node_has_a_client_method():
    names = {name for name, _, _ in sinew.routes()}
    assert names == set(sinew.client.ROUTE_METHODS), names ^ set(sinew.client.ROUTE_METHODS)
    for method in sinew.client.ROUTE_METHODS.values():
        assert callable(getattr(sinew.Client, method)), method


def test_chain_and_blocks(client):
    health = client.health()
    assert health["chain_id"] == "sinew-devnet" == client.chain_id()
    assert client.height() >= 1
    assert client.chain()["chain_id"] == "sinew-devnet"
    assert int(client.params()["max_blob_bytes"]) > 0
    assert "sinew_" in client.metrics()
    assert "/v1/chain" in client.openapi()["paths"]
    latest = client.latest_block()["header"]
    by_height = client.block(latest["height"])
    assert by_height["header"] == latest
    assert client.block(client.block(latest["height"])["hash"])["header"] == latest
    page = client.blocks(limit=3)
    heights = [b["header"]["height"] for b in page["blocks"]]
    assert heights == sorted(heights, reverse=True) and len(heights) == 3
    # The demo's batch block holds thousands of transfers: read a slice of it.
    headers = []
    before = None
    while True:
        p = client.blocks(before=before, limit=100)
        headers += [b["header"] for b in p["blocks"]]
        if not p.get("next"):
            break
        before = p["next"]
    busiest = max(headers, key=lambda h: h["tx_count"])
    assert busiest["tx_count"] > 1000
    txs = client.block_txs(busiest["height"], start=10, limit=5)
    assert len(txs["txs"]) == 5 and txs["from"] == 10
    assert all(t["receipt"]["status"] == "success" for t in txs["txs"])
    assert len(client.receipts(busiest["height"])["receipts"]) == busiest["tx_count"]
    assert client.validators()["validators"] == []  # one node: the single-node sequencer
    assert client.consensus()["engine"] == "sequencer"
    assert client.consensus()["finalized_height"] >= latest["height"]


def test_send_transfer_moves_exactly_the_amount(devnet, client):
    alice = devnet.fund(10 * TOKEN)
    bob = sinew.Key.generate()
    done = client.send(alice, payloads.transfer(bob, 3 * TOKEN))
    assert done["height"] >= 1 and len(done["tx_id"]) == 64
    fee = int(done["receipt"]["fee"])
    assert client.balance(bob) == 3 * TOKEN
    assert client.balance(alice) == 7 * TOKEN - fee
    status = client.tx(done["tx_id"])
    assert status["status"] == "committed" and status["height"] == done["height"]
    history = client.activity(bob)
    assert [e["kind"] for e in history["events"]] == ["transfer"]
    assert history["events"][0]["amount"] == str(3 * TOKEN)


def test_a_refused_transaction_raises_with_the_ledger_code_and_changes_nothing(devnet, client):
    poor = devnet.fund(1 * TOKEN)
    before = client.account(poor)
    with pytest.raises(sinew.TxError) as e:
        client.send(poor, payloads.transfer(sinew.Key.generate(), 5 * TOKEN))
    assert e.value.code == "insufficient_balance", e.value.code
    assert len(e.value.tx_id) == 64
    after = client.account(poor)["account"]
    if isinstance(e.value, sinew.TxRefused):
        assert after == before["account"]
    else:
        # Included and failed: it paid its fee, used its nonce, and moved nothing else.
        assert isinstance(e.value, sinew.TxFailed)
        fee = int(client.tx(e.value.tx_id)["receipt"]["fee"])
        assert int(after["balance"]) == int(before["account"]["balance"]) - fee
        assert after["nonce"] == before["account"]["nonce"] + 1


def test_build_then_submit(devnet, client):
    k = devnet.fund(2 * TOKEN)
    tx = client.build(k, payloads.transfer(sinew.Key.generate(), 1))
    assert tx["tx"]["nonce"] == 0
    reply = client.submit(tx)
    assert reply["status"] == "committed"
    txs = [client.build(k, payloads.transfer(sinew.Key.generate(), 1), nonce=n) for n in (1, 2)]
    batch = client.submit_batch(txs)
    assert batch["accepted"] == 2 and len(batch["results"]) == 2
    assert client.account(k)["account"]["nonce"] == 3


def test_account_proofs_are_checked(devnet, client):
    acct = client.account(devnet.key(0))
    assert acct["exists"]
    text = json.dumps(acct)
    proven = json.loads(sinew.verify_account(text))
    assert proven == acct["account"]
    # A node lying about the balance is caught: the proof no longer matches.
    lie = json.loads(text)
    lie["account"]["balance"] = str(int(lie["account"]["balance"]) + 1)
    with pytest.raises(sinew.ProofError):
        sinew.verify_account(json.dumps(lie))
    # Checked against a root the caller trusts, which is not the proof's.
    with pytest.raises(sinew.ProofError):
        sinew.verify_account(text, root="00" * 32)
    # A proof of another account passed off as this one.
    other = client.account(devnet.key(1))
    swapped = json.loads(text)
    swapped["proof"] = other["proof"]
    with pytest.raises(sinew.ProofError):
        sinew.verify_account(json.dumps(swapped))
    # A recent past height has its own proof, checked too.
    h = client.height() - 1
    assert client.account(devnet.key(0), height=h)["proof"]["height"] == h


def test_key_files_as_the_cli_writes_them(devnet, tmp_path):
    assert devnet.key(0).address == sinew.Key.dev("devnet-0").address
    k = sinew.Key.generate()
    path = k.save("alice", passphrase="correct horse", keystore=str(tmp_path))
    assert Path(path).exists()
    assert sinew.Key.load("alice", passphrase="correct horse", keystore=str(tmp_path)).address == k.address
    assert sinew.Key.load(str(path), passphrase="correct horse").address == k.address
    with pytest.raises(sinew.KeyFileError):
        sinew.Key.load("alice", passphrase="wrong", keystore=str(tmp_path))
    with pytest.raises(sinew.KeyFileError):
        sinew.Key.load("alice", keystore=str(tmp_path))  # encrypted: needs the passphrase
    with pytest.raises(sinew.KeyFileError):
        sinew.Key.load("nobody", keystore=str(tmp_path))
    with pytest.raises(sinew.KeyFileError):
        k.save("alice", keystore=str(tmp_path))  # never overwrites
    sig = k.sign(b"I own this address")
    assert len(sig) == 64 and sinew.Key.verify(k.address, b"I own this address", sig)
    assert not sinew.Key.verify(k.address, b"something else", sig)
    assert not sinew.Key.verify(sinew.Key.generate().address, b"I own this address", sig)
    seed = "11" * 32
    assert sinew.Key.from_seed(seed).address == sinew.Key.from_seed(seed).address
    with pytest.raises(sinew.InvalidInput):
        sinew.Key.from_seed("xyz")


def test_bad_input_raises_clearly_and_sends_nothing(devnet, client):
    height = client.height()
    with pytest.raises(sinew.InvalidInput):
        client.account("not-an-address")
    with pytest.raises(ValueError):
        client.task("12" * 31)
    with pytest.raises(sinew.InvalidInput):
        client.send(devnet.key(0), {"module": "staking", "type": "transfer", "to": "00" * 32, "amount": "1", "x": 1})
    with pytest.raises(sinew.InvalidInput):
        client.send(devnet.key(0), {"module": "staking", "type": "teleport"})
    with pytest.raises(sinew.InvalidInput):
        payloads.transfer(sinew.Key.generate(), -5)
    with pytest.raises(sinew.InvalidInput):
        sinew.Client("localhost:8645")
    assert client.height() == height, "no refused input may produce a transaction"


def test_unknown_ids_are_not_found(client):
    with pytest.raises(sinew.NotFound) as e:
        client.datanet(987654)
    assert e.value.status == 404 and isinstance(e.value, LookupError)
    with pytest.raises(sinew.NotFound):
        client.model(987654)
    with pytest.raises(sinew.NotFound):
        client.task("ab" * 32)
    with pytest.raises(sinew.NotFound):
        client.block(10**9)
    with pytest.raises(sinew.NotFound):
        client.tx("cd" * 32)
    with pytest.raises(sinew.NotFound):
        client.blob("ef" * 32)


def test_a_node_that_is_down_raises_unreachable():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = sinew.Client(f"http://127.0.0.1:{port}")
    with pytest.raises(sinew.Unreachable):
        down.health()
    with pytest.raises(ConnectionError):
        down.send(sinew.Key.generate(), payloads.transfer(sinew.Key.generate(), 1))


def test_blobs_round_trip_with_progress(client):
    data = b"some bytes " * 20_000
    seen = []
    stored = client.upload_blob(data, seen.append)
    assert stored["size"] == len(data) and sum(seen) == len(data)
    assert client.blob(stored["blob"]) == data
    with pytest.raises(sinew.Unreachable):
        client.blob(stored["blob"], max_bytes=10)


def test_events_arrive_as_an_iterator(devnet, client):
    k = devnet.fund(2 * TOKEN)
    target = sinew.Key.generate()
    stream = client.events(account=target.address)
    got = []

    def take():
        got.append(next(stream))

    t = threading.Thread(target=take, daemon=True)
    t.start()
    # The stream starts at the next durable block: keep sending until the event arrives.
    for _ in range(50):
        client.send(k, payloads.transfer(target, 7))
        t.join(timeout=0.3)
        if got:
            break
    assert got, "no event arrived"
    assert got[0]["kind"] == "transfer" and got[0]["to"] == target.address


def test_every_read_route_answers(devnet, client):
    """The read routes not exercised elsewhere, each with a real argument."""
    assert any(p["name"] == "devnet gateway" for p in client.providers()["providers"])
    assert client.datanet_models(0)["models"][0]["info"]["name"] == "rivers-lm-0"
    assert [m["id"] for m in client.served_models()["data"]] == ["rivers-lm-0"]
    key = "03" + devnet.key(0).address  # an account's state key
    proven = client.state_value(key)
    assert proven["key"] == key and proven["value"]
    with pytest.raises(sinew.InvalidInput):
        client.state_value("xyz")
    with pytest.raises(sinew.NotFound):
        client.finalization(1)  # one node: blocks are final by the sequencer, no certificates
    model = client.model(0)
    assert model["model"]["info"]["name"] == "rivers-lm-0" and model["lineage"][0]["datanet"] == 0
    receipt = client.attribute_to_model(0, "Most rivers begin as many small streams in high ground")
    assert len(receipt["digest"]) == 64
    agent = client.agents(limit=1)["agents"][0]["agent"]["address"]
    assert client.agent(agent)["agent"]["address"] == agent
    assert client.activity(devnet.key(1), rewards=True)["events"][0]["kind"] == "reward_accrued"
    tasks = client.tasks(limit=1)["tasks"]
    assert client.task_history(tasks[0]["id"])["events"]


def test_a_contribution_shows_its_progress_bar(devnet, client, capsys):
    need("tqdm")
    owner = devnet.fund(10 * TOKEN)
    done = client.send(owner, payloads.create_datanet("py-progress", "a progress bar"))
    id = next(e["datanet"] for e in done["receipt"]["events"] if e["kind"] == "datanet_created")
    sinew.contribute(client, owner, id, ["one line of text " * 200, "another"], progress=True)
    assert "datanet" in capsys.readouterr().err
