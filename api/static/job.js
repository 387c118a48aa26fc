// The job page: Table and Kanban views of one job, kept live by polling the JSON API.
//
// The server renders the shell (header, stages, counts); this script renders rows and cards from
// GET /jobs/{id}/applications and GET /jobs/{id}/board, then polls them and touches only the
// rows, cards and badges that changed. Candidate data is inserted as text, never as HTML.
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("page-config").textContent);
  const statusLabel = Object.fromEntries(config.statuses.map((s) => [s.value, s.label]));
  const statusHint = Object.fromEntries(config.statuses.map((s) => [s.value, s.hint]));
  const expirable = new Set(config.expirable);
  const counted = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const $ = (id) => document.getElementById(id);

  const state = {
    view: config.view,
    status: "",
    stage: "",
    search: "",
    selected: new Set(), // enrolment ids ticked in the Table
    tablePages: [null], // cursors of the loaded table pages; null = first page
    tableMore: null, // next_cursor after the last loaded page
    tableLoaded: false,
    tableGeneration: 0, // bumped whenever the loaded pages change, so stale refreshes are dropped
    boardLoaded: false,
    drawerEnrolment: null,
    lastOk: null,
  };
  const rows = new Map(); // application_id -> { tr, item }
  const cards = new Map(); // application_id -> { el, item, stageId }
  const known = new Map(); // application_id -> { candidate_id } learned from the table

  // ---- small DOM builders ---------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(path) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    node.setAttribute("viewBox", "0 0 24 24");
    node.setAttribute("fill", "none");
    node.setAttribute("stroke", "currentColor");
    node.setAttribute("stroke-width", "2");
    node.setAttribute("stroke-linecap", "round");
    node.setAttribute("stroke-linejoin", "round");
    node.innerHTML = path; // constant icon markup only
    return node;
  }
  const ICON_EXTERNAL = '<path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"/>';

  function badge(status) {
    const value = status || "none";
    const label = status ? statusLabel[status] || status : "No campaign";
    return el(
      "span",
      { class: "badge", "data-status": value, title: status ? statusHint[status] || "" : "This stage sends nothing" },
      el("span", { class: "badge-dot" }),
      label,
    );
  }

  /** Replace the badge inside ``holder`` if the status changed; flash it when it did. */
  function setBadge(holder, status, animate) {
    const current = holder.querySelector(".badge");
    const value = status || "none";
    if (current && current.dataset.status === value) return false;
    const fresh = badge(status);
    if (animate && current) fresh.classList.add("is-changed");
    if (current) current.replaceWith(fresh);
    else holder.append(fresh);
    return true;
  }

  // Dark enough for white initials (WCAG AA contrast, checked by axe in the browser tests).
  const AVATAR_COLOURS = ["#4338ca", "#0369a1", "#0f766e", "#b45309", "#be185d", "#6d28d9", "#047857", "#b91c1c", "#1d4ed8", "#a21caf"];
  function avatar(name) {
    const words = (name || "?").trim().split(/\s+/).filter(Boolean);
    const initials = ((words[0] || "?")[0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
    let hash = 0;
    for (const ch of name || "") hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    const node = el("span", { class: "avatar", "aria-hidden": "true" }, initials);
    node.style.background = AVATAR_COLOURS[hash % AVATAR_COLOURS.length];
    return node;
  }

  function workflowUrl(candidateId) {
    if (!candidateId) return null;
    return config.temporal.workflow_url.replace(config.temporal.placeholder, encodeURIComponent(candidateId));
  }

  function stageName(stageId) {
    return (config.stages[stageId] && config.stages[stageId].name) || stageId || "—";
  }

  function campaignName(campaignId) {
    if (!campaignId) return null;
    return config.campaigns[campaignId] || campaignId;
  }

  function reasonLabel(reason) {
    if (!reason) return null;
    return config.reasons[reason] || reason.replace(/_/g, " ");
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
  function absoluteTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : timeFormat.format(date);
  }
  function relativeTime(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso || "";
    const ahead = Math.round((date.getTime() - Date.now()) / 1000);
    if (ahead > 5) {
      // A moment to come (an expiry): "in 3 h", "in 2 days".
      if (ahead < 3600) return `in ${Math.max(1, Math.round(ahead / 60))} min`;
      if (ahead < 172800) return `in ${Math.round(ahead / 3600)} h`;
      return `in ${Math.round(ahead / 86400)} days`;
    }
    const seconds = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
    if (seconds < 5) return "just now";
    if (seconds < 60) return `${seconds}s ago`;
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return `${minutes} min ago`;
    const hours = Math.round(minutes / 60);
    if (hours < 24) return `${hours} h ago`;
    return absoluteTime(iso);
  }
  function timeNode(iso, prefix) {
    return el("time", { class: "time", datetime: iso, "data-prefix": prefix || "", title: iso ? absoluteTime(iso) : "" }, iso ? (prefix || "") + relativeTime(iso) : "—");
  }

  // When a row's or card's interview is, in the recruiter's own time zone (the browser's).
  const interviewFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  function interviewNode(iso) {
    const date = new Date(iso);
    const shown = Number.isNaN(date.getTime()) ? iso : interviewFormat.format(date);
    return el("span", { class: "interview-at" }, "Interview ", el("time", { datetime: iso, title: absoluteTime(iso) }, shown));
  }

  // A candidate's name, in a row or on a card: a link to the enrolment's own page (a new tab, a
  // bookmark); a plain click opens the timeline drawer in place. No enrolment: plain text.
  function nameLink(item, className) {
    const label = candidateLabel(item, "Unnamed candidate");
    if (!item.enrolment_id) return el("span", { class: className, title: label }, label);
    const open = (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      openDrawer(item.enrolment_id);
    };
    const href = `${config.urls.enrolment_page}${encodeURIComponent(item.enrolment_id)}`;
    return el("a", { class: className, href, title: label, "data-timeline": item.enrolment_id, onclick: open }, label);
  }

  // The expiry date, where the enrolment can still expire (delivered, in progress).
  function expiresAt(item) {
    return item.expires_at && expirable.has(item.status) ? item.expires_at : null;
  }

  function workflowLink(candidateId, compact) {
    const url = workflowUrl(candidateId);
    if (!url) return null;
    const attrs = { href: url, target: "_blank", rel: "noopener", "data-workflow-link": candidateId, title: "Candidate workflow in the Temporal UI" };
    return compact
      ? el("a", { ...attrs, class: "icon-btn", "aria-label": "Workflow in Temporal" }, svg(ICON_EXTERNAL))
      : el("a", { ...attrs, class: "btn ghost" }, svg(ICON_EXTERNAL), "Workflow");
  }

  // ---- table view -----------------------------------------------------------------------------

  function rowKey(item) {
    return JSON.stringify([item.stage_id, item.campaign_id, item.enrolment_id, item.status, item.status_reason, item.updated_at, item.candidate_name, item.withdrawn, item.candidate_erased, item.expires_at, item.status_since, item.interview_at]);
  }

  function withdrawnTag(item) {
    return item.withdrawn ? el("span", { class: "tag", title: "The application was withdrawn" }, "Withdrawn") : null;
  }

  function erasedTag(item) {
    return item.candidate_erased ? el("span", { class: "tag", title: "The candidate's personal data was erased" }, "Erased") : null;
  }

  // What a row, card or timeline calls a candidate: an erased one has no name left.
  function candidateLabel(item, fallback) {
    return item.candidate_erased ? "Erased candidate" : item.candidate_name || fallback;
  }

  function buildRow(item) {
    const tr = el("tr", { "data-application-id": item.application_id });
    fillRow(tr, item, false);
    return tr;
  }

  function fillRow(tr, item, animate) {
    const statusCell = tr.querySelector("td[data-cell=status]");
    const oldBadge = statusCell ? statusCell.querySelector(".badge") : null;
    const details = item.interview_at
      ? interviewNode(item.interview_at)
      : item.status_reason
      ? el("span", { class: "reason", title: item.status_reason }, reasonLabel(item.status_reason))
      : el("span", { class: "muted" }, item.status ? statusHint[item.status] || "" : "This stage sends nothing");
    const pick = item.enrolment_id
      ? el("input", {
          type: "checkbox",
          "data-select": item.enrolment_id,
          "aria-label": `Select ${candidateLabel(item, "Unnamed candidate")}`,
          checked: state.selected.has(item.enrolment_id),
          onchange: (event) => {
            if (event.target.checked) state.selected.add(item.enrolment_id);
            else state.selected.delete(item.enrolment_id);
            renderSelection();
          },
        })
      : null;
    const cells = [
      el("td", { "data-cell": "select" }, pick),
      el("td", { "data-cell": "candidate" },
        el("div", { class: "candidate" }, avatar(item.candidate_name),
          el("div", { class: "candidate-line" }, nameLink(item, "candidate-name"), withdrawnTag(item), erasedTag(item)))),
      el("td", { "data-cell": "stage" }, el("span", { class: "stage-chip" }, stageName(item.stage_id))),
      el("td", { "data-cell": "campaign", class: "campaign-cell" }, campaignName(item.campaign_id) || el("span", { class: "muted" }, "—")),
      el("td", { "data-cell": "status" }),
      el("td", { "data-cell": "details" }, details),
      el("td", { "data-cell": "since" }, item.status_since ? timeNode(item.status_since) : el("span", { class: "muted" }, "—")),
      el("td", { "data-cell": "expires" }, expiresAt(item) ? timeNode(expiresAt(item)) : el("span", { class: "muted" }, "—")),
      el("td", { "data-cell": "updated" }, timeNode(item.updated_at)),
      el("td", { "data-cell": "links" }, workflowLink(item.candidate_id, true)),
    ];
    // Keep the badge element when the status did not change, so nothing flickers.
    const statusTd = cells[4];
    if (oldBadge && oldBadge.dataset.status === (item.status || "none")) statusTd.append(oldBadge);
    else {
      statusTd.append(badge(item.status));
      if (animate && oldBadge) statusTd.querySelector(".badge").classList.add("is-changed");
    }
    tr.replaceChildren(...cells);
  }

  function tableQuery(cursor) {
    const params = new URLSearchParams();
    if (state.status) params.set("status", state.status);
    if (state.stage) params.set("stage_id", state.stage);
    if (state.search) params.set("q", state.search);
    if (cursor) params.set("cursor", cursor);
    params.set("limit", String(config.page_size));
    const query = params.toString();
    return config.urls.applications + (query ? `?${query}` : "");
  }

  const fetchJson = window.Live.fetchJson;

  /** Fetch every loaded page again (same filters) and reconcile the rows in place. */
  async function refreshTable() {
    const generation = state.tableGeneration;
    const pages = state.tablePages.length;
    const items = [];
    const cursors = [null];
    let next = null;
    for (let i = 0; i < pages; i += 1) {
      const page = await fetchJson(tableQuery(cursors[i]));
      items.push(...page.items);
      next = page.next_cursor;
      if (!next) break;
      if (i + 1 < pages) cursors.push(next);
    }
    if (generation !== state.tableGeneration) return; // filters changed or a page was added meanwhile
    state.tablePages = cursors;
    state.tableMore = next;
    renderTable(items, state.tableLoaded);
    state.tableLoaded = true;
  }

  async function loadMore() {
    if (!state.tableMore) return;
    const button = $("load-more");
    button.disabled = true;
    try {
      const cursor = state.tableMore;
      const page = await fetchJson(tableQuery(cursor));
      if (cursor !== state.tableMore) return; // the table was reset or refreshed meanwhile
      state.tableGeneration += 1;
      state.tablePages.push(cursor);
      state.tableMore = page.next_cursor;
      const current = [...rows.values()].map((r) => r.item);
      renderTable(current.concat(page.items), true, true);
    } finally {
      button.disabled = false;
    }
  }

  function renderTable(items, animate, appended) {
    const body = $("table-body");
    const seen = new Set();
    let previous = null;
    for (const item of items) {
      if (seen.has(item.application_id)) continue;
      seen.add(item.application_id);
      if (item.candidate_id) known.set(item.application_id, { candidate_id: item.candidate_id });
      let entry = rows.get(item.application_id);
      if (!entry) {
        const tr = buildRow(item);
        if (animate && !appended) tr.classList.add("is-fresh");
        entry = { tr, item, key: rowKey(item) };
        rows.set(item.application_id, entry);
      } else if (entry.key !== rowKey(item)) {
        fillRow(entry.tr, item, animate);
        entry.item = item;
        entry.key = rowKey(item);
      }
      // Place the row right after the previous one; a node already in place is not touched.
      const expected = previous ? previous.nextElementSibling : body.firstElementChild;
      if (expected !== entry.tr) {
        if (previous) previous.after(entry.tr);
        else body.prepend(entry.tr);
      }
      previous = entry.tr;
    }
    for (const [id, entry] of rows) {
      if (!seen.has(id)) {
        entry.tr.remove();
        rows.delete(id);
      }
    }
    applySort();
    $("table-empty").hidden = rows.size > 0;
    $("load-more").hidden = !state.tableMore;
    $("table-shown").textContent = rows.size
      ? `Showing ${counted(rows.size, "application")}${state.tableMore ? " — more below" : ""}`
      : "0 applications";
  }

  // ---- sorting the loaded rows -----------------------------------------------------------------

  // Rows arrive in application-id order (the API pages by it); a clicked header orders the
  // loaded rows in the page, ascending then descending, and keeps doing so as they refresh.
  const SORT_KEYS = {
    candidate: (item) => candidateLabel(item, "").toLowerCase(),
    stage: (item) => stageName(item.stage_id).toLowerCase(),
    status: (item) => statusLabel[item.status] || "",
    since: (item) => item.status_since || "",
    expires: (item) => expiresAt(item) || "\uffff",
    updated: (item) => item.updated_at || "",
  };

  function applySort() {
    if (!state.sort) return;
    const key = SORT_KEYS[state.sort.by];
    const entries = [...rows.values()].sort((a, b) => {
      const [x, y] = [key(a.item), key(b.item)];
      return (x < y ? -1 : x > y ? 1 : 0) * state.sort.direction;
    });
    const body = $("table-body");
    entries.forEach((entry, index) => {
      if (body.children[index] !== entry.tr) body.insertBefore(entry.tr, body.children[index] || null);
    });
  }

  function setSort(by) {
    const direction = state.sort && state.sort.by === by ? -state.sort.direction : 1;
    state.sort = { by, direction };
    document.querySelectorAll("button[data-sort]").forEach((button) => {
      const th = button.closest("th");
      th.setAttribute("aria-sort", button.dataset.sort === by ? (direction === 1 ? "ascending" : "descending") : "none");
    });
    applySort();
  }

  // ---- selection and bulk actions -------------------------------------------------------------

  function renderSelection() {
    const count = state.selected.size;
    $("bulk-bar").hidden = count === 0;
    $("bulk-count").textContent = `${count} selected`;
  }

  async function bulk(action) {
    const ids = [...state.selected];
    const token = document.body.dataset.csrfToken || "";
    let done = 0;
    const refused = [];
    $("bulk-result").textContent = `Working on ${ids.length}…`;
    for (const id of ids) {
      const response = await fetch(`${config.urls.enrolment}${encodeURIComponent(id)}/${action}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token, "Idempotency-Key": `${action}-${id}-${Date.now()}` },
        body: "{}",
        credentials: "same-origin",
      });
      if (response.ok) done += 1;
      else {
        const answer = await response.json().catch(() => ({}));
        refused.push(`${id}: ${(answer.error && answer.error.message) || response.status}`);
      }
    }
    state.selected.clear();
    document.querySelectorAll("input[data-select]").forEach((box) => { box.checked = false; });
    renderSelection();
    const verb = action === "cancel" ? "cancelled" : "re-enrolled";
    $("bulk-result").textContent = `${done} ${verb}` + (refused.length ? `; ${refused.length} refused (${refused.join("; ")})` : "");
    poll();
  }

  function exportUrl() {
    const params = new URLSearchParams();
    if (state.status) params.set("status", state.status);
    if (state.stage) params.set("stage_id", state.stage);
    if (state.search) params.set("q", state.search);
    const query = params.toString();
    return `${config.urls.applications}.csv${query ? `?${query}` : ""}`;
  }

  function resetTable() {
    $("export-csv").href = exportUrl();
    state.tableGeneration += 1;
    rows.forEach((entry) => entry.tr.remove());
    rows.clear();
    state.tablePages = [null];
    state.tableMore = null;
    state.tableLoaded = false;
    $("table-shown").textContent = "Loading…";
  }

  // ---- kanban view ----------------------------------------------------------------------------

  function ensureColumn(column) {
    let node = document.querySelector(`[data-column="${CSS.escape(column.stage_id)}"]`);
    if (!node) {
      node = el("div", { class: "column", "data-column": column.stage_id },
        el("div", { class: "column-head" },
          el("span", { class: "column-title" }, column.name || stageName(column.stage_id)),
          el("span", { class: "column-count", "data-column-count": column.stage_id }, "0")),
        el("div", { class: "column-cards", "data-column-cards": column.stage_id }));
      $("board").append(node);
    }
    return node;
  }

  function cardKey(card) {
    return JSON.stringify([card.candidate_name, card.enrolment_id, card.status, card.candidate_id, card.status_reason, card.updated_at, card.withdrawn, card.candidate_erased, card.interview_at]);
  }

  function fillCard(node, card, animate) {
    const candidateId = card.candidate_id || (known.get(card.application_id) || {}).candidate_id;
    let badgeHolder = node.querySelector("[data-badge-holder]");
    const oldBadge = badgeHolder ? badgeHolder.querySelector(".badge") : null;
    badgeHolder = el("span", { "data-badge-holder": "" });
    if (oldBadge) badgeHolder.append(oldBadge);
    setBadge(badgeHolder, card.status, animate);
    node.dataset.status = card.status || "none";
    const meta = card.interview_at
      ? el("div", { class: "card-meta" }, interviewNode(card.interview_at))
      : card.status_reason
      ? el("div", { class: "card-meta is-reason", title: card.status_reason }, reasonLabel(card.status_reason))
      : card.updated_at ? el("div", { class: "card-meta" }, timeNode(card.updated_at, "Updated ")) : null;
    node.replaceChildren(
      el("div", { class: "card-top" }, avatar(card.candidate_name), nameLink(card, "card-name"), withdrawnTag(card), erasedTag(card)),
      el("div", { class: "card-bottom" }, badgeHolder, el("span", { class: "card-links" }, workflowLink(candidateId, true))),
      meta,
    );
  }

  let lastBoard = null;

  function renderBoard(board, animate) {
    lastBoard = board;
    const seen = new Set();
    for (const column of board.columns) {
      const columnNode = ensureColumn(column);
      const list = columnNode.querySelector("[data-column-cards]");
      let previous = null;
      for (const card of column.cards) {
        seen.add(card.application_id);
        let entry = cards.get(card.application_id);
        if (!entry) {
          const node = el("article", { class: "card", "data-application-id": card.application_id });
          fillCard(node, card, false);
          entry = { el: node, item: card, key: cardKey(card), stageId: column.stage_id };
          cards.set(card.application_id, entry);
        } else if (entry.key !== cardKey(card)) {
          fillCard(entry.el, card, animate);
          entry.item = card;
          entry.key = cardKey(card);
        }
        entry.stageId = column.stage_id;
        const expected = previous ? previous.nextElementSibling : list.firstElementChild;
        if (expected !== entry.el) {
          if (previous) previous.after(entry.el);
          else list.prepend(entry.el);
        }
        previous = entry.el;
      }
    }
    for (const [id, entry] of cards) {
      if (!seen.has(id)) {
        entry.el.remove();
        cards.delete(id);
      }
    }
    applyBoardFilters();
  }

  /** Show what the filters ask for; counts come from the server (columns only hold the first cards). */
  function applyBoardFilters() {
    const shown = {};
    for (const entry of cards.values()) {
      const visible = !state.status || entry.item.status === state.status;
      entry.el.hidden = !visible;
      if (visible) shown[entry.stageId] = (shown[entry.stageId] || 0) + 1;
    }
    const columns = new Map(((lastBoard && lastBoard.columns) || []).map((c) => [c.stage_id, c]));
    document.querySelectorAll("[data-column]").forEach((columnNode) => {
      const stageId = columnNode.dataset.column;
      columnNode.hidden = Boolean(state.stage) && state.stage !== stageId;
      const column = columns.get(stageId);
      const visible = shown[stageId] || 0;
      const total = column ? (state.status ? (column.counts || {})[state.status] || 0 : column.total) : visible;
      columnNode.querySelector("[data-column-count]").textContent = String(Math.max(total, visible));
      // The footer of the column: an empty state, a link to the rest, or nothing.
      let footer = null;
      if (visible === 0 && state.boardLoaded) {
        footer = ["column-empty", state.status ? `No ${(statusLabel[state.status] || state.status).toLowerCase()} applications` : "No applications"];
      } else if (total > visible) {
        footer = ["column-more", `+ ${total - visible} more in the table`];
      }
      const current = columnNode.querySelector(".column-empty, .column-more");
      if (current && footer && current.className === footer[0] && current.textContent === footer[1]) return;
      if (current) current.remove();
      if (!footer) return;
      const node = footer[0] === "column-more"
        ? el("a", { class: "column-more", href: "#", "data-column-more": stageId }, footer[1])
        : el("div", { class: "column-empty" }, footer[1]);
      if (footer[0] === "column-more") {
        node.addEventListener("click", (event) => {
          event.preventDefault();
          setFilters(state.status, stageId);
          setView("table");
        });
      }
      columnNode.querySelector("[data-column-cards]").after(node);
    });
  }

  async function refreshBoard() {
    const filter = state.status;
    const board = await fetchJson(config.urls.board + (filter ? `?status=${encodeURIComponent(filter)}` : ""));
    if (filter !== state.status) return; // the filter changed meanwhile
    renderBoard(board, state.boardLoaded);
    state.boardLoaded = true;
    applyBoardFilters();
  }

  // ---- counts ---------------------------------------------------------------------------------

  async function refreshCounts() {
    const counts = await fetchJson(config.urls.counts);
    for (const status of config.statuses) {
      const node = document.querySelector(`[data-count-for="${status.value}"]`);
      const value = counts.statuses[status.value] || 0;
      if (node && node.textContent !== String(value)) node.textContent = String(value);
      if (node) node.classList.toggle("is-zero", value === 0);
    }
    document.querySelectorAll("[data-stage-count]").forEach((node) => {
      const value = String(counts.stages[node.dataset.stageCount] || 0);
      if (node.textContent !== value) node.textContent = value;
    });
    $("total-count").textContent = counted(counts.total, "application");
  }

  // ---- timeline drawer ------------------------------------------------------------------------

  function closeDrawer() {
    state.drawerEnrolment = null;
    $("timeline-drawer").hidden = true;
    $("drawer-scrim").hidden = true;
  }

  async function openDrawer(enrolmentId) {
    state.drawerEnrolment = enrolmentId;
    $("drawer-title").textContent = "Loading…";
    $("drawer-sub").textContent = "";
    $("drawer-body").replaceChildren();
    $("drawer-foot").replaceChildren();
    $("timeline-drawer").hidden = false;
    $("drawer-scrim").hidden = false;
    await refreshDrawer();
    $("drawer-close").focus();
  }

  async function refreshDrawer() {
    const id = state.drawerEnrolment;
    if (!id) return;
    let enrolment;
    try {
      enrolment = await fetchJson(`${config.urls.enrolment}${encodeURIComponent(id)}`);
    } catch (error) {
      if (state.drawerEnrolment === id && !$("drawer-body").childElementCount) {
        $("drawer-title").textContent = "Timeline unavailable";
        $("drawer-body").replaceChildren(el("p", { class: "muted" }, String(error.message || error)));
      }
      return;
    }
    if (state.drawerEnrolment !== id) return;
    const candidateName = enrolment.candidate_name || (rows.get(enrolment.application_id) || cards.get(enrolment.application_id) || { item: {} }).item.candidate_name;
    $("drawer-title").textContent = enrolment.candidate_erased ? "Erased candidate" : candidateName || "Unnamed candidate";
    $("drawer-sub").textContent = `${campaignName(enrolment.campaign_id) || "Campaign"} · ${stageName(enrolment.stage_id)}`;
    const statusHolder = el("dd", {});
    statusHolder.append(badge(enrolment.status));
    const facts = el("dl", { class: "facts" },
      el("dt", {}, "Status"), statusHolder,
      enrolment.campaign && enrolment.campaign.name ? [el("dt", {}, "Campaign"), el("dd", {}, `${enrolment.campaign.name} · ${config.kinds[enrolment.campaign.kind] || enrolment.campaign.kind} over ${config.channels[enrolment.campaign.channel] || enrolment.campaign.channel}`)] : null,
      enrolment.status_reason ? [el("dt", {}, "Reason"), el("dd", {}, reasonLabel(enrolment.status_reason))] : null,
      enrolment.created_at ? [el("dt", {}, "Created"), el("dd", {}, absoluteTime(enrolment.created_at))] : null,
      enrolment.delivered_at ? [el("dt", {}, "Delivered"), el("dd", {}, absoluteTime(enrolment.delivered_at))] : null,
      expiresAt(enrolment) ? [el("dt", {}, "Expires"), el("dd", {}, absoluteTime(expiresAt(enrolment)))] : null,
      enrolment.next_send_at ? [el("dt", {}, "Next send"), el("dd", { "data-next-send": "" }, `${enrolment.next_send || "message"} · ${absoluteTime(enrolment.next_send_at)}`)] : null,
    );
    const entries = [...(enrolment.timeline || [])].reverse();
    const timeline = el("ol", { class: "timeline", "data-timeline-for": id },
      entries.map((entry) => el("li", { "data-status": entry.status },
        el("span", { class: "tl-dot" }),
        el("div", { class: "tl-head" }, badge(entry.status), el("span", { class: "tl-time", title: entry.at }, absoluteTime(entry.at))),
        el("div", { class: "tl-detail" }, entry.detail || ""))));
    const messages = (enrolment.messages || []).map((message) => el("li", { class: "message", "data-message-status": message.status || "" },
      el("div", { class: "message-head" },
        el("span", { class: "kind-pill" }, (message.channel || "").toUpperCase()),
        message.name ? el("span", { class: "message-name" }, message.name.charAt(0).toUpperCase() + message.name.slice(1)) : null,
        el("span", { class: "mono" }, message.recipient || ""),
        el("span", { class: "tl-time" }, message.sent_at ? absoluteTime(message.sent_at) : "")),
      el("div", { class: "message-meta" },
        el("span", { "data-delivery": "" }, `${message.provider || "?"} · ${message.status || "?"}`
          + (message.error_code ? ` · error ${message.error_code}` : "")),
        message.provider_message_id ? el("span", { class: "mono", title: "Provider's message id" }, message.provider_message_id) : null),
      el("div", { class: "message-body" }, message.body || "")));
    $("drawer-body").replaceChildren(
      facts,
      el("p", { class: "section-title" }, "Timeline · newest first"),
      timeline,
      messages.length ? el("p", { class: "section-title messages-title" }, `Messages sent · ${messages.length}`) : null,
      messages.length ? el("ol", { class: "messages" }, messages) : null,
    );
    const candidateId = enrolment.candidate_id || (known.get(enrolment.application_id) || {}).candidate_id;
    const url = workflowUrl(candidateId);
    $("drawer-foot").replaceChildren(
      url ? el("a", { class: "btn primary", href: url, target: "_blank", rel: "noopener", "data-workflow-link": candidateId }, svg(ICON_EXTERNAL), "Open workflow in Temporal") : null,
      el("a", { class: "btn", href: `${config.urls.enrolment_page}${encodeURIComponent(id)}`, "data-enrolment-page": id }, "Open enrolment page"),
    );
  }

  // ---- view switching, filters, URL -----------------------------------------------------------

  function syncUrl() {
    const url = new URL(window.location.href);
    url.searchParams.set("view", state.view);
    if (state.status) url.searchParams.set("status", state.status);
    else url.searchParams.delete("status");
    if (state.stage) url.searchParams.set("stage_id", state.stage);
    else url.searchParams.delete("stage_id");
    history.replaceState(history.state, "", url);
  }

  function setView(view) {
    if (view !== "table" && view !== "kanban") return;
    state.view = view;
    for (const name of ["table", "kanban"]) {
      document.querySelector(`[data-view="${name}"]`).hidden = name !== view;
      document.querySelector(`[data-view-button="${name}"]`).setAttribute("aria-selected", String(name === view));
    }
    syncUrl();
    poll();
  }

  function setFilters(status, stage) {
    state.status = status;
    state.stage = stage;
    $("status-filter").value = status;
    $("stage-filter").value = stage;
    $("clear-filters").hidden = !status && !stage;
    document.querySelectorAll(".stat[data-status-filter]").forEach((node) => {
      node.classList.toggle("is-active", node.dataset.statusFilter === status);
    });
    document.querySelectorAll(".pipeline-stage").forEach((node) => {
      node.classList.toggle("is-selected", node.dataset.stageId === stage);
    });
    syncUrl();
    resetTable();
    applyBoardFilters();
    poll();
  }

  // ---- the live loop --------------------------------------------------------------------------

  const poll = window.Live.loop(
    async () => {
      const work = [refreshCounts(), state.view === "table" ? refreshTable() : refreshBoard()];
      if (state.drawerEnrolment) work.push(refreshDrawer());
      await Promise.all(work);
      state.lastOk = new Date();
    },
    { interval: config.poll_ms, onState: setLive },
  );

  function setLive(mode, error) {
    window.Live.showState(mode, error);
    tickClock();
  }

  function tickClock() {
    $("updated-at").textContent = state.lastOk ? `Updated ${state.lastOk.toLocaleTimeString()}` : "Loading…";
    document.querySelectorAll("time.time[datetime]").forEach((node) => {
      const text = (node.dataset.prefix || "") + relativeTime(node.getAttribute("datetime"));
      if (node.textContent !== text) node.textContent = text;
    });
  }

  // ---- wiring ---------------------------------------------------------------------------------

  document.querySelectorAll("[data-view-button]").forEach((button) => {
    button.addEventListener("click", () => setView(button.dataset.viewButton));
  });
  $("status-filter").addEventListener("change", (event) => setFilters(event.target.value, state.stage));
  $("stage-filter").addEventListener("change", (event) => setFilters(state.status, event.target.value));
  $("clear-filters").addEventListener("click", () => setFilters("", ""));
  document.querySelectorAll(".stat[data-status-filter]").forEach((node) => {
    node.addEventListener("click", () => setFilters(state.status === node.dataset.statusFilter ? "" : node.dataset.statusFilter, state.stage));
  });
  document.querySelectorAll("button[data-stage-filter]").forEach((node) => {
    node.addEventListener("click", () => setFilters(state.status, state.stage === node.dataset.stageFilter ? "" : node.dataset.stageFilter));
  });
  $("load-more").addEventListener("click", () => loadMore().catch((error) => setLive("stale", error)));
  let searchTimer = null;
  $("search").addEventListener("input", (event) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.search = event.target.value.trim();
      resetTable();
      poll();
    }, 250);
  });
  $("bulk-reenrol").addEventListener("click", () => bulk("reenrol"));
  document.querySelectorAll("button[data-sort]").forEach((button) => {
    button.addEventListener("click", () => setSort(button.dataset.sort));
  });
  $("bulk-cancel").addEventListener("click", async () => {
    const question = `Cancel ${counted(state.selected.size, "enrolment")}? Nothing more is sent for them.`;
    if (await window.confirmInPage(question, { yes: "Cancel them", no: "Keep them" })) bulk("cancel");
  });
  $("drawer-close").addEventListener("click", closeDrawer);
  $("drawer-scrim").addEventListener("click", closeDrawer);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.drawerEnrolment) closeDrawer();
  });
  setInterval(tickClock, 1000);

  const params = new URLSearchParams(window.location.search);
  const initialStatus = statusLabel[params.get("status")] ? params.get("status") : "";
  const initialStage = config.stages[params.get("stage_id")] ? params.get("stage_id") : "";
  state.status = initialStatus;
  state.stage = initialStage;
  setFilters(initialStatus, initialStage);
  setView(state.view);
  // Fetch the hidden view once in the background, so the first switch shows data immediately.
  (state.view === "table" ? refreshBoard() : refreshTable()).catch(() => {});
})();
