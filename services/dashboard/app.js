// tripdesk dashboard: one page over the JSON API (/api/v1/<Service>/<Method>)
// with live updates from the log (/api/live, server-sent events). No
// framework; every value is written as text, never as HTML.
"use strict";

const state = { session: null, live: null, liveHandler: null, refreshAt: 0, refreshTimer: null };

// ---- small helpers ---------------------------------------------------------

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const main = () => document.getElementById("main");
function show(...nodes) { main().replaceChildren(...nodes); }
function errorText(e) { return e && e.message ? `${e.code || "error"}: ${e.message}` : String(e); }
function errorBox(e) { return el("p", { class: "error", role: "alert", text: errorText(e) }); }

function when(ts) {
  if (!ts) return "";
  const d = new Date(ts);
  return isNaN(d) ? ts : d.toISOString().replace("T", " ").slice(0, 16) + "Z";
}
function money(m) {
  if (!m || !m.currency) return "";
  return `${m.currency} ${(Number(m.minorUnits || 0) / 100).toFixed(2)}`;
}
function short(enumName, prefix) {
  if (!enumName) return "";
  return enumName.replace(prefix, "").toLowerCase().replace(/_/g, " ");
}
const workflowNames = {
  WORKFLOW_MANUAL_CAR_BOOKING: "car booking", WORKFLOW_RV_RENTAL: "RV rental",
  WORKFLOW_FLEET_BOOKING: "fleet booking", WORKFLOW_FLIGHT_CHANGE: "flight change",
};
// The stage in words: "QUOTE_SENT", "RV_QUOTE", "FLEET_BOOKED", "FC_TICKET_REISSUED" -> "quote sent"...
function stageOf(view) {
  const stage = view.carBookingStage || view.rvStage || view.fleetStage || view.flightChangeStage || view.state || "";
  return stage.replace(/^(RV|FLEET|FC)_/, "").toLowerCase().replace(/_/g, " ");
}
function nextDeadline(view) {
  const due = (view.deadlines || []).map((d) => d.dueAt).filter(Boolean).sort();
  return due.length ? due[0] : "";
}
function slaState(view) {
  const clocks = view.sla || [];
  if (clocks.some((c) => c.breached && !c.fulfilledAt)) return "breached";
  if (clocks.some((c) => c.warned && !c.fulfilledAt)) return "at risk";
  if (clocks.some((c) => !c.fulfilledAt)) return "on track";
  return "";
}
function badge(text) {
  return text ? el("span", { class: "badge " + text.replace(/ /g, "-"), text }) : "";
}
function hasRole(...roles) {
  return state.session && state.session.roles.some((r) => roles.includes(r));
}

function table(columns, rows, rowProps) {
  const head = el("tr", {}, columns.map((c) => el("th", { text: c.title })));
  const body = rows.map((row) => el("tr", rowProps ? rowProps(row) : {},
    columns.map((c) => { const v = c.value(row); return el("td", { class: c.wrap ? "wrap" : "" }, v); })));
  return el("div", { class: "scroll" }, el("table", {}, el("thead", {}, head), el("tbody", {}, body)));
}

function definitionList(pairs) {
  return el("dl", { class: "view" }, pairs.filter(([, v]) => v !== "" && v !== undefined && v !== null)
    .map(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]));
}

function filtersForm(fields, onSubmit) {
  const form = el("form", { class: "filters" });
  for (const f of fields) {
    const input = f.options
      ? el("select", { name: f.name }, f.options.map(([v, t]) => el("option", { value: v, text: t })))
      : el("input", { name: f.name, type: f.type || "text", placeholder: f.placeholder || "" });
    if (f.type === "checkbox") input.checked = !!f.value;
    else if (f.value !== undefined) input.value = f.value;
    form.append(el("label", {}, f.label, input));
  }
  form.append(el("button", { type: "submit", text: "Show" }));
  form.addEventListener("submit", (e) => { e.preventDefault(); onSubmit(values(form)); });
  return form;
}
function values(form) {
  const out = {};
  for (const input of form.querySelectorAll("input, select")) {
    out[input.name] = input.type === "checkbox" ? input.checked : input.value.trim();
  }
  return out;
}
function pruned(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) if (v !== "" && v !== false && v !== undefined) out[k] = v;
  return out;
}

