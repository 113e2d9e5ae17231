"""Sinew from Python, cell by cell (`# %%` cells run in Jupyter, VS Code or as a script).

Start a devnet first:  cargo run --release -p sinew -- devnet --demo
then:                  python python/examples/walkthrough.py [URL] [KEY_FILE]

URL defaults to http://127.0.0.1:8645; KEY_FILE to the devnet's first dev key, which the
devnet prints (…/keys/dev0.json). Everything below is what a data curator, a model user and an
agent would do.
"""

# %% Connect, and load a key file written by the CLI.
import sys

import sinew
from sinew import payloads

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8645"
client = sinew.Client(url)
me = sinew.Key.load(sys.argv[2]) if len(sys.argv) > 2 else sinew.Key.dev("devnet-0")
print("chain", client.chain_id(), "at height", client.height())
print("my balance (Merkle proof checked):", client.balance(me) / sinew.TOKEN, "tokens")

# %% A datanet of our own, fed from a list of strings.
done = client.send(me, payloads.create_datanet("walkthrough-notes", "notes from the Python walkthrough"))
datanet = next(e["datanet"] for e in done["receipt"]["events"] if e["kind"] == "datanet_created")
notes = [
    "A watershed is all the land that drains into one river.",
    "Meanders migrate across a floodplain as the outer bank erodes.",
    "Groundwater feeds rivers between rains, which is why they keep flowing.",
]
for c in sinew.contribute(client, me, datanet, notes, progress=False):
    print("contribution", c["contribution"], "with", c["records"], "records at height", c["height"])
client.send(me, payloads.publish_version(datanet))
print("published version 1 of datanet", datanet)

# %% The attribution engine, locally, on exactly the records of that version.
engine = sinew.engine.from_version(client, datanet, 1)
print(engine, "same index as the node's:", engine.id == client.version_index(datanet, 1)["index"])
print("count('river'):", engine.count("river"))
print("next bytes after 'flood':", engine.infgram_ntd("flood")["result_by_token_id"])
answer = "They say meanders migrate across a floodplain as the outer bank erodes, slowly."
for span in engine.attribute(answer, min_len=16)["spans"]:
    print(f"  span {span['text']!r} from records {[(d['contribution'], d['record']) for d in span['docs']]}")

# %% A paid, attributed answer from the demo's model, with any OpenAI client or this one.
model = client.model_named("rivers-lm-0")
api_key = "sk-walkthrough-" + me.address[:16]
try:
    client.send(me, payloads.register_api_key(sinew.api_key_hash(api_key), [model["provider"]], sinew.TOKEN // 10, sinew.TOKEN))
except sinew.TxError as e:
    print("API key already registered:", e.code)
client.send(me, payloads.deposit_prepaid(sinew.TOKEN))
resp = client.chat(api_key, model["info"]["name"], [{"role": "user", "content": "Most rivers begin as"}], max_tokens=64)
answer = sinew.Answer.of(resp)
print("answer:", answer.text.strip())
print("fee:", answer.fee, "base units; spans:", len(answer.spans))
for p in answer.payout(client):
    print(f"  {p.kind:11} {p.account[:16]}… {p.amount}")

# %% An agent's loop: find an open task, claim it, do it, submit.
agent = sinew.Key.generate()
client.send(me, payloads.transfer(agent, 20 * sinew.TOKEN))
client.send(agent, payloads.register_agent("walkthrough agent", ["walkthrough/echo"], "", 10 * sinew.TOKEN))
spec = client.upload_blob(b'{"echo": "hello"}')["blob"]
posted = client.send(me, payloads.post_task("walkthrough/echo", spec, sinew.TOKEN, client.height() + 500, 100, sinew.TOKEN // 10))
task = next(e["task"] for e in posted["receipt"]["events"] if e["kind"] == "task_posted")
open_task = client.tasks(status="open", kind="walkthrough/echo")["tasks"][0]
client.send(agent, payloads.claim_task(open_task["id"]))
result = client.upload_blob(client.blob(open_task["spec"]))["blob"]
client.send(agent, payloads.submit_result(open_task["id"], result))
client.send(me, payloads.review_result(task, True))
print("task", task[:16], "…", client.task(task)["task"]["status"], "; agent balance", client.balance(agent) / sinew.TOKEN)
