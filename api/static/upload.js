// The upload page: split the CSV into chunks of rows (each with the header), send them one
// after another, and show the progress and every refused row with its line in the file.
// (A quoted field spanning lines is not split across chunks only if it stays in one chunk:
// candidates' names, numbers and addresses never span lines.)
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  const progress = document.getElementById("upload-progress");
  const summary = document.getElementById("upload-summary");
  const problems = document.getElementById("upload-problems");
  const token = document.body.dataset.csrfToken || "";
  const chunkRows = Number(form.dataset.chunkRows) || 200;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = document.getElementById("upload-file").files[0];
    if (!file) return;
    const stage = document.getElementById("upload-stage").value;
    const lines = (await file.text()).split(/\r\n|\r|\n/);
    const header = lines[0];
    const rows = lines.slice(1);
    while (rows.length && !rows[rows.length - 1].trim()) rows.pop();
    const totals = { applied: 0, already: 0, refused: 0 };
    summary.textContent = `Sending ${rows.length} rows…`;
    const body = problems.querySelector("tbody");
    body.replaceChildren();
    problems.hidden = true;
    progress.hidden = false;
    progress.max = Math.max(rows.length, 1);
    progress.value = 0;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      for (let start = 0; start < rows.length; start += chunkRows) {
        const chunk = [header, ...rows.slice(start, start + chunkRows)].join("\n");
        const params = new URLSearchParams({
          stage_id: stage,
          first_line: String(start + 1),
          modified_at: new Date(file.lastModified).toISOString(),
        });
        const response = await fetch(`${form.dataset.action}?${params}`, {
          method: "POST",
          headers: { "Content-Type": "text/csv", "X-CSRF-Token": token },
          body: chunk,
          credentials: "same-origin",
        });
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error((answer.error && answer.error.message) || `HTTP ${response.status}`);
        totals.applied += answer.applied;
        totals.already += answer.already;
        totals.refused += answer.problems.length;
        for (const problem of answer.problems) {
          const tr = document.createElement("tr");
          for (const value of [problem.line, problem.message]) {
            const td = document.createElement("td");
            td.textContent = String(value);
            tr.append(td);
          }
          body.append(tr);
        }
        problems.hidden = body.childElementCount === 0;
        progress.value = Math.min(start + chunkRows, rows.length);
        summary.textContent = `${progress.value} of ${rows.length} rows: ${totals.applied} enrolled, ${totals.already} imported before, ${totals.refused} not imported`;
      }
      summary.textContent = `Done. ${totals.applied} enrolled, ${totals.already} imported before, ${totals.refused} not imported.`;
    } catch (problem) {
      summary.textContent = `Stopped: ${problem.message || problem}`;
    } finally {
      button.disabled = false;
    }
  });
})();