// ---- the API ---------------------------------------------------------------

function headers() {
  return { "Content-Type": "application/json", "X-CSRF-Token": state.session ? state.session.csrfToken : "" };
}
async function failure(res) {
  const text = await res.text();
  try { return JSON.parse(text); } catch { return { code: res.status, message: text || res.statusText }; }
}
async function api(method, body) {
  const res = await fetch("/api/v1/" + method, { method: "POST", headers: headers(), body: JSON.stringify(body || {}) });
  if (res.status === 401) signedOut();
  if (!res.ok) throw await failure(res);
  return res.json();
}
// A server stream: one message a line; a failure ends it with {"error": ...}.
async function apiStream(method, body, onMessage) {
  const res = await fetch("/api/v1/" + method, { method: "POST", headers: headers(), body: JSON.stringify(body || {}) });
  if (!res.ok) throw await failure(res);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffered += decoder.decode(value || new Uint8Array(), { stream: !done });
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      const message = JSON.parse(line);
      if (message.error) throw message.error;
      onMessage(message);
    }
    if (done) return;
  }
}
async function download(method, body, fallbackName) {
  const res = await fetch("/api/download/" + method, { method: "POST", headers: headers(), body: JSON.stringify(body || {}) });
  if (!res.ok) throw await failure(res);
  const disposition = res.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(disposition);
  const url = URL.createObjectURL(await res.blob());
  const a = el("a", { href: url, download: match ? match[1] : fallbackName });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- live updates ----------------------------------------------------------

// Pages refresh at most once a second however busy the log is.
function liveRefresh(render) {
  const now = Date.now();
  const wait = Math.max(0, state.refreshAt + 1000 - now);
  if (state.refreshTimer) return;
  state.refreshTimer = setTimeout(() => {
    state.refreshTimer = null;
    state.refreshAt = Date.now();
    render();
  }, wait);
}
function watch(caseId, onChanges) {
  stopWatching();
  const indicator = document.getElementById("live");
  const source = new EventSource("/api/live" + (caseId ? "?case_id=" + encodeURIComponent(caseId) : ""));
  source.addEventListener("open", () => { indicator.className = "live on"; });
  source.addEventListener("error", () => { indicator.className = "live off"; });
  source.addEventListener("changes", (e) => {
    indicator.className = "live on";
    const batch = JSON.parse(e.data);
    indicator.title = "Live: log position " + (batch.position || "0");
    if ((batch.changes || []).length || Number(batch.dropped || 0)) onChanges(batch);
  });
  state.live = source;
}
function stopWatching() {
  if (state.live) state.live.close();
  state.live = null;
  if (state.refreshTimer) clearTimeout(state.refreshTimer);
  state.refreshTimer = null;
  document.getElementById("live").className = "live off";
}

// ---- views -----------------------------------------------------------------

async function queueView(params) {
  const filters = filtersForm([
    { name: "workflow", label: "Workflow", value: params.workflow || "", options: [["", "any"],
      ...Object.entries(workflowNames)] },
    { name: "state", label: "State", value: params.state || "", placeholder: "e.g. QUOTE_SENT" },
    { name: "queue", label: "Queue", value: params.queue || "" },
    { name: "assignedAgent", label: "Agent", value: params.assignedAgent || "" },
    { name: "waitingOnCustomer", label: "Waiting on customer", type: "checkbox", value: params.waitingOnCustomer },
  ], (v) => { location.hash = "#/queue?" + new URLSearchParams(pruned(v)).toString(); });
  const summary = el("div", { class: "cards" });
  const list = el("div");
  const pager = el("div", { class: "pager" });
  show(el("h1", { text: "Queue board" }), filters, summary, el("h2", { text: "Cases, most recently updated first" }), list, pager);
  let rows = [];
  let nextToken = "";
  const request = pruned({ workflow: params.workflow, state: params.state, queue: params.queue,
    assignedAgent: params.assignedAgent, waitingOnCustomer: params.waitingOnCustomer === "true" });
  let changed = new Set();
  const render = () => {
    const open = rows.filter((v) => v.open);
    const count = (key) => open.reduce((m, v) => { const k = key(v) || "(none)"; m[k] = (m[k] || 0) + 1; return m; }, {});
    const card = (title, counts) => el("div", { class: "card" }, el("h3", { text: title }),
      el("ul", {}, Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 8)
        .map(([k, n]) => el("li", {}, el("span", { text: k }), el("strong", { text: String(n) })))));
    summary.replaceChildren(
      card("By workflow and stage", count((v) => `${workflowNames[v.workflow] || "case"} · ${stageOf(v)}`)),
      card("By status", count((v) => short(v.status, "CASE_STATUS_"))),
      card("Per queue", count((v) => v.queue)),
      card("Per agent", count((v) => v.assignedAgent)),
      card("SLA", count((v) => slaState(v) || "no SLA")));
    list.replaceChildren(rows.length === 0 ? el("p", { class: "note", text: "No cases match." }) : table([
      { title: "Case", value: (v) => el("a", { href: "#/case/" + encodeURIComponent(v.caseId), text: v.caseId }) },
      { title: "Workflow", value: (v) => workflowNames[v.workflow] || "" },
      { title: "Stage", value: (v) => stageOf(v) },
      { title: "Status", value: (v) => short(v.status, "CASE_STATUS_") },
      { title: "Priority", value: (v) => short(v.priority, "CASE_PRIORITY_") },
      { title: "Queue", value: (v) => v.queue || "" },
      { title: "Agent", value: (v) => v.assignedAgent || "" },
      { title: "Customer", value: (v) => (v.customer && v.customer.name) || "" },
      { title: "Next deadline", value: (v) => when(nextDeadline(v)) },
      { title: "SLA", value: (v) => badge(slaState(v)) },
      { title: "Updated", value: (v) => when(v.updatedAt) },
    ], rows, (v) => ({ class: changed.has(v.caseId) ? "changed" : "", "data-case": v.caseId })));
    pager.replaceChildren(el("span", { class: "note", text: `${rows.length} cases shown` }),
      nextToken ? el("button", { class: "secondary", type: "button", text: "More", onclick: () => load(false) }) : "");
  };
  const load = async (fresh) => {
    try {
      const page = await api("tripdesk.v1.CaseService/ListCases",
        { ...request, pageSize: 100, pageToken: fresh ? "" : nextToken });
      rows = fresh ? (page.cases || []) : rows.concat(page.cases || []);
      nextToken = page.nextPageToken || "";
      render();
    } catch (e) { list.replaceChildren(errorBox(e)); }
  };
  await load(true);
  watch("", (batch) => {
    changed = new Set((batch.changes || []).map((c) => c.caseId));
    liveRefresh(() => load(true));
  });
}

