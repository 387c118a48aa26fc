// The enrolment page's actions: each form posts to the JSON API with the session's CSRF
// token, then the page reloads to show the result (or the error, in words).
(function () {
  "use strict";
  const token = document.body.dataset.csrfToken || "";
  const error = document.getElementById("action-error");

  async function submit(form, body) {
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
      const created = answer.enrolment && form.id === "reenrol-form" ? answer.enrolment.id : null;
      window.location.href = created ? window.location.href.replace(/[^/]+$/, encodeURIComponent(created)) : window.location.href;
    } catch (problem) {
      error.textContent = String(problem.message || problem);
      error.hidden = false;
      button.disabled = false;
    }
  }

  const reenrol = document.getElementById("reenrol-form");
  if (reenrol) {
    reenrol.addEventListener("submit", (event) => {
      event.preventDefault();
      const fields = new FormData(reenrol);
      const body = {};
      for (const name of ["phone", "email"]) {
        const value = String(fields.get(name) || "").trim();
        if (value) body[name] = value;
      }
      submit(reenrol, body);
    });
  }
  const cancel = document.getElementById("cancel-form");
  if (cancel) {
    cancel.addEventListener("submit", (event) => {
      event.preventDefault();
      if (window.confirm("Cancel this enrolment? Nothing more is sent for it.")) submit(cancel, {});
    });
  }
})();
