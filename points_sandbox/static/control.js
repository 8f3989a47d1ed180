// The control page's one touch: "Prepare body" fills the textarea in place from
// GET /_control/trigger/preview. Without JavaScript the same button re-renders the page filled.
(function () {
  var form = document.querySelector("[data-testid=trigger-form]");
  if (!form || !window.fetch) return;
  var prepare = form.querySelector("[data-testid=trigger-prepare]");
  var body = form.querySelector("[data-testid=trigger-body]");
  prepare.addEventListener("click", function (event) {
    var query = new URLSearchParams({ event: form.elements.event.value, order_uuid: form.elements.order_uuid.value });
    event.preventDefault();
    fetch(form.dataset.preview + "?" + query.toString(), { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("no preview");
        return response.json();
      })
      .then(function (answer) {
        body.value = answer.body_indented;
        body.rows = 14;
        body.focus();
      })
      .catch(function () {
        form.action = prepare.formAction;  // let the server say what is wrong, next to the field
        form.submit();
      });
  });
})();
