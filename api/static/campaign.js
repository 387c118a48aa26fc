// The campaign form: insert placeholders where the cursor is, and preview the message for a
// sample candidate as it is typed (an unknown placeholder is marked; saving refuses it).
(function () {
  "use strict";
  const SAMPLE = { first_name: "Ada", candidate_name: "Ada Lovelace", job_name: "Barista", stage_name: "Screening" };
  const form = document.getElementById("campaign-form");
  const preview = document.getElementById("preview");
  let focused = document.getElementById("welcome");

  function render(text) {
    const values = { ...SAMPLE, campaign_name: form.elements.name.value || "the campaign" };
    const out = document.createDocumentFragment();
    let last = 0;
    const token = /\{\{|\}\}|\{([^{}]*)\}/g;
    for (const match of text.matchAll(token)) {
      out.append(text.slice(last, match.index));
      if (match[0] === "{{") out.append("{");
      else if (match[0] === "}}") out.append("}");
      else if (match[1] in values) out.append(values[match[1]]);
      else {
        const bad = document.createElement("mark");
        bad.className = "unknown";
        bad.title = "Not a placeholder: saving will refuse it";
        bad.textContent = match[0];
        out.append(bad);
      }
      last = match.index + match[0].length;
    }
    out.append(text.slice(last));
    return out;
  }

  function update() {
    preview.replaceChildren(render(focused.value || ""));
  }

  for (const name of ["welcome", "closing", "nudges_message"]) {
    const field = form.elements[name];
    field.addEventListener("focus", () => { focused = field; update(); });
    field.addEventListener("input", update);
  }
  form.elements.name.addEventListener("input", update);
  document.getElementById("placeholders").addEventListener("click", (event) => {
    const name = event.target.dataset && event.target.dataset.placeholder;
    if (!name) return;
    const at = focused.selectionStart ?? focused.value.length;
    focused.value = `${focused.value.slice(0, at)}{${name}}${focused.value.slice(focused.selectionEnd ?? at)}`;
    focused.focus();
    focused.selectionStart = focused.selectionEnd = at + name.length + 2;
    update();
  });
  update();
})();
