// The preview page: reads the picked folders, calls the WebAssembly `preview`, renders the result.
// Static files only: this module, ./pkg (the web build of gensync-wasm) and ./vendor (diff2html).
import init, { preview, hashBlob, SyncMachine } from "./pkg/gensync_wasm.js";
import { bitbucket, drive, github } from "./remote.js";

const $ = (id) => document.getElementById(id);
const ready = init();

/** A folder picked with `webkitdirectory`, as `FileInput[]` (paths below the picked folder). */
async function readFolder(input) {
  const files = [...input.files];
  return Promise.all(
    files.map(async (file) => ({
      // "build-2/src/a.ts" -> "src/a.ts"
      path: (file.webkitRelativePath || file.name).split("/").slice(1).join("/") || file.name,
      data: new Uint8Array(await file.arrayBuffer()),
    })),
  );
}

function optional(id) {
  const value = $(id).value.trim();
  return value === "" ? undefined : value;
}

/** The sync options the form describes. */
function syncOptions() {
  return {
    message: $("message").value,
    build_id: optional("build-id"),
    build_url: optional("build-url"),
    target_dir: optional("target-dir"),
    strategy: $("strategy").value,
    conflicts: $("conflicts").value,
  };
}

/** The `PreviewInput` the form describes, or null when no new build is picked yet. */
async function gatherInput() {
  if ($("next-folder").files.length === 0) return null;
  const input = {
    files: await readFolder($("next-folder")),
    options: syncOptions(),
  };
  const kind = document.querySelector("input[name=previous-kind]:checked").value;
  if (kind === "folder" && $("previous-folder").files.length > 0) {
    input.previous_files = await readFolder($("previous-folder"));
  } else if (kind === "manifest" && $("previous-manifest").value.trim() !== "") {
    input.previous_manifest = $("previous-manifest").value;
  }
  const ignore = $("ignore-file").files[0];
  if (ignore) input.ignore = new Uint8Array(await ignore.arrayBuffer());
  return input;
}

