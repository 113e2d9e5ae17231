"""`sinew mcp` driven by the official Python MCP client (PyPI `mcp`): the tools and resources it
lists, an agent's loop done through tools alone (discover a task, ask a model, submit, get paid),
and malformed arguments and over-limit spends refused with MCP errors that change nothing."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import sinew
from conftest import need
from sinew import payloads

TOKEN = sinew.TOKEN
ROOT = Path(__file__).resolve().parents[2]
SINEW = os.environ.get("SINEW_BIN") or str(ROOT / "target" / "debug" / "sinew")
PAYING = {"ask_model", "post_task", "claim_task", "register_agent"}


def text(result) -> dict:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


@pytest.fixture(scope="module")
def agent_key(devnet, tmp_path_factory):
    """A funded key saved as a key file, for the MCP server to act with."""
    k = devnet.fund(20 * TOKEN)
    dir = tmp_path_factory.mktemp("mcp-keys")
    path = k.save("agent", keystore=str(dir))
    return k, str(path)


def stdio(devnet, key_path, per_call="1", total="2"):
    mcp = need("mcp")
    return mcp.Client(
        mcp.StdioServerParameters(
            command=SINEW,
            args=["--url", devnet.url, "mcp", "--key", key_path, "--max-per-call", per_call, "--max-spend", total],
        )
    )


def run(coro):
    return asyncio.run(coro)


def test_tools_and_resources_are_described(devnet, agent_key):
    async def go():
        async with stdio(devnet, agent_key[1]) as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
            templates = (await c.list_resource_templates()).resource_templates
            resources = (await c.list_resources()).resources
            model = await c.read_resource("sinew://models/0")
            datanet = await c.read_resource("sinew://datanets/0")
            return tools, templates, resources, model, datanet

    tools, templates, resources, model, datanet = run(go())
    expected = {
        "find_datanets", "read_records", "attribute_text", "find_models", "ask_model", "list_tasks", "get_task",
        "post_task", "claim_task", "submit_result", "review_result", "finalize_task", "register_agent", "get_account",
    }
    assert expected <= set(tools), set(tools)
    for name, t in tools.items():
        assert len(t.description) > 40 and t.input_schema["type"] == "object", name
        assert ("MOVES TOKENS" in t.description) == (name in PAYING), name
    assert {t.uri_template for t in templates} == {"sinew://datanets/{id}", "sinew://models/{id}", "sinew://tasks/{id}"}
    assert {"sinew://datanets/0", "sinew://models/0"} <= {str(r.uri) for r in resources}
    card = json.loads(model.contents[0].text)
    assert card["name"] == "rivers-lm-0" and card["lineage"][0]["datanet"] == 0 and card["input_per_1k_tokens"]
    assert json.loads(datanet.contents[0].text)["datanet"]["info"]["name"] == "rivers-and-lakes"


def test_an_agent_loop_through_tools_alone(devnet, client, agent_key):
    key, path = agent_key
    poster = devnet.fund(20 * TOKEN)
    start = client.balance(key)

    def post() -> str:
        """The poster (not the agent) posts a task once an agent takes its kind."""
        spec = client.upload_blob(b"Ask the model rivers-lm-0: 'Most rivers begin as' and submit its answer.")["blob"]
        posted = client.send(poster, payloads.post_task("mcp/answer", spec, 2 * TOKEN, client.height() + 500, 100, TOKEN // 10))
        return next(e["task"] for e in posted["receipt"]["events"] if e["kind"] == "task_posted")

    async def go():
        async with stdio(devnet, path) as c:
            found = text(await c.call_tool("find_datanets", {"text": "rivers"}))
            assert found["datanets"][0]["name"] == "rivers-and-lakes"
            recs = text(await c.call_tool("read_records", {"datanet": 0, "version": 1, "limit": 3}))
            assert len(recs["records"]) == 3
            attr = text(await c.call_tool("attribute_text", {"datanet": 0, "version": 1, "text": recs["records"][1]["text"], "min_len": 16}))
            assert attr["spans"] and attr["weights_ppm"]
            text(await c.call_tool("register_agent", {"name": "mcp agent", "capabilities": ["mcp/answer"], "stake": "0.5"}))
            task = post()
            open_tasks = text(await c.call_tool("list_tasks", {"status": "open", "kind": "mcp/answer"}))["tasks"]
            assert [t["id"] for t in open_tasks] == [task]
            card = text(await c.call_tool("get_task", {"task": task}))
            assert "rivers-lm-0" in card["spec"]
            text(await c.call_tool("claim_task", {"task": task}))
            models = text(await c.call_tool("find_models", {"text": "rivers"}))["models"]
            answer = text(await c.call_tool("ask_model", {"model": models[0]["name"], "prompt": "Most rivers begin as", "max_tokens": 48}))
            assert answer["answer"] and answer["spans"] and answer["contributors"]
            assert answer["fee_confirmed_by_ledger"] and float(answer["fee"]) > 0
            text(await c.call_tool("submit_result", {"task": task, "result": answer["answer"]}))
            return answer, task

    answer, task = run(go())
    assert client.task(task)["task"]["status"] == "submitted"
    assert client.blob(client.task(task)["task"]["result"]).decode() == answer["answer"]
    client.send(poster, payloads.review_result(task, True))

    async def after():
        async with stdio(devnet, path) as c:
            return text(await c.call_tool("get_account", {}))

    acct = run(after())
    assert acct["agent"]["reputation"]["completed"] == 1
    # Got the reward (2) and the bond back; locked 0.5 of stake, moved 1 to prepaid, paid fees.
    assert client.task(task)["task"]["status"] == "completed"
    assert client.balance(key) > start + TOKEN // 4
    assert acct["session"]["spent"] == "0"  # a new session: its own budget


def test_malformed_arguments_and_over_limit_spends_are_refused_and_change_nothing(devnet, client, agent_key):
    mcp = need("mcp")
    key, path = agent_key
    taker = devnet.fund(5 * TOKEN)
    client.send(taker, payloads.register_agent("limit taker", ["mcp/limit"], "", TOKEN))
    before = client.account(key)["account"]

    async def go():
        async with stdio(devnet, path, per_call="0.5", total="1") as c:
            errors = []
            for name, args in [
                ("claim_task", {"task": "not-hex"}),
                ("claim_task", {}),
                ("read_records", {"datanet": "zero"}),
                ("find_datanets", {"text": "x", "surprise": 1}),
                ("post_task", {"kind": "k", "spec": "s", "reward": "-1"}),
                ("post_task", {"kind": "k", "spec": "s", "reward": "5"}),  # over the per-call limit
                ("register_agent", {"name": "n", "capabilities": ["k"], "stake": "0.6"}),
            ]:
                # Refused either as a protocol error or as a tool error the model can correct
                # (MCP's convention for arguments that fail their schema).
                try:
                    r = await c.call_tool(name, args)
                    assert r.is_error, (name, args)
                    errors.append((name, r.content[0].text))
                except mcp.MCPError as e:
                    errors.append((name, e.error.message))
            # Within the per-call limit, but not twice within the session's.
            first = text(await c.call_tool("post_task", {"kind": "mcp/limit", "spec": "one", "reward": "0.4"}))
            second = text(await c.call_tool("post_task", {"kind": "mcp/limit", "spec": "two", "reward": "0.4"}))
            with pytest.raises(mcp.MCPError) as e:
                await c.call_tool("post_task", {"kind": "mcp/limit", "spec": "three", "reward": "0.4"})
            errors.append(("post_task", e.value.error.message))
            acct = text(await c.call_tool("get_account", {}))
            return errors, first, second, acct

    errors, first, second, acct = run(go())
    assert any("per-call" in m for _, m in errors) and "session limit" in errors[-1][1], errors
    assert "unknown field `surprise`" in errors[3][1] and "64 hex" in errors[0][1]
    assert acct["session"]["spent"] == "0.8" and acct["session"]["available_now"] == "0.2"
    after = client.account(key)["account"]
    # Only the two posts within the limits happened: two transactions, two escrows and their fees.
    assert after["nonce"] == before["nonce"] + 2
    fees = sum(int(client.tx(t["tx"])["receipt"]["fee"]) for t in (first, second))
    assert int(after["balance"]) == int(before["balance"]) - 8 * TOKEN // 10 - fees


def test_streamable_http_serves_sessions_and_refuses_remote_binds(devnet, agent_key):
    mcp = need("mcp")
    _, path = agent_key
    refused = subprocess.run([SINEW, "--url", devnet.url, "mcp", "--key", path, "--http", "0.0.0.0:0"], capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "loopback" in refused.stderr
    proc = subprocess.Popen([SINEW, "--url", devnet.url, "mcp", "--key", path, "--http", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        url = re.search(r"(http://\S+/mcp)", line).group(1)

        async def go():
            async with mcp.Client(url) as c:
                tools = (await c.list_tools()).tools
                acct = text(await c.call_tool("get_account", {}))
                return tools, acct

        tools, acct = run(go())
        assert len(tools) >= 14 and acct["address"] == agent_key[0].address
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_http_sessions_keep_their_own_limits_inside_the_servers(devnet, client, agent_key):
    mcp = need("mcp")
    key, path = agent_key
    taker = devnet.fund(5 * TOKEN)
    client.send(taker, payloads.register_agent("http taker", ["mcp/http"], "", TOKEN))
    args = ["--max-per-call", "0.5", "--max-spend", "0.5", "--max-spend-server", "0.6"]
    proc = subprocess.Popen([SINEW, "--url", devnet.url, "mcp", "--key", path, "--http", "127.0.0.1:0", *args], stderr=subprocess.PIPE, text=True)
    post = {"kind": "mcp/http", "spec": "a task", "reward": "0.4"}
    try:
        url = re.search(r"(http://\S+/mcp)", proc.stderr.readline()).group(1)

        async def refused(c, args) -> str:
            with pytest.raises(mcp.MCPError) as e:
                await c.call_tool("post_task", args)
            return e.value.error.message

        async def go():
            async with mcp.Client(url) as one, mcp.Client(url) as two:
                text(await one.call_tool("post_task", post))
                session = await refused(one, post)  # 0.8 > the session's 0.5
                server = await refused(two, post)  # a fresh session, but 0.8 > the server's 0.6
                text(await two.call_tool("post_task", {**post, "spec": "another task", "reward": "0.2"}))
                return session, server

        session, server = run(go())
        assert "session limit" in session and "server limit" in server
    finally:
        proc.terminate()
        proc.wait(timeout=20)
