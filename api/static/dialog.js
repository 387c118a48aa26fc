// Confirmations in the page (a modal <dialog>), never the browser's confirm(): worded for what
// is about to happen, with buttons that say what they do, keyboard- and screen-reader-friendly.
window.confirmInPage = (message, { yes = "Confirm", no = "Go back" } = {}) =>
  new Promise((resolve) => {
    "use strict";
    const dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-text");
    const text = document.createElement("p");
    text.id = "confirm-text";
    text.textContent = message;
    const buttons = document.createElement("div");
    buttons.className = "dialog-buttons";
    const keep = document.createElement("button");
    keep.type = "button";
    keep.className = "btn ghost";
    keep.textContent = no;
    const go = document.createElement("button");
    go.type = "button";
    go.className = "btn primary";
    go.dataset.confirm = "yes";
    go.textContent = yes;
    buttons.append(keep, go);
    dialog.append(text, buttons);
    document.body.append(dialog);
    let answer = false;
    keep.addEventListener("click", () => dialog.close());
    go.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(answer);
    });
    dialog.showModal();
    keep.focus();
  });

// A form with data-confirm asks first (data-confirm-yes / -no name the buttons), then submits.
document.addEventListener("submit", async (event) => {
  "use strict";
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || form.dataset.confirmed) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  const yes = await window.confirmInPage(form.dataset.confirm, { yes: form.dataset.confirmYes, no: form.dataset.confirmNo });
  if (!yes) return;
  form.dataset.confirmed = "yes";
  form.requestSubmit();
  delete form.dataset.confirmed;
}, true);
