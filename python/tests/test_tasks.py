"""Agents and tasks from Python: post with escrow, claim with a bond, submit, accept, get paid;
and a claim nobody may make twice."""

from __future__ import annotations

import json

import pytest

import sinew
from sinew import payloads

TOKEN = sinew.TOKEN


def test_post_claim_submit_accept_pays_the_agent(devnet, client):
    poster = devnet.fund(50 * TOKEN)
    agent = devnet.fund(50 * TOKEN)
    client.send(agent, payloads.register_agent("py agent", ["py/summarize"], "https://agent.example", 10 * TOKEN))
    assert client.agent(agent)["agent"]["name"] == "py agent"
    assert any(a["agent"]["address"] == agent.address for a in client.agents(capability="py/summarize")["agents"])

    spec = client.upload_blob(json.dumps({"summarize": "rivers"}).encode())["blob"]
    h = client.height()
    posted = client.send(poster, payloads.post_task("py/summarize", spec, 5 * TOKEN, h + 500, 100, TOKEN, {"mode": "poster", "window": 20}))
    task = next(e for e in posted["receipt"]["events"] if e["kind"] == "task_posted")["task"]
    assert client.task(task)["task"]["status"] == "open"
    assert any(t["id"] == task for t in client.tasks(status="open", kind="py/summarize")["tasks"])

    client.send(agent, payloads.claim_task(task))
    with pytest.raises(sinew.TxRefused) as e:
        client.send(devnet.fund(20 * TOKEN), payloads.claim_task(task))
    assert e.value.code == "unknown_agent"
    rival = devnet.fund(20 * TOKEN)
    client.send(rival, payloads.register_agent("rival", ["py/summarize"], "", 10 * TOKEN))
    rival_before = client.account(rival)["account"]
    with pytest.raises(sinew.TxRefused) as e:
        client.send(rival, payloads.claim_task(task))
    assert e.value.code == "already_claimed"
    assert client.account(rival)["account"] == rival_before  # refused: no fee, no nonce
    result = client.upload_blob(b"Rivers run downhill to the sea.")["blob"]
    client.send(agent, payloads.submit_result(task, result))
    before = client.balance(agent)
    client.send(poster, payloads.review_result(task, True))
    assert client.task(task)["task"]["status"] == "completed"
    assert client.balance(agent) >= before + 5 * TOKEN  # the reward, and its bond back
    kinds = [e["kind"] for e in client.task_history(task)["events"]]
    assert kinds[0] == "task_completed" and kinds[-1] == "task_posted"  # newest first
    assert client.agent(agent)["reputation"]["completed"] == 1
