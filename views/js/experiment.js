// The experiment page's small actions: load a chosen file into a text
// box (the case table), add a check's template, submit the import form
// when a file is chosen, dismiss the cost question. Nothing leaves the
// browser but through the page's own forms.
(function () {
  "use strict";

  function changed(box) {
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.files || !input.files[0]) {
      return;
    }
    if (input.hasAttribute("data-submit-on-change")) {
      input.form.requestSubmit();
      return;
    }
    var into = input.getAttribute("data-load-into");
    if (!into) {
      return;
    }
    var box = document.getElementById(into);
    var file = input.files[0];
    var err = document.getElementById("error-" + box.name);
    if (file.size > 16 * 1024 * 1024) {
      if (err) { err.textContent = file.name + " is larger than 16 MB, the most a case table may be."; }
      input.value = "";
      return;
    }
    file.text().then(function (text) {
      box.value = text;
      input.value = "";
      changed(box);
    }, function () {
      if (err) { err.textContent = "Could not read " + file.name + "."; }
    });
  });

  document.addEventListener("click", function (ev) {
    var btn = ev.target instanceof Element ? ev.target.closest("[data-add-check],[data-dismiss]") : null;
    if (!btn) {
      return;
    }
    var dismiss = btn.getAttribute("data-dismiss");
    if (dismiss) {
      var box = btn.closest("[data-testid=" + dismiss + "]");
      if (box) { box.remove(); }
      return;
    }
    var area = document.getElementById(btn.getAttribute("data-add-check"));
    var sel = document.getElementById(btn.getAttribute("data-kind-from"));
    var opt = sel && sel.selectedOptions[0];
    if (!area || !opt) {
      return;
    }
    var v = area.value;
    if (v !== "" && !v.endsWith("\n")) { v += "\n"; }
    area.value = v + opt.getAttribute("data-template");
    area.focus();
    changed(area);
  });
})();

// A field's red border follows its error, which the preview refreshes
// beside it.
document.addEventListener("htmx:afterSettle", function () {
  document.querySelectorAll("#experiment-form [aria-describedby]").forEach(function (el) {
    var p = document.getElementById(el.getAttribute("aria-describedby"));
    if (p) { el.classList.toggle("input-error", p.textContent.trim() !== ""); }
  });
});