async function caseView(caseId) {
  const head = el("h1", { text: "Case " + caseId });
  const body = el("div");
  show(head, body);
  const render = async () => {
    let view;
    try { view = await api("tripdesk.v1.CaseService/GetCase", { caseId }); } catch (e) { body.replaceChildren(errorBox(e)); return; }
    const customer = view.customer || {};
    const facts = definitionList([
      ["Workflow", workflowNames[view.workflow] || ""],
      ["Stage", stageOf(view)],
      ["Status", short(view.status, "CASE_STATUS_")],
      ["Priority", short(view.priority, "CASE_PRIORITY_")],
      ["Customer", [customer.name, customer.email, customer.phone].filter(Boolean).join(" · ")],
      ["Company", view.clientCompany], ["Ticket", view.ticketRef], ["Queue", view.queue],
      ["Agent", view.assignedAgent],
      ["Travel", [view.travelFrom, view.travelTo].filter(Boolean).join(" → ")],
      ["Destination", view.destination], ["Tags", (view.tags || []).join(", ")],
      ["References", (view.references || []).map((r) => `${r.kind}: ${r.value}`).join(", ")],
      ["Waiting on customer", view.waitingOnCustomer ? "yes" : ""],
      ["Next steps", (view.allowedCommands || []).join(", ")],
      ["Revision", String(view.revision || 0)], ["Updated", when(view.updatedAt)],
    ]);
    const deadlines = (view.deadlines || []).length === 0 ? el("p", { class: "note", text: "No pending deadlines." })
      : table([{ title: "Kind", value: (d) => d.kind }, { title: "Due", value: (d) => when(d.dueAt) },
        { title: "Local", value: (d) => `${d.dueLocal || ""} ${d.zone || ""}` }], view.deadlines);
    const slas = (view.sla || []).length === 0 ? "" : table([
      { title: "SLA", value: (c) => c.metric }, { title: "Policy", value: (c) => c.policy || "" },
      { title: "Due", value: (c) => when(c.dueAt) },
      { title: "State", value: (c) => badge(c.fulfilledAt ? "ok" : c.breached ? "breached" : c.warned ? "at risk" : "on track") }],
    view.sla);
    const notes = el("div");
    const timeline = el("div");
    body.replaceChildren(el("div", { class: "two" },
      el("div", {}, facts, el("h2", { text: "Deadlines" }), deadlines, slas),
      el("div", {}, el("h2", { text: "Timeline" }), timeline, el("h2", { text: `Notes (${view.noteCount || 0})` }), notes)));
    loadNotes(caseId, notes);
    loadTimeline(caseId, timeline);
  };
  await render();
  watch(caseId, () => liveRefresh(render));
}