function element(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

function stat(file) {
  if (!file) return "";
  if (file.binary) return element("span", { class: "stat" }, "binary");
  if (!file.contents_known) return element("span", { class: "stat" }, "contents unknown");
  return element(
    "span",
    { class: "stat" },
    element("span", { class: "add" }, `+${file.added_lines}`),
    " ",
    element("span", { class: "del" }, `−${file.removed_lines}`),
  );
}

/** The change list, grouped A/M/D/R (then ignored and conflicts), with counts. */
function renderChanges(result) {
  const byPath = new Map(result.files.map((f) => [f.path, f]));
  const c = result.changes;
  const groups = [
    ["A", "Added", c.added.map((f) => [f.path, f.path])],
    ["M", "Modified", c.modified.map((f) => {
      const mode = f.previous_mode && f.previous_mode !== f.mode ? ` (mode ${f.previous_mode} → ${f.mode})` : "";
      return [f.path, f.path + mode];
    })],
    ["D", "Deleted", c.deleted.map((f) => [f.path, f.path])],
    ["R", "Renamed", c.renamed.map((r) => [r.to, `${r.from} → ${r.to}`])],
    ["I", "Ignored", c.ignored.map((i) => [null, `${i.path} (${i.change} by the generator, not written)`])],
    ["C", "Conflicts", c.conflicts.map((k) => [k.path, `${k.path} (${k.kind}: ${k.state}${k.kept ? `, ${k.kept} kept` : ""})`])],
  ];
  const root = $("changes");
  root.replaceChildren();
  for (const [letter, title, items] of groups) {
    if (items.length === 0 && (letter === "I" || letter === "C")) continue;
    const list = element("ul");
    for (const [path, label] of items) {
      const text = path ? element("a", { href: "#", "data-path": path }, label) : label;
      list.append(element("li", {}, element("span", { class: "letter" }, letter), text, stat(path && byPath.get(path))));
    }
    root.append(element("div", { class: `group ${letter}`, "data-group": letter },
      element("h3", {}, `${title} (${items.length})`), list));
  }
  if (c.preserved_edits.length > 0) {
    root.append(element("p", { class: "hint" }, `${c.preserved_edits.length} file(s) edited on the branch and not changed by the generator are kept as they are.`));
  }
}

// The file whose diff is shown alone (null: all), kept when the inputs change and the
// preview runs again.
let selected = null;

function renderDiff(result, path) {
  const files = path ? result.files.filter((f) => f.path === path) : result.files.slice(0, 50);
  const target = $("diff");
  target.replaceChildren();
  if (files.length === 0) {
    target.append(element("p", { class: "hint" }, "No file is written or deleted."));
    return;
  }
  const ui = new Diff2HtmlUI(target, files.map((f) => f.patch).join(""), {
    drawFileList: false,
    outputFormat: "line-by-line",
    matching: "lines",
    highlight: false,
    fileContentToggle: false,
    stickyFileHeaders: false,
  });
  ui.draw();
  if (!path && result.files.length > files.length) {
    target.append(element("p", { class: "hint" }, `The first 50 of ${result.files.length} files are shown; click a file to see it.`));
  }
}

function render(result) {
  $("branch-state").hidden = true;
  $("branch").textContent = result.branch;
  $("would-commit").textContent = result.would_commit
    ? `yes: ${result.totals.files} file(s) plus the manifest at ${result.changes.manifest_path}`
    : "no: nothing to commit (no commit, no pull request)";
  const t = result.totals;
  $("lines").textContent = `+${t.added_lines} −${t.removed_lines}` +
    (t.binary_files ? `, ${t.binary_files} binary` : "") +
    (t.unknown_files ? `, ${t.unknown_files} file(s) with unknown previous contents (give the previous folder to see them)` : "");
  renderChanges(result);
  if (selected && !result.files.some((f) => f.path === selected)) selected = null;
  renderDiff(result, selected);
  $("commit-message").textContent = result.commit_message ?? "(no message given)";
  $("pr-title").textContent = result.pull_request?.title ?? "";
  $("pr-body").textContent = result.pull_request?.body ?? "(no message given)";
  $("manifest").textContent = result.manifest;
  $("result").hidden = false;
}

// Inputs change one after another; only the latest run may render.
let generation = 0;

async function run() {
  const mine = ++generation;
  $("error").hidden = true;
  document.body.dataset.state = "running";
  try {
    await ready;
    const input = await gatherInput();
    if (mine !== generation) return;
    if (!input) {
      $("status").textContent = "Pick the new build's folder.";
      document.body.dataset.state = "waiting";
      return;
    }
    const start = performance.now();
    const result = preview(input);
    const ms = performance.now() - start;
    window.gensyncPreview = result;
    render(result);
    $("status").textContent = `${input.files.length} files previewed in ${ms.toFixed(1)} ms`;
    document.body.dataset.state = "done";
  } catch (e) {
    if (mine !== generation) return;
    showError(e, "status");
  }
}

/** The edits of the branch that the sync keeps, and the conflicts it meets. */
function renderBranchState(result, finished, log, head) {
  const c = result.changes;
  const surviving = $("surviving");
  surviving.replaceChildren();
  const item = (path, text) => element("li", { "data-path": path }, element("code", {}, path), " ", text);
  for (const path of c.preserved_edits) surviving.append(item(path, "edited on the branch, not changed by the new build: kept as it is"));
  for (const path of c.already_on_branch) surviving.append(item(path, "already as the new build has it"));
  for (const k of c.conflicts) {
    if (k.state === "merged") surviving.append(item(k.path, "edited on the branch and changed by the new build: merged, both kept"));
    if (k.kept === "branch") surviving.append(item(k.path, "the branch's version is kept (conflicts: branch)"));
  }
  if (surviving.children.length === 0) surviving.append(element("li", { class: "hint" }, "(none: the branch holds no edits the sync keeps)"));
  const conflicts = $("conflicts");
  conflicts.replaceChildren();
  for (const k of c.conflicts.filter((k) => k.state !== "merged")) {
    const what = k.state === "markers" ? "overlapping edits: committed with conflict markers"
      : k.kept ? `${k.kept} kept` : k.state;
    conflicts.append(element("li", { "data-path": k.path, "data-state": k.state }, element("code", {}, k.path), ` ${k.kind}: ${what}`));
  }
  if (conflicts.children.length === 0) conflicts.append(element("li", { class: "hint" }, "(none)"));
  $("remote-head").textContent = head;
  const pr = finished.pull_request;
  $("remote-pr").textContent = pr ? `#${pr.number} is open (${pr.url}): a sync would update it` : "none open: a sync would open one";
  $("remote-log").textContent = log.join("\n");
  $("branch-state").hidden = false;
}

/** The provider adapter the remote form describes (the token stays in its closure). */
function remoteAdapter() {
  const provider = $("remote-provider").value;
  const apiUrl = optional("remote-api-url");
  const repository = $("remote-repository").value;
  const token = $("remote-token").value;
  const settings = { repository, token, hashBlob, ...(apiUrl ? { apiUrl } : {}) };
  return provider === "bitbucket" ? bitbucket(settings) : github(settings);
}

async function runRemote() {
  const mine = ++generation;
  $("error").hidden = true;
  document.body.dataset.state = "running";
  $("remote-status").textContent = "reading the branch…";
  try {
    await ready;
    if ($("next-folder").files.length === 0) throw new Error("Pick the new build's folder first.");
    const files = await readFolder($("next-folder"));
    const job = { files, options: syncOptions() };
    const ignore = $("ignore-file").files[0];
    if (ignore) job.ignore = new Uint8Array(await ignore.arrayBuffer());
    const adapter = remoteAdapter();
    const machine = new SyncMachine(job);
    const run = await drive(machine, adapter);
    if (mine !== generation) return;
    if (run.failed) throw new Error(run.failed.message);
    const outcome = run.finished;
    if (!outcome) throw new Error("the sync machine stopped without an outcome");
    // The old sides of the diffs: the branch's versions, read by id.
    for (const oid of machine.blobsForDiffs()) machine.addBlob(await adapter.blob(oid));
    const result = machine.preview();
    window.gensyncPreview = result;
    window.gensyncRemote = { outcome, plan: run.planned, log: run.log };
    render(result);
    const head = run.planned ? `${outcome.branch} at ${run.planned.parent.id}${run.planned.create_branch ? " (new: from the base)" : ""}` : outcome.branch;
    renderBranchState(result, outcome, run.log, `${adapter.name}: ${head}, base ${outcome.base}`);
    $("remote-status").textContent = `read through ${run.events.length} machine events`;
    document.body.dataset.state = "done";
  } catch (e) {
    if (mine !== generation) return;
    showError(e, "remote-status");
  }
}

$("remote").addEventListener("submit", (e) => {
  e.preventDefault();
  runRemote();
});
$("inputs").addEventListener("submit", (e) => {
  e.preventDefault();
  run();
});
$("inputs").addEventListener("change", () => run());
$("changes").addEventListener("click", (e) => {
  const a = e.target.closest("a[data-path]");
  if (!a || !window.gensyncPreview) return;
  e.preventDefault();
  selected = a.dataset.path;
  renderDiff(window.gensyncPreview, selected);
  $("diff").scrollIntoView({ block: "start" });
});
$("show-all").addEventListener("click", (e) => {
  e.preventDefault();
  selected = null;
  if (window.gensyncPreview) renderDiff(window.gensyncPreview, null);
});
ready.then(() => { document.body.dataset.state = "ready"; });

// A preview that failed: its message instead of the result, the status line `statusId` cleared.
function showError(e, statusId) {
  $("result").hidden = true;
  $("error").textContent = e instanceof Error ? e.message : String(e);
  $("error").hidden = false;
  $(statusId).textContent = "";
  document.body.dataset.state = "error";
}
