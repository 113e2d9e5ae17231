// Sinew explorer: live updates (the node's health every two seconds; on the home page, paid
// answers as they settle, over the event stream). Pages are complete without this
// script; it only keeps the home page's head current and says when the node is unreachable.
(function () {
  "use strict";
  var note = document.getElementById("live");
  function say(text) { if (note) { note.textContent = text; } }
  function poll() {
    fetch("/health", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (h) {
      var head = document.getElementById("head-height");
      if (head) {
        var a = head.querySelector("a");
        if (a) { a.textContent = "#" + h.height.toLocaleString("en-US"); a.href = "/blocks/" + h.height; }
      }
      var pending = document.getElementById("pending");
      if (pending) { pending.textContent = String(h.pending); }
      say("Live: height " + h.height.toLocaleString("en-US") + ", " + h.pending + " pending.");
    }).catch(function () {
      say("The node is unreachable: figures on this page may be stale.");
    });
  }
  if (window.fetch) {
    poll();
    setInterval(poll, 2000);
  }
  // On the home page, paid answers arrive as they settle, over the node's event stream (relayed
  // by the explorer at /live, one subscription for all pages). If the relay refuses (too many
  // viewers) or drops, the page reads the latest answers every few seconds instead.
  var answers = document.getElementById("latest-answers-body");
  function tokens(units) {
    var v = BigInt(units), one = BigInt("1000000000000000000");
    var whole = (v / one).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var frac = (v % one).toString().padStart(18, "0").replace(/0+$/, "");
    return frac ? whole + "." + frac : whole;
  }
  function short(h) { return h.slice(0, 8) + "…" + h.slice(-6); }
  function row(e) {
    var tr = document.createElement("tr");
    function cell(href, text, cls) {
      var td = document.createElement("td");
      if (cls) { td.className = cls; }
      if (href) { var a = document.createElement("a"); a.href = href; a.textContent = text; td.appendChild(a); }
      else { td.textContent = text; }
      tr.appendChild(td);
    }
    cell("/answers/" + e.tx_id, short(e.tx_id));
    cell("/models/" + e.model, "model " + e.model);
    cell("/accounts/" + e.payer, short(e.payer));
    cell(null, tokens(e.fee), "num");
    return tr;
  }
  function prepend(e) {
    if (answers.querySelector('a[href="/answers/' + e.tx_id + '"]')) { return; }
    answers.insertBefore(row(e), answers.firstChild);
    while (answers.children.length > 10) { answers.removeChild(answers.lastChild); }
  }
  function refreshAnswers() {
    fetch("/v1/answers?limit=10", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (page) {
      var first = answers.querySelector("tr a");
      if (!page.events.length || (first && first.getAttribute("href") === "/answers/" + page.events[0].tx_id)) { return; }
      while (answers.firstChild) { answers.removeChild(answers.firstChild); }
      page.events.forEach(function (e) { answers.appendChild(row(e)); });
    }).catch(function () {});
  }
  var polling = null;
  function pollAnswers() { if (!polling) { refreshAnswers(); polling = setInterval(refreshAnswers, 3000); } }
  if (answers && window.fetch && window.BigInt) {
    if (window.EventSource) {
      var stream = new EventSource("/live");
      stream.addEventListener("inference_settled", function (m) { prepend(JSON.parse(m.data)); });
      // The relay (re)subscribed: catch up on what settled meanwhile, once.
      stream.addEventListener("resync", refreshAnswers);
      // And what settled between this page's rendering and its subscription.
      stream.onopen = refreshAnswers;
      stream.onerror = function () { if (stream.readyState === EventSource.CLOSED) { pollAnswers(); } };
    } else {
      pollAnswers();
    }
  }
})();