async function loadNotes(caseId, box, token) {
  try {
    const page = await api("tripdesk.v1.CaseService/ListNotes", { caseId, pageSize: 20, pageToken: token || "" });
    const items = (page.notes || []).map((n) => el("div", { class: "card" },
      el("h3", { text: `${when(n.at)} · ${n.author || ""}` }), el("div", { text: n.text })));
    if (!token) box.replaceChildren();
    box.append(...items);
    if (!token && items.length === 0) box.append(el("p", { class: "note", text: "No notes." }));
    if (page.nextPageToken) {
      const more = el("button", { class: "secondary", type: "button", text: "Older notes",
        onclick: () => { more.remove(); loadNotes(caseId, box, page.nextPageToken); } });
      box.append(more);
    }
  } catch (e) { box.replaceChildren(errorBox(e)); }
}

async function loadTimeline(caseId, box) {
  if (!hasRole("auditor", "supervisor")) {
    box.replaceChildren(el("p", { class: "note", text: "The case history is for supervisors and auditors." }));
    return;
  }
  const entries = [];
  try {
    await apiStream("tripdesk.v1.AuditService/GetCaseHistory", { caseId }, (h) => entries.push(h));
    box.replaceChildren(table([
      { title: "#", value: (h) => String(h.envelope.revision || 0) },
      { title: "When", value: (h) => when(h.envelope.recordedAt) },
      { title: "Who", value: (h) => h.envelope.actorId || "" },
      { title: "Role", value: (h) => h.envelope.actorRole || "" },
      { title: "What", value: (h) => h.envelope.eventType },
    ], entries.reverse()));
  } catch (e) { box.replaceChildren(errorBox(e)); }
}

