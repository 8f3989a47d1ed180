// The Points widgets loader, the sandbox's stand-in for https://business.papp.sa/widget-loader.js
// (docs §10.7). One iframe per widget from {widgetUrl}widget/embed, a skeleton until its first
// size arrives, the popup ({widgetUrl}widget/modal) in an overlay of this page.
// Usage: points_sandbox/README.md, "Widgets". No inline styles or scripts are needed.
(function () {
  "use strict";
  if (window.PointsWidget && window.PointsWidget.version) return; // included twice: keep the first

  var script = document.currentScript;
  var DEFAULT_BASE = script && script.src ? script.src.replace(/widget-loader\.js([?#].*)?$/, "") : "";
  var TYPES = { "points-card": true, installments: true };
  var widgets = [];
  var counter = 0;
  var modal = null;

  function css(element, styles) {
    for (var name in styles) element.style.setProperty(name, styles[name]);
    return element;
  }

  function baseUrl(value) {
    var url = new URL(value || DEFAULT_BASE, location.href);
    if (!/\/$/.test(url.pathname)) url.pathname += "/";
    url.search = "";
    url.hash = "";
    return url;
  }

  function pageUrl(base, path, query) {
    var url = new URL(path, base);
    for (var key in query) if (query[key] !== undefined && query[key] !== null) url.searchParams.set(key, query[key]);
    return url.href;
  }

  function listen(frame, origin, id, handlers) {
    function onMessage(event) {
      var data = event.data;
      if (event.origin !== origin || event.source !== frame.contentWindow) return;
      if (!data || data.source !== "points-widget" || data.id !== id || !handlers[data.type]) return;
      handlers[data.type](data);
    }
    window.addEventListener("message", onMessage);
    return function () {
      window.removeEventListener("message", onMessage);
    };
  }

  function closeModal() {
    if (!modal) return;
    var open = modal;
    modal = null;
    open.stop();
    document.removeEventListener("keydown", open.onKey, true);
    open.overlay.remove();
    document.documentElement.style.overflow = open.overflow;
    if (open.focus && document.contains(open.focus)) open.focus.focus();
  }

  function openModal(widget) {
    closeModal();
    var id = "pwm-" + ++counter;
    var overlay = css(document.createElement("div"), {
      position: "fixed", inset: "0", "z-index": "2147483000", background: "rgba(20, 16, 48, .55)",
      display: "flex", "align-items": "flex-start", "justify-content": "center",
      padding: "24px 12px", overflow: "auto", "box-sizing": "border-box",
    });
    overlay.setAttribute("data-points-widget-overlay", "");
    var dialog = css(document.createElement("div"), { width: "100%", "max-width": "600px", margin: "auto" });
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-modal", "true");
    dialog.setAttribute("aria-label", "Points");
    var frame = css(document.createElement("iframe"), {
      display: "block", width: "100%", height: "480px", border: "0", "border-radius": "28px", background: "transparent",
    });
    frame.title = "Points";
    frame.src = pageUrl(widget.base, "widget/modal", {
      lang: widget.options.lang, points: widget.options.points, parentOrigin: widget.parentOrigin, id: id,
    });
    dialog.appendChild(frame);
    overlay.appendChild(dialog);
    overlay.addEventListener("click", function (event) {
      if (event.target === overlay) closeModal(); // the backdrop, not the popup
    });
    var onKey = function (event) {
      if (event.key === "Escape") closeModal();
    };
    document.addEventListener("keydown", onKey, true);
    modal = {
      widget: widget, overlay: overlay, frame: frame, onKey: onKey, focus: document.activeElement,
      overflow: document.documentElement.style.overflow,
      stop: listen(frame, widget.base.origin, id, {
        resize: function (data) {
          frame.style.height = Math.max(0, Math.ceil(+data.height || 0)) + "px";
        },
        "close-modal": closeModal,
      }),
    };
    document.documentElement.style.overflow = "hidden";
    document.body.appendChild(overlay);
    frame.addEventListener("load", function () {
      frame.focus();
    });
  }

  function init(options) {
    options = options || {};
    var container = typeof options.container === "string" ? document.querySelector(options.container) : options.container;
    if (!container || !container.appendChild) throw new Error("PointsWidget.init: container not found");
    var type = options.type || "points-card";
    if (!TYPES[type]) throw new Error("PointsWidget.init: unknown type " + type);
    var lang = options.lang === "en" ? "en" : "ar";
    var widget = {
      options: { type: type, lang: lang, points: Math.max(0, Math.floor(+options.points || 0)), callbackUrl: options.callbackUrl },
      base: baseUrl(options.widgetUrl),
      parentOrigin: options.parentOrigin || location.origin,
      id: "pw-" + ++counter,
    };
    var root = css(document.createElement("div"), { position: "relative", width: "100%" });
    root.setAttribute("data-points-widget-root", type);
    root.dir = lang === "ar" ? "rtl" : "ltr";
    var skeleton = css(document.createElement("div"), {
      height: type === "installments" ? "56px" : "84px", "border-radius": "16px", background: "#efedf7",
    });
    skeleton.setAttribute("data-points-widget-skeleton", "");
    skeleton.setAttribute("aria-hidden", "true");
    if (skeleton.animate) skeleton.animate([{ opacity: 1 }, { opacity: 0.45 }], { duration: 800, iterations: Infinity, direction: "alternate" });
    var frame = css(document.createElement("iframe"), {
      display: "block", width: "100%", height: "0", border: "0", overflow: "hidden", "color-scheme": "light",
    });
    frame.title = "Points";
    frame.setAttribute("scrolling", "no");
    frame.src = pageUrl(widget.base, "widget/embed", {
      type: type, lang: lang, points: widget.options.points, parentOrigin: widget.parentOrigin, id: widget.id,
      callbackUrl: widget.options.callbackUrl,
    });
    root.appendChild(skeleton);
    root.appendChild(frame);
    container.appendChild(root);

    var handle;
    var stop = listen(frame, widget.base.origin, widget.id, {
      resize: function (data) {
        frame.style.height = Math.max(0, Math.ceil(+data.height || 0)) + "px";
        if (skeleton.parentNode) skeleton.remove();
      },
      "open-modal": function () {
        openModal(widget);
      },
      dismiss: function () {
        handle.destroy();
      },
    });
    handle = {
      element: root,
      iframe: frame,
      destroy: function () {
        stop();
        if (modal && modal.widget === widget) closeModal();
        root.remove();
        widgets = widgets.filter(function (w) {
          return w !== handle;
        });
      },
    };
    widgets.push(handle);
    return handle;
  }

  function destroyAll() {
    widgets.slice().forEach(function (w) {
      w.destroy();
    });
    closeModal();
  }

  function fromData(element, container) {
    var d = element.dataset;
    return init({
      type: d.type || d.pointsWidget || undefined,
      lang: d.lang,
      points: d.points,
      container: container || d.container,
      widgetUrl: d.widgetUrl,
      parentOrigin: d.parentOrigin,
      callbackUrl: d.callbackUrl,
    });
  }

  function autoInit() {
    if (script && script.dataset.container) fromData(script);
    document.querySelectorAll("[data-points-widget]:not([data-points-widget-ready])").forEach(function (element) {
      element.setAttribute("data-points-widget-ready", "");
      fromData(element, element);
    });
  }

  window.PointsWidget = { version: "sandbox-1", init: init, destroy: destroyAll, close: closeModal };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoInit);
  else autoInit();
})();
