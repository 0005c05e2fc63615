// Reading the real bot branch in the browser, through the sync machine of gensync-core.
//
// `drive(machine, adapter)` is the whole shell: it takes the machine's next need, lets the
// provider adapter answer it with `fetch` (read-only), and hands the answer (or a neutral
// failure) back, until the machine has finished. The adapters only translate: every decision
// (which manifest is the previous build, which paths must be exact, what conflicts, what the
// branch, message and pull request would be) is the machine's, the sync's own code.
//
// The token lives in the adapter's closure only: it is sent in the Authorization header and
// never written to a URL, to storage or to a log line.

/** A failure the machine understands (`FailureKind` of the sync machine). */
export class Failure extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const READ_ONLY = (need) =>
  new Failure("other", `the preview is read-only: it does not ${need.kind.replaceAll("_", " ")}`);

/** Base64 of bytes (the machine's JSON form of contents). */
export function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Bytes of base64 text (newlines, as GitHub wraps it, are skipped). */
export function fromBase64(text) {
  const binary = atob(text.replace(/\s+/g, ""));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The failure kind of an HTTP status. */
function kindOf(status) {
  if (status === 404) return "not_found";
  if (status === 401 || status === 403) return "forbidden";
  if (status === 429 || status >= 500) return "transient";
  return "other";
}

/**
 * A `fetch` of the API with the token, retried on a transient answer; resolves to the
 * response when its status is one of `ok` (default 200), throws a `Failure` otherwise.
 * Error messages name the method and path, never the token.
 */
function client(apiUrl, authorization, fetchImpl = fetch) {
  const root = apiUrl.replace(/\/+$/, "");
  return async function request(path, { ok = [200], accept = "application/json" } = {}) {
    // A `next` link of a listing is absolute: follow it only on the API's own origin (the
    // token goes nowhere else).
    if (/^https?:/.test(path)) {
      if (!path.startsWith(root + "/")) throw new Failure("other", `a listing linked outside the API: ${new URL(path).origin}`);
      path = path.slice(root.length);
    }
    const headers = { accept };
    if (authorization) headers.authorization = authorization;
    let last;
    for (let attempt = 1; attempt <= 3; attempt++) {
      let response;
      try {
        response = await fetchImpl(root + path, { headers, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" });
      } catch (e) {
        last = new Failure("transient", `GET ${path}: ${e.message}`);
        continue;
      }
      if (ok.includes(response.status)) return response;
      const body = await response.text().catch(() => "");
      last = new Failure(kindOf(response.status), `GET ${path}: HTTP ${response.status} ${body.slice(0, 200)}`);
      if (last.kind !== "transient") break;
    }
    throw last;
  };
}

const segments = (path) => path.split("/").map(encodeURIComponent).join("/");

/** `OWNER/REPO`, checked. */
function repoParts(repository) {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(repository.trim());
  if (!m) throw new Failure("other", `the repository must be OWNER/REPO (or WORKSPACE/REPO), not ${JSON.stringify(repository)}`);
  return [m[1], m[2]];
}

/** The GitHub REST adapter: answers the machine's read needs. */
export function github({ apiUrl = "https://api.github.com", repository, token, fetchImpl }) {
  const [owner, name] = repoParts(repository);
  const get = client(apiUrl, token ? `Bearer ${token}` : null, fetchImpl);
  const repo = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
  const json = async (path, opts) => (await get(path, opts)).json();
  async function head(branch) {
    const r = await get(`${repo}/git/ref/heads/${segments(branch)}`, { ok: [200, 404, 409] });
    return r.status === 200 ? (await r.json()).object.sha : null;
  }
  async function blob(oid) {
    return (await json(`${repo}/git/blobs/${oid}`)).content;
  }
  const answers = {
    prepare: async () => ({ kind: "prepared" }),
    repository: async () => {
      const r = await json(repo);
      const defaultBranch = r.default_branch ?? "main";
      // An empty repository answers 409 on its git data.
      const probe = await get(`${repo}/git/ref/heads/${segments(defaultBranch)}`, { ok: [200, 404, 409] });
      return { kind: "repository", default_branch: defaultBranch, empty: probe.status === 409 };
    },
    branch_head: async (need) => ({ kind: "branch_head", id: await head(need.branch) }),
    commit_info: async (need) => {
      const c = await json(`${repo}/git/commits/${need.id}`);
      return { kind: "commit_info", id: c.sha, tree: c.tree.sha };
    },
    read_file: async (need) => {
      const r = await get(`${repo}/contents/${segments(need.path)}?ref=${need.commit.id}`, { ok: [200, 404] });
      if (r.status === 404) return { kind: "file", content_base64: null };
      const f = await r.json();
      if (Array.isArray(f) || f.type !== "file") return { kind: "file", content_base64: null };
      // Files over 1 MB come without their content: read the blob.
      const content = f.encoding === "base64" && f.content !== "" ? f.content : await blob(f.sha);
      return { kind: "file", content_base64: content.replace(/\s+/g, "") };
    },
    branch_files: async (need) => {
      const t = await json(`${repo}/git/trees/${need.commit.tree}?recursive=1`);
      if (t.truncated) throw new Failure("other", "the branch's tree is too large for one listing; use the CLI's `gensync sync --dry-run`");
      const files = {};
      for (const e of t.tree) {
        if (e.type === "blob" && ["100644", "100755", "120000"].includes(e.mode)) files[e.path] = { mode: e.mode, oid: e.sha };
      }
      return { kind: "branch_files", files };
    },
    read_blob: async (need) => ({ kind: "blob", content_base64: (await blob(need.oid)).replace(/\s+/g, "") }),
    find_pull_request: async (need) => {
      const q = `state=open&head=${encodeURIComponent(`${owner}:${need.branch}`)}&base=${encodeURIComponent(need.base)}`;
      const pulls = await json(`${repo}/pulls?${q}`);
      const pr = pulls[0];
      return { kind: "pull_request", pr: pr ? { number: pr.number, url: pr.html_url } : null };
    },
    branch_differs: async (need) => {
      const c = await json(`${repo}/compare/${segments(need.base)}...${segments(need.branch)}`);
      return { kind: "differs", value: c.ahead_by > 0 };
    },
  };
  return { name: "GitHub", answer: (need) => (answers[need.kind] ?? (() => Promise.reject(READ_ONLY(need))))(need), blob: async (oid) => fromBase64(await blob(oid)) };
}

const BITBUCKET_MODES = (attributes = []) =>
  attributes.includes("link") ? "120000" : attributes.includes("executable") ? "100755" : "100644";

/**
 * The Bitbucket Cloud 2.0 adapter. Bitbucket serves files by path and has no blob ids, so
 * `branch_files` answers "the previous build, corrected at the paths the machine needs": each
 * needed path is read at the commit and hashed. A token with a colon is `username:app-password`.
 */
export function bitbucket({ apiUrl = "https://api.bitbucket.org/2.0", repository, token, hashBlob, fetchImpl }) {
  const [workspace, slug] = repoParts(repository);
  const auth = !token ? null : token.includes(":") ? `Basic ${btoa(token)}` : `Bearer ${token}`;
  const get = client(apiUrl, auth, fetchImpl);
  const repo = `/repositories/${encodeURIComponent(workspace)}/${encodeURIComponent(slug)}`;
  const json = async (path, opts) => (await get(path, opts)).json();
  const blobs = new Map(); // oid -> bytes, everything read
  let scope = null; // the last branch_files scope and commit
  async function download(commit, path) {
    const r = await get(`${repo}/src/${commit}/${segments(path)}`, { ok: [200, 404], accept: "*/*" });
    if (r.status === 404) return null;
    const data = new Uint8Array(await r.arrayBuffer());
    blobs.set(hashBlob(data), data);
    return data;
  }
  async function head(branch) {
    const r = await get(`${repo}/refs/branches/${segments(branch)}`, { ok: [200, 404] });
    return r.status === 200 ? (await r.json()).target.hash : null;
  }
  /** Paths of the previous build changed on the branch since the commit that last wrote a manifest. */
  async function editedSinceSync(need) {
    const edited = new Set();
    for (const service of need.scope.services) {
      if (service.origin !== "start") continue;
      const h = await get(`${repo}/filehistory/${need.commit.id}/${segments(service.manifest_path)}?pagelen=1`, { ok: [200, 404] });
      const last = h.status === 200 ? (await h.json()).values?.[0]?.commit?.hash : null;
      if (!last || last === need.commit.id) continue;
      for (let page = `${repo}/diffstat/${need.commit.id}..${last}?pagelen=100`; page; ) {
        const d = await json(page);
        for (const v of d.values ?? []) {
          for (const side of [v.old, v.new]) if (side?.path && side.path in need.scope.previous) edited.add(side.path);
        }
        page = d.next ?? null;
      }
    }
    return edited;
  }
  async function findBlob(oid) {
    if (blobs.has(oid)) return blobs.get(oid);
    // The path that had it in the previous build, and that path's history.
    const path = scope && Object.entries(scope.need.scope.previous).find(([, e]) => e.oid === oid)?.[0];
    if (!path) return null;
    for (const commit of [scope.need.scope.base_head]) await download(commit, path);
    if (blobs.has(oid)) return blobs.get(oid);
    const history = await get(`${repo}/filehistory/${scope.need.commit.id}/${segments(path)}?pagelen=20`, { ok: [200, 404] });
    if (history.status === 200) {
      for (const v of (await history.json()).values ?? []) {
        await download(v.commit.hash, path);
        if (blobs.has(oid)) return blobs.get(oid);
      }
    }
    return null;
  }
  const answers = {
    prepare: async () => ({ kind: "prepared" }),
    repository: async () => {
      const r = await json(repo);
      const main = r.mainbranch?.name ?? null;
      const noBranches = async () => ((await json(`${repo}/refs/branches?pagelen=1`)).values ?? []).length === 0;
      const empty = main ? (await head(main)) === null && (await noBranches()) : await noBranches();
      return { kind: "repository", default_branch: main ?? "main", empty };
    },
    branch_head: async (need) => ({ kind: "branch_head", id: await head(need.branch) }),
    // Bitbucket exposes no tree ids: the commit is described by its id alone.
    commit_info: async (need) => ({ kind: "commit_info", id: need.id, tree: "0".repeat(40) }),
    read_file: async (need) => {
      const data = await download(need.commit.id, need.path);
      return { kind: "file", content_base64: data === null ? null : toBase64(data) };
    },
    branch_files: async (need) => {
      scope = { need };
      const files = { ...need.scope.previous };
      // Exact at the paths the machine needs, and where a person edited the branch since the
      // last sync (so the page can list the edits that survive).
      const paths = new Set([...need.scope.needed, ...(await editedSinceSync(need))]);
      for (const path of paths) {
        const r = await get(`${repo}/src/${need.commit.id}/${segments(path)}?format=meta`, { ok: [200, 404] });
        const meta = r.status === 200 ? await r.json() : null;
        if (!meta || meta.type !== "commit_file") {
          delete files[path];
          continue;
        }
        const data = await download(need.commit.id, path);
        if (data === null) delete files[path];
        else files[path] = { mode: BITBUCKET_MODES(meta.attributes), oid: hashBlob(data) };
      }
      return { kind: "branch_files", files };
    },
    read_blob: async (need) => {
      const data = await findBlob(need.oid);
      if (data === null) throw new Failure("not_found", `blob ${need.oid} is not in the repository's history as Bitbucket serves it (files by path only)`);
      return { kind: "blob", content_base64: toBase64(data) };
    },
    find_pull_request: async (need) => {
      const esc = (s) => s.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
      const q = `source.branch.name="${esc(need.branch)}" AND destination.branch.name="${esc(need.base)}"`;
      const pulls = await json(`${repo}/pullrequests?state=OPEN&q=${encodeURIComponent(q)}&pagelen=50`);
      const pr = (pulls.values ?? [])[0];
      return { kind: "pull_request", pr: pr ? { number: pr.id, url: pr.links?.html?.href ?? "" } : null };
    },
    branch_differs: async (need) => {
      const d = await json(`${repo}/diffstat/${segments(need.branch)}..${segments(need.base)}?pagelen=1`);
      return { kind: "differs", value: (d.values ?? []).length > 0 };
    },
  };
  return {
    name: "Bitbucket",
    answer: (need) => (answers[need.kind] ?? (() => Promise.reject(READ_ONLY(need))))(need),
    blob: async (oid) => {
      const data = await findBlob(oid);
      if (data === null) throw new Failure("not_found", `blob ${oid} unknown`);
      return data;
    },
  };
}

/**
 * Run the machine to its end: every need answered by `adapter`, every event collected.
 * Resolves to `{ events, log, planned, finished, failed }` (`failed`: the machine's error,
 * `{ kind, message, committed, failure }`).
 */
export async function drive(machine, adapter, onLog = () => {}) {
  const events = [];
  const log = [];
  let planned = null;
  let finished = null;
  let failed = null;
  const drain = () => {
    for (let e = machine.pollEvent(); e !== undefined && e !== null; e = machine.pollEvent()) {
      events.push(e);
      if (e.kind === "log") {
        log.push(e.line);
        onLog(e.line);
      } else if (e.kind === "planned") planned = e.plan;
      else if (e.kind === "finished") finished = e.outcome;
      else if (e.kind === "failed") failed = e.error;
    }
  };
  for (;;) {
    drain();
    const need = machine.pollNeed();
    if (need === undefined || need === null) break;
    let answer;
    try {
      answer = await adapter.answer(need);
    } catch (e) {
      const kind = e instanceof Failure ? e.kind : "other";
      machine.handleFailure({ kind, message: e.message });
      continue;
    }
    machine.handle(answer);
  }
  drain();
  return { events, log, planned, finished, failed };
}