async function trackerView(params) {
  const filters = filtersForm([
    { name: "fromDate", label: "From", type: "date", value: params.fromDate || "" },
    { name: "toDate", label: "To", type: "date", value: params.toDate || "" },
    { name: "clientCompany", label: "Company", value: params.clientCompany || "" },
  ], (v) => { location.hash = "#/tracker?" + new URLSearchParams(pruned(v)).toString(); });
  const request = pruned({ fromDate: params.fromDate, toDate: params.toDate, clientCompany: params.clientCompany });
  const mayExport = hasRole("auditor", "supervisor");
  const status = el("p", { class: "error", role: "alert" });
  const csv = el("button", { type: "button", id: "tracker-csv", text: "Download CSV", disabled: !mayExport,
    title: mayExport ? "The tracker as the server exports it" : "Exports are for supervisors and auditors",
    onclick: () => download("tripdesk.v1.AuditService/ExportTracker", request, "tracker.csv").catch((e) => { status.textContent = errorText(e); }) });
  const list = el("div");
  show(el("h1", { text: "US production tracker" }), filters, el("div", { class: "pager" }, csv), status, list);
  const render = async () => {
    try {
      const page = await api("tripdesk.v1.CaseService/ListTrackerRows", { ...request, pageSize: 200 });
      const rows = page.rows || [];
      list.replaceChildren(rows.length === 0 ? el("p", { class: "note", text: "No tracker rows in this period." }) : table([
        { title: "Date", value: (r) => r.date }, { title: "Case", value: (r) => el("a", { href: "#/case/" + r.caseId, text: r.caseId }) },
        { title: "Agent", value: (r) => r.agent || "" }, { title: "Company", value: (r) => r.clientCompany || "" },
        { title: "Vendor", value: (r) => r.vendorCode || "" }, { title: "Confirmation", value: (r) => r.confirmationNumber || "" },
        { title: "MIS", value: (r) => (r.misFiled ? "filed" : "") }, { title: "Fee", value: (r) => money(r.fee) },
        { title: "Closed", value: (r) => when(r.closedAt) }], rows));
    } catch (e) { list.replaceChildren(errorBox(e)); }
  };
  await render();
  watch("", () => liveRefresh(render));
}

function isoDay(offsetDays) {
  return new Date(Date.now() + offsetDays * 86400000).toISOString().slice(0, 10);
}

async function rvView(params) {
  const from = params.fromDate || isoDay(7);
  const to = params.toDate || isoDay(14);
  let classes = [];
  try { classes = ((await api("tripdesk.v1.CaseService/GetReferenceData", {})).rv || {}).classes || []; } catch { classes = []; }
  const filters = filtersForm([
    { name: "classCode", label: "Class", value: params.classCode || (classes[0] && classes[0].code) || "",
      options: classes.map((c) => [c.code, `${c.code} · ${c.description || ""}`]) },
    { name: "fromDate", label: "From", type: "date", value: from },
    { name: "toDate", label: "To", type: "date", value: to },
  ], (v) => { location.hash = "#/rv?" + new URLSearchParams(pruned(v)).toString(); });
  const list = el("div");
  show(el("h1", { text: "RV fleet availability" }), filters, list);
  const classCode = params.classCode || (classes[0] && classes[0].code) || "";
  const render = async () => {
    try {
      const page = await api("tripdesk.v1.CaseService/ListAvailableUnits", { classCode, fromDate: from, toDate: to });
      const units = page.units || [];
      list.replaceChildren(el("p", { class: "note", text: `${units.length} ${classCode} units free from ${from} to ${to}` }),
        table([{ title: "Unit", value: (u) => u.vehicleNumber }, { title: "Class", value: (u) => u.classCode },
          { title: "Location", value: (u) => u.location || "" }], units));
    } catch (e) { list.replaceChildren(errorBox(e)); }
  };
  await render();
  watch("", () => liveRefresh(render));
}

