// Sinew explorer's playground: a streamed chat completion through the node's OpenAI-compatible
// endpoint, its attribution (the `sinew` field), then its settlement once it is final.
(function () {
  "use strict";
  var form = document.getElementById("ask");
  if (!form) { return; }
  var $ = function (id) { return document.getElementById(id); };
  function text(el, t) { el.textContent = t; }

  function waitForSettlement(tx, tries) {
    fetch("/v1/txs/" + tx, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
      if (s.status === "committed") {
        var el = $("settlement");
        el.textContent = "Settled in block " + s.height + ": ";
        var a = document.createElement("a");
        a.href = "/answers/" + tx;
        a.id = "answer-link";
        a.textContent = "see who was paid what";
        el.appendChild(a);
        el.className = "ok";
      } else if (tries > 0) {
        setTimeout(function () { waitForSettlement(tx, tries - 1); }, 500);
      } else {
        text($("settlement"), "The settlement " + tx + " is not final yet; look it up later.");
      }
    }).catch(function () { text($("settlement"), "The node is unreachable."); });
  }

  function showSinew(s) {
    text($("attribution"), s.spans.length + " spans attributed; fee " + s.fee + " base units (at most " + s.held + " held).");
    var ul = $("weights");
    ul.innerHTML = "";
    s.weights.forEach(function (w) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/accounts/" + w.contributor;
      a.textContent = w.contributor.slice(0, 8) + "…";
      li.appendChild(a);
      li.appendChild(document.createTextNode(" contribution " + w.datanet + "#" + w.contribution + ": " + (w.ppm / 10000).toFixed(4) + "%"));
      ul.appendChild(li);
    });
    text($("settlement"), "Waiting for the settlement to be final…");
    waitForSettlement(s.settlement_tx, 60);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    $("result").hidden = false;
    text($("answer"), "");
    text($("attribution"), "");
    $("weights").innerHTML = "";
    text($("settlement"), "");
    $("settlement").className = "";
    $("go").disabled = true;
    var body = {
      model: $("model").value,
      messages: [{ role: "user", content: $("prompt").value }],
      max_tokens: parseInt($("max").value, 10) || 64,
      stream: true
    };
    fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + $("key").value },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) {
        return r.json().then(function (e) { throw new Error((e.error && e.error.message) || ("HTTP " + r.status)); });
      }
      var reader = r.body.getReader(), decoder = new TextDecoder(), buffer = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { return; }
          buffer += decoder.decode(chunk.value, { stream: true });
          var lines = buffer.split("\n");
          buffer = lines.pop();
          lines.forEach(function (line) {
            if (line.indexOf("data: ") !== 0) { return; }
            var data = line.slice(6);
            if (data === "[DONE]") { return; }
            var c = JSON.parse(data);
            var delta = c.choices && c.choices[0] && c.choices[0].delta && c.choices[0].delta.content;
            if (delta) { $("answer").textContent += delta; }
            if (c.sinew) { showSinew(c.sinew); }
          });
          return pump();
        });
      }
      return pump();
    }).catch(function (e) {
      text($("settlement"), "Refused: " + e.message);
      $("settlement").className = "bad";
    }).then(function () { $("go").disabled = false; });
  });
})();
