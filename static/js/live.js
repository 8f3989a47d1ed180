// The back office follows its orders without a reload: every second, ask for this page again
// with the version it shows (If-None-Match). The shop answers 304 until something changed, then
// the new page; its [data-live] parts replace ours, but never one that holds a form field staff
// are in or have typed into (that part waits for the next change after they leave it).
// Without JavaScript, the page is what it always was: reload to see news.
(function () {
  "use strict";
  var EVERY_MS = 1000;
  var AFTER_ERROR_MS = 5000;
  var main = document.querySelector("main[data-live-etag]");
  if (!main || !window.fetch || !window.DOMParser) return;
  var etag = main.getAttribute("data-live-etag");
  var timer = null;

  function quoted(tag) {
    return /^(W\/)?"/.test(tag) ? tag : '"' + tag + '"';
  }

  function dirty(part) {
    if (part.contains(document.activeElement) && document.activeElement !== part) return true;
    var fields = part.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden") continue;
      if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.tagName === "SELECT") {
        for (var j = 0; j < f.options.length; j++) {
          if (f.options[j].selected !== f.options[j].defaultSelected) return true;
        }
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    return false;
  }

  function openDetails(part) {
    var open = [];
    part.querySelectorAll("li[id] details[open]").forEach(function (d) {
      var li = d.closest("li[id]");
      open.push([li.id, Array.prototype.indexOf.call(li.querySelectorAll("details"), d)]);
    });
    return open;
  }

  function reopen(part, open) {
    open.forEach(function (o) {
      var li = part.querySelector("#" + CSS.escape(o[0]));
      var d = li && li.querySelectorAll("details")[o[1]];
      if (d) d.open = true;
    });
  }

  // True if every part was brought up to date.
  function swap(fresh) {
    var all = true;
    fresh.querySelectorAll("[data-live]").forEach(function (next) {
      var name = next.getAttribute("data-live");
      var here = document.querySelector('[data-live="' + CSS.escape(name) + '"]');
      if (!here || here.isEqualNode(next)) return;
      if (dirty(here)) {
        all = false;
        return;
      }
      var open = openDetails(here);
      here.replaceWith(next);
      reopen(next, open);
    });
    return all;
  }

  function later(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  function poll() {
    if (document.hidden) return; // resumed by visibilitychange
    fetch(window.location.href, {
      headers: { "X-Live-Poll": "1", "If-None-Match": quoted(etag) },
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
    })
      .then(function (response) {
        if (response.status === 304) return later(EVERY_MS);
        if (response.status !== 200) return later(AFTER_ERROR_MS); // logged out, or the shop is busy
        var next = response.headers.get("ETag");
        return response.text().then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          if (swap(fresh) && next) etag = next.replace(/^W\//, "").replace(/^"|"$/g, "");
          later(EVERY_MS);
        });
      })
      .catch(function () {
        later(AFTER_ERROR_MS);
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) later(0);
  });
  later(EVERY_MS);
})();