async function fleetView(params) {
  const from = params.fromDate || isoDay(0);
  const to = params.toDate || isoDay(14);
  const filters = filtersForm([
    { name: "fromDate", label: "From", type: "date", value: from },
    { name: "toDate", label: "To", type: "date", value: to },
  ], (v) => { location.hash = "#/fleet?" + new URLSearchParams(pruned(v)).toString(); });
  const availability = el("div");
  const bookings = el("div");
  const accounts = el("div");
  show(el("h1", { text: "Fleet bookings" }), filters, el("h2", { text: "Asset availability" }), availability,
    el("h2", { text: "Bookings" }), bookings, el("h2", { text: "Accounts awaiting approval" }), accounts);
  const render = async () => {
    try {
      const a = await api("tripdesk.v1.CaseService/GetFleetAvailability", { fromDate: from, toDate: to });
      availability.replaceChildren(table([
        { title: "Asset", value: (x) => (x.asset && x.asset.id) || "" },
        { title: "Class", value: (x) => (x.asset && x.asset.assetClass) || "" },
        { title: "Where", value: (x) => (x.asset && x.asset.location) || "" },
        { title: "Description", value: (x) => (x.asset && x.asset.description) || "" },
        { title: "Free", value: (x) => badge(x.free ? "free" : "booked") },
        { title: "Bookings", value: (x) => (x.bookings || []).map((b) => `${b.startLocal} → ${b.endLocal}`).join("; ") , wrap: true }],
      a.assets || []));
      const b = await api("tripdesk.v1.CaseService/ListFleetBookings", { fromDate: from, toDate: to, pageSize: 100 });
      bookings.replaceChildren((b.bookings || []).length === 0 ? el("p", { class: "note", text: "No bookings in this period." }) : table([
        { title: "Reference", value: (x) => x.bookingReference || "" },
        { title: "Case", value: (x) => el("a", { href: "#/case/" + x.caseId, text: x.caseId }) },
        { title: "Asset", value: (x) => x.assetId }, { title: "Account", value: (x) => x.accountName || "" },
        { title: "Driver", value: (x) => x.driverName || "" }, { title: "From", value: (x) => x.startLocal || "" },
        { title: "To", value: (x) => x.endLocal || "" }, { title: "Total", value: (x) => money(x.total) },
        { title: "Status", value: (x) => stageOf({ fleetStage: x.status }) }], b.bookings));
      const c = await api("tripdesk.v1.CaseService/ListFleetAccounts", { awaitingApproval: true, pageSize: 50 });
      accounts.replaceChildren((c.accounts || []).length === 0 ? el("p", { class: "note", text: "None awaiting approval." }) : table([
        { title: "Account", value: (x) => (x.account && x.account.name) || "" },
        { title: "Company", value: (x) => (x.account && x.account.company) || "" },
        { title: "Drivers", value: (x) => String((x.drivers || []).length) }], c.accounts));
    } catch (e) { availability.replaceChildren(errorBox(e)); }
  };
  await render();
  watch("", () => liveRefresh(render));
}

async function changesView() {
  const board = el("div");
  show(el("h1", { text: "Flight changes by stage" }), board);
  const render = async () => {
    try {
      const page = await api("tripdesk.v1.CaseService/ListCases", { workflow: "WORKFLOW_FLIGHT_CHANGE", pageSize: 200 });
      const byStage = {};
      for (const v of page.cases || []) (byStage[stageOf(v)] ||= []).push(v);
      const stages = Object.keys(byStage);
      board.replaceChildren(stages.length === 0 ? el("p", { class: "note", text: "No flight changes." })
        : el("div", { class: "cards" }, stages.map((s) => el("div", { class: "card" }, el("h3", { text: `${s} (${byStage[s].length})` }),
          el("ul", {}, byStage[s].map((v) => el("li", {}, el("a", { href: "#/case/" + v.caseId, text: v.caseId }),
            el("span", { text: (v.customer && v.customer.name) || "" }))))))));
    } catch (e) { board.replaceChildren(errorBox(e)); }
  };
  await render();
  watch("", () => liveRefresh(render));
}

async function customerView(params) {
  const filters = filtersForm([{ name: "customer", label: "Customer email or phone", value: params.customer || "" }],
    (v) => { location.hash = "#/customer?" + new URLSearchParams(pruned(v)).toString(); });
  const list = el("div");
  show(el("h1", { text: "Customer timeline" }), filters, list);
  if (!params.customer) { list.replaceChildren(el("p", { class: "note", text: "Name a customer by email or phone." })); return; }
  const render = async () => {
    try {
      const page = await api("tripdesk.v1.CaseService/ListCustomerTimeline", { customer: params.customer, pageSize: 100 });
      list.replaceChildren(table([
        { title: "When", value: (x) => when(x.at) },
        { title: "Case", value: (x) => el("a", { href: "#/case/" + x.caseId, text: x.caseId }) },
        { title: "Workflow", value: (x) => workflowNames[x.workflow] || "" },
        { title: "What", value: (x) => x.eventType }, { title: "Who", value: (x) => x.actor || "" },
        { title: "Detail", value: (x) => x.text || "", wrap: true }], page.entries || []));
    } catch (e) { list.replaceChildren(errorBox(e)); }
  };
  await render();
  watch("", () => liveRefresh(render));
}

