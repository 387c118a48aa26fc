// The enrolment page: live like the job page (static/live.js polls GET /enrolments/{id}; when
// what it shows changed, the page's sections are rendered again by the server and swapped in),
// and its actions, which post to the JSON API with the session's CSRF token.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("page-config").textContent);
  const token = document.body.dataset.csrfToken || "";

  // What the page shows of an enrolment: when any of it changes, the page is out of date.
  const shown = (e) => JSON.stringify([e.status, e.status_reason, e.updated_at, e.next_send_at, e.reenrolled_as, e.candidate_name, e.candidate_erased, e.timeline.length, e.messages.map((m) => [m.status, m.updated_at])]);
  let current = shown(config.shown);

  /** Swap in the server's fresh rendering of every live section; an action form the
   * recruiter is typing into stays as it is unless the actions on offer changed. */
  async function rerender() {
    const response = await fetch(window.location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
    if (!response.ok) throw new Error(`page: HTTP ${response.status}`);
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const section of document.querySelectorAll("[data-live]")) {
      const next = fresh.querySelector(`[data-live="${section.dataset.live}"]`);
      if (!next) continue;
      if (section.dataset.liveKey && section.dataset.liveKey === next.dataset.liveKey) continue;
      section.replaceWith(document.adoptNode(next));
    }
  }

  const poll = window.Live.loop(
    async () => {
      const enrolment = await window.Live.fetchJson(config.url);
      const now = shown(enrolment);
      if (now === current) return;
      await rerender();
      current = now;
    },
    { interval: config.poll_ms, onState: window.Live.showState },
  );

  async function submit(form, body) {
    const error = document.getElementById("action-error");
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
    } else if (form.id === "cancel-form") {
      event.preventDefault();
      submit(form, {});
    }
  });
  poll();
})();
