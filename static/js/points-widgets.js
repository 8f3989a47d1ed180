// The plain-text line beside a Points widget stays until the widget has really drawn itself
// (its iframe has a height): with the loader blocked or Points down, the text is what remains.
(function () {
  function watch(slot) {
    function check() {
      var frame = slot.querySelector("[data-points-widget-root] iframe");
      if (frame && parseInt(frame.style.height, 10) > 0) {
        slot.classList.add("widget-shown");
        observer.disconnect();
      }
    }
    var observer = new MutationObserver(check);
    observer.observe(slot, { subtree: true, childList: true, attributes: true, attributeFilter: ["style"] });
    check();
  }
  var slots = document.querySelectorAll("[data-points-widget-slot]");
  for (var i = 0; i < slots.length; i++) watch(slots[i]);
})();
