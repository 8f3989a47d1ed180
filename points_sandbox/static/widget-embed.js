// Inside a widget's iframe (/widget/embed) or its popup (/widget/modal): tells the page that
// loaded it (only its parentOrigin, never "*") its height and what the shopper clicked.
(function () {
  "use strict";
  var body = document.body;
  var parentOrigin = body.getAttribute("data-parent-origin");
  var widgetId = body.getAttribute("data-widget-id");
  if (!parentOrigin || window.parent === window) return;

  function post(type, extra) {
    var message = { source: "points-widget", id: widgetId, type: type };
    for (var key in extra || {}) message[key] = extra[key];
    window.parent.postMessage(message, parentOrigin);
  }

  var last = -1;
  function resize() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      post("resize", { height: height });
    }
  }
  if (window.ResizeObserver) new ResizeObserver(resize).observe(document.documentElement);
  window.addEventListener("load", resize);
  resize();

  var actions = { "open-modal": "open-modal", dismiss: "dismiss", close: "close-modal" };
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-action]");
    if (target && actions[target.getAttribute("data-action")]) post(actions[target.getAttribute("data-action")]);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && body.classList.contains("widget-modal")) post("close-modal");
  });
})();
