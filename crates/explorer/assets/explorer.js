// Sinew explorer: live updates (the node's health, every two seconds). Pages are complete without this
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
})();
