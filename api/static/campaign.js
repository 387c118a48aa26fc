// The campaign editor: shows the fields of the chosen kind and channel only, inserts
// placeholders where the cursor is, and previews the whole campaign as the candidate would get
// it, every message in order, as an SMS, WhatsApp or e-mail shows it. An unknown placeholder is
// marked (saving refuses it).
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("preview-config").textContent);
  const form = document.getElementById("campaign-form");
  const preview = document.getElementById("preview");
  let focused = form.elements.welcome;

  const value = (name) => (form.elements[name] ? form.elements[name].value : "");
  const all = (name) => [...form.querySelectorAll(`[name="${name}"]`)].map((node) => node.value);

  function showFields() {
    const kind = value("kind");
    const channel = value("channel");
    form.querySelectorAll("[data-kinds]").forEach((node) => { node.hidden = !node.dataset.kinds.split(" ").includes(kind); });
    form.querySelectorAll("[data-channels]").forEach((node) => { node.hidden = !node.dataset.channels.split(" ").includes(channel); });
    // Inside each module: its content or its questions; inside each question: its options.
    form.querySelectorAll('[data-rows="module"] > .row-list > [data-row]').forEach((row) => {
      const type = row.querySelector("[data-module-type]").value;
      row.querySelectorAll(":scope > [data-module-types]").forEach((node) => { node.hidden = !node.dataset.moduleTypes.split(" ").includes(type); });
    });
    form.querySelectorAll('[data-rows="question"] [data-row]').forEach((row) => {
      const kind = row.querySelector('[name="question_answer"]').value;
      row.querySelectorAll("[data-answer-kinds]").forEach((node) => { node.hidden = !node.dataset.answerKinds.split(" ").includes(kind); });
    });
  }

  function personalised(text) {
    const values = { ...config.sample, campaign_name: value("name") || "the campaign" };
    const out = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(/\{\{|\}\}|\{([^{}]*)\}|[{}]/g)) {
      out.append(text.slice(last, match.index));
      if (match[0] === "{{") out.append("{");
      else if (match[0] === "}}") out.append("}");
      else if (match[1] !== undefined && match[1] in values) out.append(values[match[1]]);
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

  function node(tag, className, ...children) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    element.append(...children);
    return element;
  }

  function message(label, text, note) {
    const channel = value("channel");
    const body = node("div", "bubble-text", personalised(text || ""));
    if (!text) body.append(node("span", "muted", "(empty)"));
    if (channel === "email") {
      const subject = value("subject") || value("name") || "";
      return node("article", "preview-email", node("div", "preview-label", label),
        node("div", "email-subject", "Subject: ", personalised(subject)), body, note ? node("div", "preview-note", note) : "");
    }
    return node("article", `preview-bubble is-${channel}`, node("div", "preview-label", label), body, note ? node("div", "preview-note", note) : "");
  }

  function step(text) {
    return node("div", "preview-step", text);
  }

  function update() {
    const multi = value("kind") === "multi_module";
    const whatsapp = value("channel") === "whatsapp";
    const template = whatsapp && value("content_sid").trim()
      ? `Opens the conversation with the approved template ${value("content_sid").trim()}`
      : "";
    const parts = [message(multi ? "Welcome message" : "Message", value("welcome"), template)];
    if (multi) {
      const names = all("module_name");
      const types = all("module_type");
      names.forEach((name, index) => {
        parts.push(step(`Module ${index + 1}: ${name || "(no name yet)"} · ${config.types[types[index]] || types[index]}`));
      });
      if (!names.length) parts.push(step("No module yet: add at least one"));
      const after = value("nudges_after").split(/[\s,;]+/).filter(Boolean);
      if (after.length) parts.push(message(`Nudge, while not completed, after ${after.join(", ")}`, value("nudges_message"), template));
      const closings = all("closing").filter((text) => text.trim());
      closings.forEach((text, index) => parts.push(message(closings.length > 1 ? `Closing message ${index + 1} of ${closings.length}` : "Closing message", text)));
      if (closings.length) parts.splice(parts.length - closings.length, 0, step("Every module completed"));
      parts.push(step(`Expires ${value("expiry").trim() || "P7D"} after delivery if not completed`));
    }
    preview.replaceChildren(...parts);
  }

  // The candidate's page, rendered by the server from what the form holds now (a read-only
  // form's fields too: a disabled fieldset's fields are not in FormData).
  const pagePreview = document.getElementById("page-preview");
  let previewTimer = null;
  function fields() {
    const data = new URLSearchParams();
    for (const node of form.elements) {
      if (!node.name || node.type === "submit" || ((node.type === "checkbox" || node.type === "radio") && !node.checked)) continue;
      data.append(node.name, node.value);
    }
    return data;
  }
  async function refreshPage() {
    if (!pagePreview || value("kind") !== "multi_module") return;
    const response = await fetch(pagePreview.dataset.url, { method: "POST", body: fields(), credentials: "same-origin" });
    if (response.ok) pagePreview.srcdoc = await response.text();
  }
  function schedulePage() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => refreshPage().catch(() => {}), 400);
  }
  form.addEventListener("input", schedulePage);
  form.addEventListener("change", schedulePage);
  form.addEventListener("rows-changed", schedulePage);

  form.addEventListener("focusin", (event) => {
    if (event.target.matches("[data-text]")) focused = event.target;
  });
  form.addEventListener("input", update);
  form.addEventListener("change", () => { showFields(); update(); });
  form.addEventListener("rows-changed", () => { showFields(); update(); });
  document.getElementById("placeholders").addEventListener("click", (event) => {
    const name = event.target.dataset && event.target.dataset.placeholder;
    if (!name || !focused) return;
    const at = focused.selectionStart ?? focused.value.length;
    focused.value = `${focused.value.slice(0, at)}{${name}}${focused.value.slice(focused.selectionEnd ?? at)}`;
    focused.focus();
    focused.selectionStart = focused.selectionEnd = at + name.length + 2;
    update();
  });
  showFields();
  update();
  schedulePage();
})();
