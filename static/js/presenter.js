// The presenter view's live timeline: ask for the order's story every second; a 304 (If-None-Match)
// while nothing changed, new HTML the moment a call to Points or a webhook is recorded.
(function () {
  "use strict";
  var pane = document.querySelector("[data-poll-url]");
  if (!pane) return;
  var url = pane.getAttribute("data-poll-url");
  var every = parseInt(pane.getAttribute("data-poll-ms"), 10) || 1000;
  var etag = null;

  function poll() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 200) {
          etag = response.headers.get("ETag");
          return response.text().then(function (html) {
            pane.innerHTML = html;
            pane.setAttribute("data-etag", etag || "");
          });
        }
        return null;
      })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { window.setTimeout(poll, every); });
  }
  poll();
})();
