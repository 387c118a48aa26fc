// The enrolment page: live like every page that shows a status (static/live.js follows
// GET /enrolments/{id}: when its ETag changes, the server's fresh sections are swapped in), and
// its actions, which post to the JSON API with the session's CSRF token.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("page-config").textContent);
  const token = document.body.dataset.csrfToken || "";

  const poll = window.Live.follow({ url: config.url, version: config.version, interval: config.poll_ms });

  async function submit(form, body) {
    const error = form.closest("section").querySelector(".form-error");
    error.hidden = true;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token, "Idempotency-Key": crypto.randomUUID() },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        const problem = answer.error || {};
        const details = Array.isArray(problem.details) ? problem.details.map((d) => d.message).join("; ") : "";
        throw new Error(details || problem.message || `the request failed (${response.status})`);
      }
      if (form.id === "reenrol-form" && answer.enrolment) {
        window.location.href = window.location.href.replace(/[^/]+$/, encodeURIComponent(answer.enrolment.id));
        return;
      }
      await poll();
    } catch (problem) {
      error.textContent = String(problem.message || problem);
      error.hidden = false;
      button.disabled = false;
    }
  }

  // Delegated: the actions section is swapped when what is on offer changes.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.id === "reenrol-form") {
      event.preventDefault();
      const fields = new FormData(form);
      const body = {};
      for (const name of ["phone", "email"]) {
        const value = String(fields.get(name) || "").trim();
        if (value) body[name] = value;
      }
      submit(form, body);
    } else if (form.id === "cancel-form" || form.id === "writeback-form") {
      event.preventDefault();
      submit(form, {});
    }
  });
  poll();
})();
