// How every page that shows a status stays live: it polls the JSON views, which answer 304
// without a body while nothing changed (ETag), one poll at a time, backing off while the API
// is unreachable and pausing while the tab is hidden. The job page (Table, Kanban) renders
// from the JSON itself; the jobs list and the enrolment page follow their view's ETag and swap
// in the server's fresh sections when it changes (``follow``). One loop for all of them.
window.Live = (() => {
  "use strict";

  /** GET ``url`` as JSON. "no-cache": the browser revalidates with If-None-Match; an
   * unchanged view is a 304 without a body (the browser hands back its copy). */
  async function fetchJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-cache" });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.json();
  }

  /** Run ``refresh`` every ``interval`` ms (one at a time; a poll asked for meanwhile runs
   * right after), reporting "live", "stale" (with the error) or "paused" to ``onState``.
   * Returns ``poll``: refresh now (and restart the timer). */
  function loop(refresh, { interval, onState }) {
    let timer = null;
    let running = false;
    let again = false;
    let failures = 0;

    async function poll() {
      clearTimeout(timer);
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        await refresh();
        failures = 0;
        onState("live");
      } catch (error) {
        failures += 1;
        onState("stale", error);
      } finally {
        running = false;
        const rerun = again;
        again = false;
        if (rerun) poll();
        else if (!document.hidden) timer = setTimeout(poll, failures ? Math.min(10000, interval * 2 ** failures) : interval);
      }
    }

    document.addEventListener("visibilitychange", () => {
      if (document.hidden) {
        clearTimeout(timer);
        onState("paused");
      } else poll();
    });
    return poll;
  }

  /** Show ``mode`` on the page's live indicator (``#live-indicator``, ``#live-text``). */
  function showState(mode, error) {
    const indicator = document.getElementById("live-indicator");
    if (!indicator) return;
    indicator.classList.toggle("is-stale", mode === "stale");
    indicator.classList.toggle("is-paused", mode === "paused");
    document.getElementById("live-text").textContent = mode === "live" ? "Live" : mode === "paused" ? "Paused" : "Reconnecting…";
    if (error) indicator.title = String(error.message || error);
  }

  /** Keep a server-rendered page live: poll ``url`` (a JSON view) and, when its ETag is no
   * longer ``version`` (the one the page was rendered from), fetch the page again and swap in
   * each of its ``[data-live]`` sections. A section whose ``data-live-key`` did not change stays
   * (a form someone is typing into). Returns ``poll``. */
  function follow({ url, version, interval }) {
    let current = version;

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

    return loop(
      async () => {
        const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-cache" });
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        const seen = response.headers.get("ETag");
        if (seen === current) return;
        await rerender();
        current = seen;
      },
      { interval, onState: showState },
    );
  }

  return { fetchJson, loop, showState, follow };
})();