async function auditView(params) {
  const caseInput = el("input", { name: "caseId", id: "audit-case", value: params.caseId || "", placeholder: "case id" });
  const revision = el("input", { name: "revision", id: "audit-revision", type: "number", min: "1", placeholder: "revision" });
  const out = el("div");
  const verify = el("button", { type: "button", id: "verify", text: "Verify hash chain", onclick: async () => {
    const lines = el("pre", { class: "lines" });
    out.replaceChildren(el("h2", { text: "Verification" }), lines);
    try {
      let last = null;
      await apiStream("tripdesk.v1.AuditService/VerifyLog", pruned({ caseId: caseInput.value.trim() }), (p) => {
        last = p;
        lines.append(`${p.recordsChecked || 0} records checked${p.problem ? " · PROBLEM at " + p.problem.position + ": " + p.problem.problem : ""}\n`);
      });
      out.append(badge(last && last.problem ? "failed" : "ok"),
        el("span", { id: "verify-result", text: last && last.problem ? " the chain is broken" : " every record and link checks out" }));
    } catch (e) { out.append(errorBox(e)); }
  } });
  const replay = el("button", { type: "button", id: "replay", class: "secondary", text: "Replay", onclick: async () => {
    try {
      const body = { caseId: caseInput.value.trim() };
      if (revision.value) body.revision = revision.value;
      const view = await api("tripdesk.v1.AuditService/ReplayCase", body);
      out.replaceChildren(el("h2", { text: `Case ${view.caseId} at revision ${view.revision || 0}` }), definitionList([
        ["Workflow", workflowNames[view.workflow] || ""], ["Stage", stageOf(view)],
        ["Status", short(view.status, "CASE_STATUS_")], ["Agent", view.assignedAgent],
        ["Next steps then", (view.allowedCommands || []).join(", ")], ["Updated", when(view.updatedAt)]]));
    } catch (e) { out.replaceChildren(errorBox(e)); }
  } });
  show(el("h1", { text: "Audit" }), el("p", { class: "note",
    text: "Verify a case's hash chain (or the whole log, with no case), or replay a case as it stood at a revision." }),
  el("div", { class: "filters" }, el("label", {}, "Case", caseInput), el("label", {}, "Revision", revision), verify, replay), out);
}

// ---- routing and sign-in ---------------------------------------------------

const views = { queue: queueView, case: caseView, tracker: trackerView, rv: rvView, fleet: fleetView,
  changes: changesView, customer: customerView, audit: auditView };

function route() {
  if (!state.session) return;
  stopWatching();
  const hash = location.hash.replace(/^#\/?/, "") || "queue";
  const [path, query] = hash.split("?");
  const [name, arg] = path.split("/");
  const params = Object.fromEntries(new URLSearchParams(query || ""));
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === name);
  const view = views[name] || queueView;
  view(name === "case" ? decodeURIComponent(arg || "") : params).catch((e) => show(errorBox(e)));
}

function signedIn(session) {
  state.session = session;
  document.getElementById("who").textContent = `${session.subject} (${session.roles.join(", ")})`;
  document.getElementById("nav").hidden = false;
  document.getElementById("signout").hidden = false;
  for (const a of document.querySelectorAll("#nav a[data-roles]")) {
    a.hidden = !hasRole(...a.dataset.roles.split(" "));
  }
  route();
}

function signedOut() {
  stopWatching();
  state.session = null;
  location.reload();
}

async function start() {
  const form = document.getElementById("signin");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const token = document.getElementById("token");
    const error = document.getElementById("signin-error");
    error.textContent = "";
    const res = await fetch("/api/session", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token.value.trim() }) });
    token.value = "";
    if (!res.ok) { error.textContent = errorText(await failure(res)); return; }
    signedIn(await res.json());
  });
  document.getElementById("signout").addEventListener("click", async () => {
    await fetch("/api/session", { method: "DELETE", headers: headers() });
    signedOut();
  });
  window.addEventListener("hashchange", route);
  const res = await fetch("/api/session");
  if (res.ok) signedIn(await res.json());
}

document.addEventListener("DOMContentLoaded", start);
