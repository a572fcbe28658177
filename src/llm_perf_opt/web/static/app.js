// The analyzer's web page: reads the choices from /v1, posts an analysis whenever an input changes, and shows
// the answer per page (the server formats it as the CLI does), the stage table and where the time goes.
"use strict";

const $ = (id) => document.getElementById(id);
const FIELDS = ["model", "resolution_mode", "image_width", "image_height", "max_new_tokens", "batch_size"];
const STAGE_COLUMNS = [
  ["tensor_core_flops", "Tensor-Core GFLOP", (v) => fmt(v / 1e9, 1)],
  ["io_bytes", "memory traffic (GB)", (v) => fmt(v / 1e9, 2)],
  ["weight_bytes", "weights (GB)", (v) => fmt(v / 1e9, 2)],
  ["kv_cache_bytes", "KV cache (GB)", (v) => fmt(v / 1e9, 3)],
  ["predicted_time_s", "roofline (ms)", (v) => fmt(v * 1e3, 3)],
  ["predicted_kernel_s", "kernel time (ms)", (v) => fmt(v * 1e3, 3)],
  ["predicted_wall_s", "wall time (ms)", (v) => fmt(v * 1e3, 3)],
  ["kernel_launches", "kernels", (v) => fmt(v, 0)],
];
const COLORS = ["#3b6fb6", "#e08a2c", "#7a9e3d", "#b5475b", "#6b5ca5", "#4aa3a2"];
let chart = null;
let generation = 0;
let timer = null;

