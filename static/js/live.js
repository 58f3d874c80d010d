// Live parts of a page (the tally and the roll call while a meeting is in session).
// Every few seconds the page fetches itself and swaps in the elements marked data-live="…":
// the server renders them as always, so there is no second endpoint with its own scope rules.
// Nothing is swapped while the user is typing or choosing in a form, or while the tab is hidden.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-every]");
  if (!root || !window.fetch || !window.DOMParser) { return; }
  var every = Math.max(3, parseInt(root.getAttribute("data-live-every"), 10) || 5) * 1000;

  function busy() {
    var el = document.activeElement;
    return el && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(el.tagName) && el.closest("form");
  }

  function refresh() {
    if (document.hidden || busy()) { return; }
    fetch(window.location.pathname + window.location.search, {credentials: "same-origin", headers: {"X-Live": "1"}})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        if (!fresh.querySelector("[data-live-every]")) {  // the meeting has closed: show it whole
          window.location.reload();
          return;
        }
        document.querySelectorAll("[data-live]").forEach(function (el) {
          var next = fresh.querySelector('[data-live="' + el.getAttribute("data-live") + '"]');
          if (next && next.innerHTML !== el.innerHTML) { el.innerHTML = next.innerHTML; }
        });
      })
      .catch(function () { /* offline for a moment: try again at the next tick */ });
  }

  window.setInterval(refresh, every);
})();
