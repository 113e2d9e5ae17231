// Sinew explorer: live updates (the node's health every two seconds; on the home page, the
// latest paid answers every three). Pages are complete without this
// script; it only keeps the home page's head current and says when the node is unreachable.
(function () {
  "use strict";
  var live = document.getElementById("live");
  function say(text) { if (live) { live.textContent = text; } }
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
  // On the home page, the latest paid answers are read again every few seconds (from the
  // answers index: a bounded read, and no event-stream slot held by an idle tab).
  var answers = document.getElementById("latest-answers-body");
  function tokens(units) {
    var v = BigInt(units), one = BigInt("1000000000000000000");
    var whole = (v / one).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var frac = (v % one).toString().padStart(18, "0").replace(/0+$/, "");
    return frac ? whole + "." + frac : whole;
  }
  function short(h) { return h.slice(0, 8) + "…" + h.slice(-6); }
  function refreshAnswers() {
    fetch("/v1/answers?limit=10", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (page) {
      var first = answers.querySelector("tr a");
      if (!page.events.length || (first && first.getAttribute("href") === "/answers/" + page.events[0].tx_id)) { return; }
      while (answers.firstChild) { answers.removeChild(answers.firstChild); }
      page.events.forEach(function (e) {
        var row = document.createElement("tr");
        function cell(href, text, cls) {
          var td = document.createElement("td");
          if (cls) { td.className = cls; }
          if (href) { var a = document.createElement("a"); a.href = href; a.textContent = text; td.appendChild(a); }
          else { td.textContent = text; }
          row.appendChild(td);
        }
        cell("/answers/" + e.tx_id, short(e.tx_id));
        cell("/models/" + e.model, "model " + e.model);
        cell("/accounts/" + e.payer, short(e.payer));
        cell(null, tokens(e.fee), "num");
        answers.appendChild(row);
      });
    }).catch(function () {});
  }
  if (answers && window.fetch && window.BigInt) { setInterval(refreshAnswers, 3000); }
})();