function fmt(value, digits) {
  return Number(value).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

async function api(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json();
  if (!response.ok) throw new Error(data.detail || `HTTP ${response.status}`);
  return data;
}

function fill(select, entries, label, blank) {
  select.replaceChildren();
  if (blank) select.append(new Option(blank, ""));
  for (const e of entries) select.append(new Option(label(e), e.name));
}

const BASIS_GROUPS = [
  ["calibrated", "calibrated (measured kernel-time curves)"],
  ["portable", "portable estimates (datasheet)"],
];

function fillGpus(select, entries) {
  // GPUs grouped by the basis of their times (summary.json's page.basis)
  select.replaceChildren();
  for (const [basis, label] of BASIS_GROUPS) {
    const group = Object.assign(document.createElement("optgroup"), { label });
    for (const e of entries.filter((h) => h.basis === basis)) {
      const option = new Option(e.display_name, e.name);
      option.title = `${e.display_name}: ${e.memory_gb} GB, ${e.architecture}, ${label}`;
      group.append(option);
    }
    if (group.children.length) select.append(group);
  }
}

function request(hardware, runtime) {
  const body = { hardware, runtime };
  for (const name of FIELDS) {
    const value = $(name).value.trim();
    if (value === "") continue;
    body[name] = $(name).type === "number" ? Number(value) : value;
  }
  return body;
}

async function analyse(body) {
  const status = await api("POST", "/v1/analyses", body);
  const base = status.links.analysis;
  const [headline, summary, time] = await Promise.all([
    api("GET", `${base}/headline`), api("GET", `${base}/summary`), api("GET", `${base}/time`),
  ]);
  return { status, headline, summary, time };
}

function showHeadline(a, b) {
  const title = (p) => `${p.hardware}, ${p.runtime} (${p.basis})`;
  $("headline-a").textContent = title(a.headline.page);
  $("headline-b").textContent = b ? title(b.headline.page) : "";
  const body = $("headline").tBodies[0];
  body.replaceChildren();
  a.headline.rows.forEach((row, i) => {
    const tr = body.insertRow();
    tr.dataset.label = row.label;
    tr.insertCell().textContent = row.label.replace(/^basis: (GPU|runtime) .*/, "basis: $1");
    const cellA = tr.insertCell();
    cellA.className = "a";
    cellA.textContent = row.value;
    const cellB = tr.insertCell();
    cellB.className = "b";
    cellB.textContent = b ? b.headline.rows[i].value : "";
  });
}

function showStages(summary) {
  const head = $("stages").tHead;
  head.replaceChildren();
  const hr = head.insertRow();
  for (const text of ["stage", ...STAGE_COLUMNS.map((c) => c[1])]) hr.append(Object.assign(document.createElement("th"), { textContent: text }));
  const body = $("stages").tBodies[0];
  body.replaceChildren();
  for (const [stage, s] of Object.entries(summary.stages)) {
    const tr = body.insertRow();
    tr.dataset.stage = stage;
    tr.insertCell().textContent = stage;
    for (const [key, , show] of STAGE_COLUMNS) {
      const td = tr.insertCell();
      td.className = "num";
      td.textContent = s[key] === undefined ? "" : show(s[key]);
    }
  }
}

function showTime(time) {
  const parts = Object.keys(time.part_labels);
  const head = $("time").tHead;
  head.replaceChildren();
  const hr = head.insertRow();
  for (const text of ["stage", ...parts.map((p) => `${time.part_labels[p]} (ms)`), "wall (ms)", "largest gap"]) {
    hr.append(Object.assign(document.createElement("th"), { textContent: text }));
  }
  const body = $("time").tBodies[0];
  body.replaceChildren();
  for (const s of time.stages) {
    const tr = body.insertRow();
    tr.insertCell().textContent = s.stage;
    for (const p of parts) Object.assign(tr.insertCell(), { className: "num", textContent: fmt(s.parts[p] * 1e3, 3) });
    Object.assign(tr.insertCell(), { className: "num", textContent: fmt(s.wall_s * 1e3, 3) });
    tr.insertCell().textContent = time.part_labels[s.largest_gap] || s.largest_gap;
  }
  const datasets = parts.map((p, i) => ({
    label: time.part_labels[p],
    data: time.stages.map((s) => s.parts[p] * 1e3),
    backgroundColor: COLORS[i % COLORS.length],
  }));
  const data = { labels: time.stages.map((s) => s.stage), datasets };
  if (chart === null) {
    chart = new Chart($("chart"), {
      type: "bar",
      data,
      options: {
        indexAxis: "y", animation: false, maintainAspectRatio: false,
        // the axis starts at 0: "kernel split & extra traffic" is negative where fused kernels beat the per-layer
        // pieces (a fraction of a millisecond here); the table below shows it, a bar that small could not
        scales: {
          x: { stacked: true, min: 0, title: { display: true, text: "predicted wall time (ms)" } },
          y: { stacked: true },
        },
      },
    });
  } else {
    chart.data = data;
    chart.update();
  }
}

function showFiles(status) {
  const list = $("downloads");
  list.replaceChildren();
  for (const [name, url] of Object.entries(status.links.files)) {
    const a = Object.assign(document.createElement("a"), { href: url, textContent: name });
    a.setAttribute("download", `${status.id}-${name}`);
    const item = document.createElement("li");
    item.append(a);
    list.append(item);
  }
  $("command").textContent = status.command_line.join(" ");
}

async function update() {
  const mine = ++generation;
  const comparing = $("compare").checked;
  document.body.classList.toggle("comparing", comparing);
  document.body.dataset.state = "loading";
  $("message").className = "";
  $("message").textContent = "computing...";
  try {
    const a = await analyse(request($("hardware").value, $("runtime").value));
    const b = comparing ? await analyse(request($("hardware_b").value, $("runtime_b").value)) : null;
    if (mine !== generation) return;
    showHeadline(a, b);
    showStages(a.summary);
    showTime(a.time);
    showFiles(a.status);
    document.body.dataset.runId = a.status.id;
    document.body.dataset.state = "ready";
    $("message").textContent = `run ${a.status.id}${a.status.cached ? " (cached)" : ""}`;
  } catch (error) {
    if (mine !== generation) return;
    document.body.dataset.state = "error";
    $("message").className = "error";
    $("message").textContent = error.message;
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(update, 200);
}

let choices = null;

function showModel(resetValues) {
  const model = choices.models.find((m) => m.name === $("model").value);
  const profile = choices.workloads.profiles.find((p) => p.name === model.standard_profile);
  const mode = (m) => `${m.name} (${m.base_size}/${m.image_size}${m.crop_mode ? ", crops" : ""})`;
  fill($("resolution_mode"), model.resolution_modes, mode, `the profile's (${profile.resolution_mode})`);
  $("image_width").placeholder = `profile: ${profile.image_width ?? "none"}`;
  $("image_height").placeholder = `profile: ${profile.image_height ?? "none"}`;
  if (resetValues) {
    $("max_new_tokens").value = profile.max_new_tokens;
    $("batch_size").value = profile.batch_size;
  }
}

async function start() {
  const [models, workloads, hardware, runtimes] = await Promise.all([
    api("GET", "/v1/models"), api("GET", "/v1/workloads"), api("GET", "/v1/hardware"), api("GET", "/v1/runtimes"),
  ]);
  choices = { models, workloads };
  fill($("model"), models, (m) => m.display_name);
  fillGpus($("hardware"), hardware);
  fillGpus($("hardware_b"), hardware);
  fill($("runtime"), runtimes, (r) => r.name);
  fill($("runtime_b"), runtimes, (r) => r.name);
  $("hardware").value = "h100-sxm";
  $("hardware_b").value = "h200";
  showModel(true);
  $("model").addEventListener("change", () => showModel(true));
  for (const el of document.querySelectorAll("#inputs input, #inputs select")) {
    el.addEventListener("input", schedule);
    el.addEventListener("change", schedule);
  }
  await update();
}

start().catch((error) => {
  document.body.dataset.state = "error";
  $("message").className = "error";
  $("message").textContent = error.message;
});
