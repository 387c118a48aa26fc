// Rows in the editors (a campaign's modules and closing messages, its template variables, a
// job's stages): add one, move one up or down, remove one. A row is an <li data-row> inside a
// [data-rows] box whose <template data-row-template> is the new row; the server reads the rows
// in their order. After each change the box numbers its rows and says "rows-changed".
(function () {
  "use strict";

  function renumber(box) {
    const rows = box.querySelectorAll(":scope > .row-list > [data-row]");
    rows.forEach((row, index) => {
      const number = row.querySelector("[data-row-number]");
      if (number) number.textContent = String(index + 1);
      const up = row.querySelector("[data-row-up]");
      const down = row.querySelector("[data-row-down]");
      if (up) up.disabled = index === 0;
      if (down) down.disabled = index === rows.length - 1;
    });
    box.dispatchEvent(new CustomEvent("rows-changed", { bubbles: true }));
  }

  function add(box) {
    const template = box.querySelector(":scope > template[data-row-template]");
    const row = template.content.firstElementChild.cloneNode(true);
    // A new row gets a key of its own where the server ties fields of one row together.
    row.querySelectorAll("[data-row-key]").forEach((node) => {
      node.value = `new-${crypto.randomUUID()}`;
    });
    const key = row.querySelector("[data-row-key]");
    row.querySelectorAll("[data-row-key-of]").forEach((node) => {
      node.value = key ? key.value : "";
    });
    // A row inside another row's box (a module's question) names that row by its key.
    const owner = box.closest("[data-row]");
    const ownerKey = owner ? owner.querySelector("[data-row-key]") : null;
    row.querySelectorAll("[data-parent-key]").forEach((node) => {
      node.value = ownerKey ? ownerKey.value : "";
    });
    box.querySelector(":scope > .row-list").append(row);
    renumber(box);
    const first = row.querySelector("input:not([type=hidden]), textarea, select");
    if (first) first.focus();
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const box = button.closest("[data-rows]");
    if (!box) return;
    const row = button.closest("[data-row]");
    if (button.matches("[data-row-add]")) add(box);
    else if (row && button.matches("[data-row-up]") && row.previousElementSibling) {
      row.previousElementSibling.before(row);
      renumber(box);
      button.focus();
    } else if (row && button.matches("[data-row-down]") && row.nextElementSibling) {
      row.nextElementSibling.after(row);
      renumber(box);
      button.focus();
    } else if (row && button.matches("[data-row-remove]")) {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber(box);
      const focus = next ? next.querySelector("[data-row-remove]") : box.querySelector("[data-row-add]");
      if (focus) focus.focus();
    }
  });

  document.querySelectorAll("[data-rows]").forEach(renumber);
})();
