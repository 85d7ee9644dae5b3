/* Inspector: small improvements on top of pages that work without JavaScript. */
(function () {
  "use strict";
  var form = document.querySelector("form.visit");
  if (!form) { return; }
  var counter = form.querySelector("[data-counter]");

  function answered(question) {
    var kind = question.getAttribute("data-required");
    if (kind === "photo") {
      var file = question.querySelector("input[type=file]");
      return question.querySelector(".thumbs img") !== null || (file && file.files.length > 0);
    }
    var inputs = question.querySelectorAll("input, textarea, select");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "file" || /__note$/.test(input.name)) { continue; }
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { return true; }
      } else if (input.value.trim() !== "") { return true; }
    }
    return false;
  }

  function count() {
    var missing = 0;
    var required = form.querySelectorAll("fieldset.question[data-required='1'], fieldset.question[data-required='photo']");
    for (var i = 0; i < required.length; i++) {
      if (!answered(required[i])) { missing++; }
    }
    if (counter) { counter.textContent = String(missing); }
  }

  form.addEventListener("change", count);
  form.addEventListener("input", count);
  count();
})();

/* A second tap on a sending button does nothing more: the first request is on its way. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[method=post]");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (event) {
      var form = event.target;
      if (form.getAttribute("data-sending") === "1") { event.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
      window.setTimeout(function () { form.removeAttribute("data-sending"); }, 15000);
    });
  }
})();
