// How every page that shows a status stays live: it polls the JSON views, which answer 304
// without a body while nothing changed (ETag), one poll at a time, backing off while the API
// is unreachable and pausing while the tab is hidden. The job page (Table, Kanban) and the
// enrolment page both use this one loop.
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

  return { fetchJson, loop, showState };
})();
