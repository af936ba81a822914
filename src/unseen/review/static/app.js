// unseen review page: plain JavaScript, no libraries, nothing loaded from outside this server.
// Every string a person reads goes through t(), whose catalogue comes from /api/strings.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("t") || "";
// this page's saves are told apart from another tab's: a save sent while this page's previous
// one was still on its way (a reload, a second quick edit) replaces that one, it is not "stale"
const CLIENT = Math.random().toString(36).slice(2) + Date.now().toString(36);
const $ = (id) => document.getElementById(id);
const S = {
  lang: "en", strings: {}, files: [], cur: null, plan: null, rev: 0, img: null,
  view: "masked", zoom: 1, fit: 1, panX: 0, panY: 0, sel: null, frame: 0, playing: false,
  saving: false, pending: false, seq: 0, busy: false, timer: null, drag: null, poll: null, frameWanted: null, frameLoading: false,
  hist: {}, base: null, dirty: false, gesture: null, gestures: 0, server: null,
  looked: {},  // per file, the spots worth a look the person has selected (asked of before a copy)
};
const MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

// --- strings ---------------------------------------------------------------------------------
// marks a string for the catalogue where it is translated later, through t()
const N_ = (s) => s;
const TRACKS_SHOWN = 100; // rows of the track list before "Show all"

function t(msg, vars) {
  let s = S.strings[msg] || msg;
  for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
  return s;
}

function applyStrings() {
  document.documentElement.lang = S.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const b of document.querySelectorAll(".lang button")) b.classList.toggle("on", b.dataset.lang === S.lang);
  $("view-toggle").textContent = S.view === "masked" ? t("Showing: masked preview") : t("Showing: original");
  updateUndo(); fitToolbar();
  if (S.cur) { renderSide(); renderStatus(); renderJob(); }
  if (S.saveSay) sayState();
  if (S.plan && isVideo()) { updateFrameNo(); if (S.img) renderStrip(); }
  renderFiles();
  if (S.img) draw();  // the labels on the picture are words too
}

async function loadStrings(lang) {
  const r = await api("/api/strings?lang=" + encodeURIComponent(lang));
  S.lang = r.lang; S.strings = r.strings;
  applyStrings();
}

function chooseLanguage() {
  const saved = localStorage.getItem("unseen-lang");
  if (saved) return saved;
  for (const l of navigator.languages || [navigator.language || "en"]) {
    const base = l.toLowerCase().split("-")[0];
    if (base === "ko" || base === "en") return base;
  }
  return "en";
}

// --- server ----------------------------------------------------------------------------------
const GONE = N_("The review program is no longer running, so this was not done. Start it again (the “unseen review” icon): the changes saved before are kept.");

// why a request failed; a stopped program is said where it stays (every action fails alike)
function sayFailure(e, template, vars) {
  if (e.gone) { showMessage(t(GONE)); setSaveState(() => t(GONE)); return; }
  showMessage(t(template, Object.assign({reason: e.message}, vars)));
}

async function api(path, opts) {
  opts = opts || {};
  // the page's language: the server says why a request failed in it
  const headers = Object.assign({"X-Unseen-Token": TOKEN, "X-Unseen-Lang": S.lang || ""}, opts.json !== undefined ? {"Content-Type": "application/json"} : {});
  let r;
  // no answer at all (the browser's own words are English): the review program was stopped,
  // unless it still answers a look at the file list (an upload cut off part-way, say)
  try { r = await fetch(path, {method: opts.method || "GET", headers, body: opts.json !== undefined ? JSON.stringify(opts.json) : opts.body}); }
  catch (e) {
    const alive = await fetch("/api/files", {headers: {"X-Unseen-Token": TOKEN}}).then(() => true, () => false);
    if (alive) throw new Error(t("The connection broke off before an answer came. Try again."));
    throw Object.assign(new Error(t(GONE)), {gone: true});
  }
  if (r.status === 409) throw Object.assign(new Error("stale"), {stale: true});
  if (!r.ok) {
    let msg = r.statusText;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new Error(msg);
  }
  return r.json();
}

function url(path) { return path + (path.includes("?") ? "&" : "?") + "t=" + encodeURIComponent(TOKEN); }

// --- files -----------------------------------------------------------------------------------
async function refreshFiles() {
  try { const r = await api("/api/files"); S.files = r.files; S.skipped = r.skipped || []; } catch (e) { return; }
  renderFiles();
  if (!S.cur && S.files.length) {
    const wanted = location.hash.slice(1);
    openFile((S.files.find((f) => f.id === wanted) || S.files[0]).id);
  }
}

function fileState(f) {
  if (f.state === "failed") return t("Could not be opened");
  if (f.state !== "ready") return t("Looking for faces…");
  if (f.job && f.job.state === "running") return t("Making the safe copy…");
  if (f.job && f.job.state === "done") {
    // masks changed since are not in the copy (the open file's revision is the page's own)
    const stale = S.cur && S.plan && f.id === S.cur.id ? !copyIsCurrent(f.job) : f.job.rev !== null && f.job.rev !== undefined && f.rev !== f.job.rev;
    if (stale) return t("The safe copy is out of date: make it again");
    return f.job.bare ? t("Safe copy made, {n} mask(s) left off", {n: f.job.bare}) : t("Safe copy made");
  }
  return f.resumed ? t("Your earlier review of this file was reopened") : t("Ready to review");
}

// what the page says of a file it did not open (the command line's reasons speak of naming it)
const SKIPPED_SAID = {
  "hidden": N_("A hidden file (its name starts with a dot), so it was not opened. To review it, add it with the button above."),
  "hidden folder": N_("A hidden folder (its name starts with a dot): the files in it were not opened. To review one, add it with the button above."),
  "unfinished": N_("An unfinished safe copy (one being made, or one that was stopped): not opened."),
};

function renderFiles() {
  const ul = $("file-list");
  // the list is rebuilt on every poll: a row a keyboard user stands on keeps the focus
  const focused = ul.contains(document.activeElement) ? document.activeElement.dataset.id : null;
  ul.replaceChildren();
  for (const f of S.files) {
    const li = document.createElement("li");
    li.textContent = f.name;
    const st = document.createElement("span");
    st.className = "st"; st.textContent = fileState(f);
    li.append(st);
    if (S.cur && f.id === S.cur.id) { li.className = "current"; li.setAttribute("aria-current", "true"); }
    li.onclick = () => openFile(f.id);
    // reached with Tab and opened with Enter or Space, as a button is
    li.tabIndex = 0; li.setAttribute("role", "button");
    li.onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openFile(f.id); } };
    li.dataset.id = f.id;
    ul.append(li);
    if (f.id === focused) li.focus();
  }
  $("no-files").hidden = S.files.length > 0;
  // what the folder's walk passed over (hidden files, unfinished outputs): said here, as the
  // terminal says it, for a review started from its icon has no terminal
  const skipped = S.skipped || [], sig = S.lang + JSON.stringify(skipped);
  $("skipped").hidden = !skipped.length;
  if (sig === S.skippedSig) return;  // the list stays put between polls (its tooltips too)
  S.skippedSig = sig;
  $("skipped-list").replaceChildren(...skipped.map((s) => {
    const li = document.createElement("li");
    li.textContent = s.name; li.title = s.path;
    const why = document.createElement("span");
    why.className = "st"; why.textContent = s.kind in SKIPPED_SAID ? t(SKIPPED_SAID[s.kind]) : t(s.reason);
    li.append(why);
    return li;
  }));
}

async function upload(files) {
  for (const file of files) {
    try { await api("/api/upload?name=" + encodeURIComponent(file.name), {method: "POST", body: file}); }
    catch (e) { sayFailure(e, N_("Could not add {name}: {reason}"), {name: file.name}); }
  }
  refreshFiles();
}

async function openFile(id) {
  if (S.busy) return;  // a face is being followed in this file: see serverEdit
  // an edit still waiting to be saved is the open file's: saved before the page leaves it (it
  // was lost, or sent as the next file's, when another was opened within the save delay)
  if (S.cur && S.plan && (S.saveTimerOn || S.saving)) await (S.saveTimerOn ? flush() : S.savePromise);
  stopPlaying();
  location.hash = id;
  $("message").hidden = $("files-message").hidden = true;  // said of the file left, or of none
  S.cur = {id}; S.plan = null; S.base = null; S.dirty = false; S.gesture = null; updateUndo(); S.img = null; S.preview = false; S.sideSig = null; S.allLooks = false; S.allTracks = false; S.sel = null; S.frame = 0; S.picture = 0; S.zoom = 1; S.panX = S.panY = 0;
  $("work").hidden = false; $("side").hidden = false; fitToolbar();
  await reloadFile();
}

async function reloadFile() {
  clearTimeout(S.poll);
  const id = S.cur.id;
  let data;
  try {
    data = await api("/api/files/" + id + "?lang=" + S.lang + (S.plan ? "&since=" + S.rev : ""));
  } catch (e) {
    S.poll = setTimeout(() => reloadFile(), 1500);  // the server was busy: ask again
    return;
  }
  if (!S.cur || S.cur.id !== id) return;  // another file was opened meanwhile
  useFile(data);
  const busy = data.state === "analysing" || data.state === "new" || !data.audit || (data.job && data.job.state === "running");
  if (busy) S.poll = setTimeout(reloadFile, data.job && data.job.state === "running" ? 400 : 700);
}

function useFile(data) {
  const first = !S.plan && data.plan;
  S.cur = data;
  // only a later revision: a poll's answer overtaken by the page's own save is an older plan
  if (data.plan && (!S.plan || data.rev > S.rev)) takePlan(data.plan, data.rev);
  // the side panel is built again only when something in it changed (polls come every 0.4 s)
  const sig = [data.id, data.rev, data.state, !!data.audit, data.job && data.job.state].join("|");
  const listed = S.files.find((x) => x.id === data.id);
  if (listed) Object.assign(listed, {state: data.state, job: data.job, resumed: data.resumed, rev: data.rev});
  renderFiles(); renderStatus(); renderJob();
  if (data.save_error) setSaveState(() => t("Your changes cannot be saved in this folder ({reason}). Add the file again with the “Add photos or videos” button: it is then kept in a private folder while you work.", {reason: data.save_error}));
  if (sig !== S.sideSig) { S.sideSig = sig; renderSide(); }
  if (first) loadPicture();
  else if (!S.plan && data.kind === "video" && !S.preview) previewFrame();
}

// The server's plan at a revision newer than the page's (a publish's final check added to it, a
// save of the page's crossed a poll): the page's edits not yet in it are laid over it and saved.
// Taken as it came, it wiped them from the page and they were never sent.
function takePlan(plan, rev) {
  if (S.plan && S.dirty) record();
  const mine = S.plan && S.server ? edits(JSON.parse(S.server), S.plan) : [];
  S.server = JSON.stringify(plan);
  S.plan = plan; S.rev = rev;
  if (layOver(plan, mine)) {
    setSaveState(() => t("Saving…"));
    if (S.saving) S.pending = true; else if (!S.saveTimerOn) flush();
  }
  indexTracks(); rebase();
  if (S.img) { draw(); drawTimeline(); renderStrip(); }
}

// each mask and track ``plan`` changed, added or removed since ``was``
function edits(was, plan) {
  const out = [];
  for (const kind of ["regions", "tracks"]) {
    const old = new Map((was[kind] || []).map((x) => [x.id, JSON.stringify(x)]));
    (plan[kind] || []).forEach((x, i) => { if (old.get(x.id) !== JSON.stringify(x)) out.push({kind, id: x.id, i, x}); old.delete(x.id); });
    for (const id of old.keys()) out.push({kind, id, x: null});
  }
  return out;
}

// ``mine`` (edits()) made on ``plan``; whether that changed it
function layOver(plan, mine) {
  let changes = 0;
  for (const e of mine) {
    const list = plan[e.kind] || (plan[e.kind] = []), at = list.findIndex((x) => x.id === e.id);
    if (at < 0 ? !e.x : e.x && JSON.stringify(list[at]) === JSON.stringify(e.x)) continue;
    changes++;
    if (!e.x) list.splice(at, 1); else if (at >= 0) list[at] = e.x; else list.splice(Math.min(e.i, list.length), 0, e.x);
  }
  return changes > 0;
}

// the answer to a save of ``sent`` (the plan as JSON) for file ``id``: the server's revision,
// and its plan where that is not the one sent; an answer overtaken by a later revision is old news
function heard(id, r, sent) {
  if (!r || !S.cur || S.cur.id !== id || !S.plan || r.rev <= S.rev) return;
  S.server = sent; S.cur.rev = r.rev;
  if (r.plan) takePlan(r.plan, r.rev); else S.rev = r.rev;
}

// a video's first frame while it is still being analysed
function previewFrame() {
  S.preview = true;
  const img = new Image();
  img.onload = () => { if (!S.plan) { S.img = img; S.img.frame = 0; fitView(); } };
  img.src = url("/api/files/" + S.cur.id + "/frame/0?w=" + Math.max(320, Math.ceil($("stage").clientWidth * (window.devicePixelRatio || 1) / 320) * 320));
}

function isVideo() { return S.plan && S.plan.input.kind === "video"; }

// progress as counted: a video's in frames, a photo's in steps
function counted(video, done, total) {
  return t(video ? N_("{done} of {total} frames") : N_("{done} of {total}"), {done, total});
}

function renderStatus() {
  const d = S.cur;
  const busy = d.state === "analysing" || d.state === "new";
  $("status").hidden = !busy && d.state !== "failed";
  let text = d.state === "failed" ? t("This file could not be opened: {reason}", {reason: d.error}) : t("Looking for faces… This can take a while for a video.");
  if (busy && d.progress && d.progress.total) text += " " + counted(d.kind === "video", d.progress.done, d.progress.total);
  $("status-text").textContent = text;
  $("status").querySelector(".spinner").hidden = d.state === "failed";
  $("publish").disabled = !S.plan || (d.job && d.job.state === "running");
  $("video-controls").hidden = !isVideo(); $("timeline").hidden = !isVideo(); $("strip-box").hidden = !isVideo();
  $("page-controls").hidden = !(S.plan && S.plan.input.kind === "image" && pictures() > 1);
}

// a still with several pictures (a TIFF's pages, a GIF's frames): every mask covers each of them,
// so a mask over nothing on the first may hide a face on another; the person steps through them
function pictures() { return (S.cur && S.cur.pictures) || 1; }

// --- the picture -------------------------------------------------------------------------------
function loadPicture() {
  if (!S.plan) return;
  if (S.plan.input.kind === "audio") { S.img = null; draw(); return; }
  if (isVideo()) {
    $("seek").max = S.plan.input.frames - 1;
    S.refit = true;  // the preview was drawn at its own size; the plan's is the picture's
    showFrame(S.frame);
    renderStrip();
  } else showPicture(S.picture || 0, true);
}

function showPicture(n, fit) {
  n = Math.max(0, Math.min(pictures() - 1, n));
  S.picture = n;
  $("page-no").textContent = t("Picture {n} of {m}", {n: n + 1, m: pictures()});
  const id = S.cur.id, img = new Image();
  img.onload = () => { if (!S.cur || S.cur.id !== id || S.picture !== n) return; S.img = img; if (fit) fitView(); else draw(); renderSide(); };
  img.src = url("/api/files/" + id + "/image" + (n ? "?n=" + n : ""));
}

function frameWidth() {
  // in steps of 320 px, so that the frames the server decoded ahead are the ones asked for
  const w = Math.ceil(($("stage").clientWidth * (window.devicePixelRatio || 1) * S.zoom) / 320) * 320;
  return Math.min(S.plan.input.width, Math.max(320, w));
}

function showFrame(n) {
  if (!isVideo()) return;
  n = Math.max(0, Math.min(S.plan.input.frames - 1, n));
  S.frame = n; $("seek").value = n;
  updateFrameNo();
  S.frameWanted = n;
  if (!S.frameLoading) loadNextFrame();
  drawTimeline();
}

function loadNextFrame() {
  const n = S.frameWanted;
  if (n === null) return;
  S.frameWanted = null; S.frameLoading = true;
  const img = new Image();
  const started = performance.now();
  img.onload = img.onerror = () => {
    S.frameLoading = false;
    if (img.naturalWidth) {
      const refit = !S.img || S.refit;
      S.img = img; S.img.frame = n; S.refit = false;
      if (refit) fitView(); else draw();
    }
    if (S.frameWanted !== null) loadNextFrame();
    else if (S.playing) schedulePlay(performance.now() - started);
  };
  img.src = url("/api/files/" + S.cur.id + "/frame/" + n + "?w=" + frameWidth());
}

function seconds(n) {
  const pts = S.plan.input.pts[n];
  const [a, b] = S.plan.input.time_base.split("/").map(Number);
  return pts === null || pts === undefined ? null : (pts * a) / b;
}

function updateFrameNo() {
  const s = seconds(S.frame);
  $("frame-no").textContent = t("frame {n} of {total}", {n: S.frame + 1, total: S.plan.input.frames}) + (s === null ? "" : " · " + t("{seconds} s", {seconds: s.toFixed(2)}));
}

function fps() {
  const n = S.plan.input.frames, a = seconds(0), b = seconds(n - 1);
  return n > 1 && a !== null && b !== null && b > a ? (n - 1) / (b - a) : 25;
}

function schedulePlay(elapsed) {
  clearTimeout(S.timer);
  S.timer = setTimeout(() => {
    if (!S.playing) return;
    if (S.frame >= S.plan.input.frames - 1) { stopPlaying(); return; }
    showFrame(S.frame + 1);
  }, Math.max(0, 1000 / fps() - elapsed));
}

function togglePlay() {
  if (!isVideo()) return;
  S.playing = !S.playing;
  $("play").textContent = S.playing ? "❚❚" : "▶";
  if (S.playing) schedulePlay(0);
}

function stopPlaying() { S.playing = false; clearTimeout(S.timer); $("play").textContent = "▶"; }

// --- view transform ----------------------------------------------------------------------------
function picSize() {
  if (S.plan && S.plan.input.width) return [S.plan.input.width, S.plan.input.height];
  return S.img ? [S.img.naturalWidth, S.img.naturalHeight] : [1, 1];
}

function fitView() {
  const c = $("canvas"), [w, h] = picSize();
  sizeCanvas();
  S.fit = Math.min(c.width / w, c.height / h);
  S.zoom = 1; S.panX = (c.width - w * S.fit) / 2; S.panY = (c.height - h * S.fit) / 2;
  draw();
}

function scale() { return S.fit * S.zoom; }
function toPic(x, y) { return [(x - S.panX) / scale(), (y - S.panY) / scale()]; }

function zoomAt(k, cx, cy) {
  const c = $("canvas");
  if (cx === undefined) { cx = c.width / 2; cy = c.height / 2; }
  const [px, py] = toPic(cx, cy);
  S.zoom = Math.max(0.2, Math.min(40, S.zoom * k));
  S.panX = cx - px * scale(); S.panY = cy - py * scale();
  draw();
  if (isVideo() && S.img && frameWidth() > S.img.naturalWidth * 1.2) showFrame(S.frame);
}

function sizeCanvas() {
  const c = $("canvas"), r = $("stage").getBoundingClientRect(), k = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width * k)), h = Math.max(1, Math.round(r.height * k));
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; }
}

// --- what is on the current picture -------------------------------------------------------------
function indexTracks() {
  S.tidx = {};
  for (const tr of S.plan.tracks || []) {
    const m = new Map();
    for (const b of tr.boxes) m.set(b[0], b.slice(1));
    S.tidx[tr.id] = m;
  }
}

function items() {
  if (!S.plan) return [];
  const out = [];
  for (const r of S.plan.regions) {
    if (isVideo() && r.frames && (S.frame < r.frames[0] || S.frame > r.frames[1])) continue;
    out.push({ref: r, box: r.box, type: "region"});
  }
  if (isVideo()) for (const tr of S.plan.tracks) {
    const b = S.tidx[tr.id] && S.tidx[tr.id].get(S.frame);
    if (b) out.push({ref: tr, box: b, type: "track"});
  }
  return out;
}

function colour(r) {
  if (r.uncertain && !r.on) return "#e69500";
  if (!r.on) return "#9aa0a6";
  return {person: "#3d7bf7", verification: "#c2185b", checker: "#8e44ad"}[r.source.by] || "#19c37d";
}

function shapePath(g, b) {
  const [x0, y0, x1, y1] = b;
  g.beginPath();
  if (b.shape === "head") g.ellipse((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2, 0, 0, 2 * Math.PI);
  else g.rect(x0, y0, x1 - x0, y1 - y0);
}

function draw() {
  const c = $("canvas"), g = c.getContext("2d");
  sizeCanvas();
  g.setTransform(1, 0, 0, 1, 0, 0);
  g.fillStyle = "#2b2b2b"; g.fillRect(0, 0, c.width, c.height);
  if (!S.img) return;
  const k = scale(), [w, h] = picSize();
  g.setTransform(k, 0, 0, k, S.panX, S.panY);
  g.imageSmoothingEnabled = k < 2;
  g.drawImage(S.img, 0, 0, w, h);
  if (!S.plan) return;
  // a head box may reach past the picture's edge: nothing is drawn outside the picture
  g.save(); g.beginPath(); g.rect(0, 0, w, h); g.clip();
  const list = items();
  if (S.view === "masked") {
    g.fillStyle = "#000";
    for (const it of list) if (it.ref.on) { const b = it.box.slice(); b.shape = it.ref.shape; shapePath(g, b); g.fill(); }
  }
  const dpr = window.devicePixelRatio || 1;
  g.lineWidth = 2 * dpr / k;
  g.font = `${12 * dpr / k}px system-ui, sans-serif`;
  // in a crowd the masked preview would vanish under a thousand outlines: there a mask shows
  // itself, and only what stays visible (switched off, worth a look) or is selected is outlined
  const quiet = S.view === "masked" && list.length > 40;
  for (const it of list) {
    const r = it.ref, b = (S.drag && S.drag.item && S.drag.item.ref === r && S.drag.box) || it.box;
    if (quiet && r.on && S.sel !== r.id && r.source.by !== "person") continue;
    // ...nor a doubtful mask switched off (the slider's hundreds): the picture shows what is left
    if (quiet && !r.on && isDoubtful(r) && S.sel !== r.id) continue;
    g.strokeStyle = colour(r);
    g.setLineDash(r.on ? [] : [6 * dpr / k, 4 * dpr / k]);
    g.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
    if (S.sel === r.id) {
      g.setLineDash([]); g.fillStyle = "#fff";
      const hs = 5 * dpr / k;
      for (const [x, y] of corners(b)) { g.fillRect(x - hs, y - hs, 2 * hs, 2 * hs); g.strokeRect(x - hs, y - hs, 2 * hs, 2 * hs); }
    }
    g.setLineDash([]);
    // labels only where they fit (a crowd's small faces would be buried under them) or selected
    if ((b[2] - b[0]) * k < 60 * dpr && S.sel !== r.id) continue;
    const label = shortLabel(r);
    const tw = g.measureText(label).width;
    g.fillStyle = "rgba(0,0,0,.65)"; g.fillRect(b[0], b[1] - 16 * dpr / k, tw + 6 * dpr / k, 16 * dpr / k);
    g.fillStyle = colour(r); g.fillText(label, b[0] + 3 * dpr / k, b[1] - 4 * dpr / k);
  }
  if (S.drag && S.drag.mode === "draw" && S.drag.box) {
    const b = S.drag.box;
    g.strokeStyle = "#3d7bf7"; g.setLineDash([4 * dpr / k, 3 * dpr / k]);
    g.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]); g.setLineDash([]);
  }
  g.restore();
}

function corners(b) { return [[b[0], b[1]], [b[2], b[1]], [b[0], b[3]], [b[2], b[3]]]; }

// --- words for what is on the picture -----------------------------------------------------------
function kindLabel(r) {
  // the detector's doubt is said in the name too: a crowd's rows over a crest or a sleeve all
  // read "Face" (the thumbnail beside it showed otherwise)
  if (r.kind === "face" && (r.uncertain || isDoubtful(r))) return t("Maybe a face");
  return {face: t("Face"), manual: t("Your box"), text: t("Text"), hand: t("Hand"), person: t("Person")}[r.kind] || r.kind;
}

function sourceLabel(r) {
  const s = r.source, score = s.score !== undefined && s.score !== null ? Math.round(s.score * 100) + "%" : "";
  // a spot worth a look the person masked is a face they chose to hide, not a box they drew
  if (s.by === "person") return r.kind === "face" ? t("masked by you from a spot worth a look") : t("drawn by you");
  if (s.by === "verification") return t("added by the final check");
  if (s.by === "checker") return t("found by the second detector ({score})", {score});
  // a low score is the detector's doubt, not a finding: say so (a track is kept at a low score
  // when the same spot came back frame after frame)
  if (s.score !== undefined && s.score !== null && s.score < 0.5) {
    return r.on && !r.uncertain ? t("the face detector was unsure ({score}); masked to be safe", {score}) : t("the face detector was unsure ({score})", {score});
  }
  return t("found by the face detector ({score})", {score});
}

function shortLabel(r) {
  if (r.uncertain && !r.on) return t("Worth a look");
  return kindLabel(r) + (r.on ? "" : " · " + t("not masked"));
}

// --- the side panel --------------------------------------------------------------------------------
function renderSide() {
  if (!S.cur) return;
  const look = $("look-list"), list = $("region-list");
  // the rows are built anew: a keyboard user's focus goes back to the same control of the same row
  const ae = document.activeElement, row = ae && ae.closest ? ae.closest("#side li[data-id]") : null;
  const focus = row ? {id: row.dataset.id, tag: ae.tagName, at: [...row.querySelectorAll(ae.tagName)].indexOf(ae)} : null;
  look.replaceChildren(); list.replaceChildren();
  // a file that could not be opened has no masks to show, nor spots to look at
  $("regions-box").hidden = !S.plan;
  if (!S.plan) $("look-box").hidden = true;
  $("stage").hidden = S.cur.state === "failed";
  if (S.plan) {
    const regions = S.plan.regions;
    // the likeliest faces first; a long list is cut (a video can hold one spot a frame)
    const unsure = regions.filter((r) => r.uncertain).sort((a, b) => (b.source.score || 0) - (a.source.score || 0));
    $("look-box").hidden = unsure.length === 0;
    const shown = S.allLooks ? unsure : unsure.slice(0, 8);
    for (const r of shown) look.append(regionItem(r, true));
    if (shown.length < unsure.length) showAll(look, unsure.length, () => { S.allLooks = true; });
    // the final check's additions first (the copy's result points to them), then in plan order
    const masks = regions.filter((r) => !r.uncertain), added = (r) => (r.source && r.source.by === "verification" ? 0 : 1);
    for (const r of [...masks].sort((a, b) => added(a) - added(b))) list.append(regionItem(r, false));
    if (isVideo()) {
      // yours first, then the detector's doubt first (where a wrong mask is likeliest); a crowd's
      // thousand tracks are cut to a page (each row is rebuilt on every change)
      const mine = (tr) => (tr.source.by === "person" ? 0 : tr.source.by === "verification" ? 1 : 2), doubt = (tr) => (tr.source.score === undefined || tr.source.score === null ? 1 : tr.source.score);
      const tracks = [...S.plan.tracks].sort((a, b) => mine(a) - mine(b) || doubt(a) - doubt(b));
      const shown = S.allTracks ? tracks : tracks.slice(0, TRACKS_SHOWN);
      if (S.sel && !shown.some((tr) => tr.id === S.sel)) { const sel = tracks.find((tr) => tr.id === S.sel); if (sel) shown.unshift(sel); }
      for (const tr of shown) list.append(trackItem(tr));
      if (shown.length < tracks.length) showAll(list, tracks.length, () => { S.allTracks = true; });
    }
    if (!list.children.length) {
      const li = document.createElement("li"); li.className = "off";
      li.textContent = S.plan.input.kind === "audio" ? t("A sound file has no picture to mask. When you publish, the voice is disguised and every tag is left out.") : t("Nothing is masked yet. Drag on the picture to cover something.");
      list.append(li);
    }
    $("regions-title").textContent = isVideo() ? t("Faces followed through the video") : t("Masks");
    if (focus) {
      const again = document.querySelector(`#side li[data-id="${CSS.escape(focus.id)}"]`);
      const el = again && again.querySelectorAll(focus.tag)[focus.at];
      // given back, not moved by the person: the box selected meanwhile (N, Esc) stays so
      if (el) { S.refocus = true; el.focus(); S.refocus = false; }
    }
  }
  renderDoubt();
  renderAudit();
}

// --- masks the detector was unsure of: one slider switches them off, the least sure first ------
// A crowd's masks are hundreds, many on clothes and hands (the detector cannot tell them from
// small faces): row by row, nobody could fix them. Moving the slider switches the masks it passes
// (off going right, on going left), never one the person switched back on by hand: that one hid a
// face. The masks and their order are plan.py's Plan.doubtful (bench/slider.py measures what each
// position gives).
const DOUBT = 0.5; // plan.py's DOUBT: below it a mask says "the face detector was unsure"

function doubtful() {
  if (!S.plan) return [];
  const pool = isVideo() ? S.plan.tracks || [] : S.plan.regions;
  const id = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return pool.filter(isDoubtful).sort((a, b) => a.source.score - b.source.score || id(a, b));
}

function isDoubtful(r) {
  return !r.uncertain && r.kind === "face" && r.source.by === "detector" && typeof r.source.score === "number" && r.source.score < DOUBT;
}

// the slider's state for the plan on the page: where it stands, the masks the person switched on
// again by hand (they stay on whichever way the slider goes after) and those switched off by hand
// (they stay off: going back, the slider switched on a crest a person had taken the mask off);
// made when the plan arrives (after a reload, every mask below the slider still on counts as
// switched on by hand, every one past it off as switched off by hand)
function doubtState() {
  if (S.doubt && S.doubt.plan === S.plan) return S.doubt;
  const list = doubtful(), saved = Number(sessionStorage.getItem(doubtKey()));
  // where this tab left it (a reload); else past the masks off in a row from the least sure
  let at = 0;
  if (Number.isInteger(saved) && saved > 0) at = Math.min(saved, list.length);
  else while (at < list.length && !list[at].on) at++;
  S.doubt = {plan: S.plan, at, kept: new Set(list.slice(0, at).filter((r) => r.on).map((r) => r.id)), dropped: new Set(list.slice(at).filter((r) => !r.on).map((r) => r.id))};
  return S.doubt;
}

// the tab's own storage, gone with it, under the review's own name for the file: nothing that
// names the file (not its hash) stays behind in the browser's profile
function doubtKey() { return "unseen-doubt-" + S.cur.id; }

function renderDoubt() {
  const list = doubtful(), box = $("doubt-box");
  box.hidden = list.length < 2;
  if (box.hidden) return;
  const st = doubtState(), slider = $("doubt");
  st.at = Math.min(st.at, list.length);
  slider.max = list.length; slider.value = st.at;
  $("doubt-state").textContent = t("{k} of {n} switched off", {k: list.filter((r) => !r.on).length, n: list.length});
}

function slideDoubt() {
  const list = doubtful(), st = doubtState(), to = Number($("doubt").value);
  if (to === st.at) return;
  for (let i = Math.min(st.at, to); i < Math.max(st.at, to); i++) {
    const r = list[i];
    if (to > st.at) { if (!st.kept.has(r.id)) r.on = false; } else if (!st.dropped.has(r.id)) r.on = true;
  }
  st.at = to;
  sessionStorage.setItem(doubtKey(), String(to));
  if (!S.gesture) S.gesture = ++S.gestures;
  changed("later");
}

// the last row of a list cut short: "Show all N"
function showAll(ul, n, widen) {
  const li = document.createElement("li");
  const more = document.createElement("button"); more.type = "button";
  more.textContent = t("Show all {n}", {n});
  more.onclick = () => { widen(); renderSide(); };
  li.append(more); ul.append(li);
}

// A photo's mask row shows what the mask covers (a crowd's rows all read "Face"), cut from the
// picture already on the page: nothing more is asked of the server, nothing kept
function regionThumb(r) {
  if (isVideo() || !S.img || !S.img.naturalWidth) return null;
  const c = document.createElement("canvas"); c.className = "thumb"; c.width = c.height = 96;
  const [w, h] = picSize(), kx = S.img.naturalWidth / w, ky = S.img.naturalHeight / h;
  const [x0, y0, x1, y1] = r.box, side = 1.2 * Math.max(x1 - x0, y1 - y0, 1), cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const g = c.getContext("2d");
  g.fillStyle = "#2b2b2b"; g.fillRect(0, 0, c.width, c.height);
  g.drawImage(S.img, (cx - side / 2) * kx, (cy - side / 2) * ky, side * kx, side * ky, 0, 0, c.width, c.height);
  return c;
}

function regionItem(r, unsure) {
  const li = document.createElement("li");
  li.dataset.id = r.id;
  const thumb = regionThumb(r);
  if (thumb) li.append(thumb);
  li.className = (r.on || unsure ? "" : "off") + (S.sel === r.id ? " sel" : "");
  const what = document.createElement("span"); what.className = "what";
  what.textContent = kindLabel(r) + (unsure && r.on ? " · " + t("masked") : "");
  const small = document.createElement("small");
  const one = r.frames && r.frames[0] === r.frames[1];
  small.textContent = sourceLabel(r) + (r.frames ? " · " + (one ? t("frame {n}", {n: r.frames[0] + 1}) : t("frames {a}–{b}", {a: r.frames[0] + 1, b: r.frames[1] + 1})) : "");
  what.append(small);
  const btn = document.createElement("button"); btn.type = "button";
  btn.className = "switch";
  btn.textContent = r.on ? (unsure ? t("Unmask") : t("Switch off")) : (unsure ? t("Mask it") : t("Switch on"));
  btn.onclick = (e) => { e.stopPropagation(); toggle(r); pictureInView(); };
  // a row's buttons stay together: × wrapped onto a line of its own in a narrow panel
  const acts = document.createElement("span"); acts.className = "acts"; acts.append(btn);
  li.append(what, acts);
  if (r.source.by === "person") {
    const del = document.createElement("button"); del.type = "button"; del.textContent = "×"; del.title = t("Remove this box"); del.setAttribute("aria-label", del.title);
    del.onclick = (e) => { e.stopPropagation(); removeItem(r); };
    acts.append(del);
  }
  li.onclick = () => { select(r.id, true); pictureInView(); };
  li.addEventListener("focusin", (e) => rowFocused(e, r.id, r.frames && (S.frame < r.frames[0] || S.frame > r.frames[1]) ? r.frames[0] : null));
  return li;
}

// In a narrow window the lists lie under the picture: a row's click changed a picture scrolled out
// of sight. It is brought back into view (in a wide window it is always in view: nothing moves).
function pictureInView() {
  const r = $("stage").getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) $("stage").scrollIntoView({block: "nearest"});
}

// a keyboard user tabbing to a row's button sees which box it is for: the box is selected on the
// picture (on a video, on a frame where it is); a click selects by itself, and a mouse focus is not
// a keyboard one (:focus-visible)
function rowFocused(e, id, frame) {
  if (S.sel === id || S.refocus || e.target.tagName !== "BUTTON" || !e.target.matches(":focus-visible")) return;
  S.sel = id;
  for (const x of document.querySelectorAll("#side li[data-id]")) x.classList.toggle("sel", x.dataset.id === id);
  if (frame !== null && isVideo()) { stopPlaying(); showFrame(frame); }
  draw(); drawTimeline();
}

function trackItem(tr) {
  const li = document.createElement("li");
  li.dataset.id = tr.id;
  li.className = (tr.on ? "" : "off") + (S.sel === tr.id ? " sel" : "");
  // one picture per track and span, kept: the server sends pictures uncached (never on disk)
  const key = S.cur.id + "/" + tr.id + "/" + tr.boxes[0][0] + "-" + tr.boxes[tr.boxes.length - 1][0];
  S.thumbs = S.thumbs || {};
  let img = S.thumbs[key];
  if (!img) {
    img = S.thumbs[key] = document.createElement("img");
    img.alt = ""; img.loading = "lazy"; img.src = url("/api/files/" + S.cur.id + "/thumb/" + tr.id);
  }
  const what = document.createElement("span"); what.className = "what";
  what.textContent = kindLabel(tr);
  const small = document.createElement("small"); small.textContent = sourceLabel(tr);
  const span = document.createElement("small");
  span.className = "span";
  const first = tr.boxes[0][0], last = tr.boxes[tr.boxes.length - 1][0];
  const a = spanInput(first), b = spanInput(last);
  a.title = t("First frame masked"); b.title = t("Last frame masked");
  const change = () => setSpan(tr, Number(a.value) - 1, Number(b.value) - 1);
  a.onchange = change; b.onchange = change;
  span.append(document.createTextNode(t("frames") + " "), a, document.createTextNode(" – "), b);
  what.append(small, span);
  const btn = document.createElement("button"); btn.type = "button";
  btn.textContent = tr.on ? t("Switch off") : t("Switch on");
  btn.onclick = (e) => { e.stopPropagation(); setOn(tr, !tr.on); pictureInView(); };
  const acts = document.createElement("span"); acts.className = "acts"; acts.append(btn);
  li.append(img, what, acts);
  if (tr.source.by === "person") {
    const del = document.createElement("button"); del.type = "button"; del.textContent = "×"; del.title = t("Remove this track"); del.setAttribute("aria-label", del.title);
    del.onclick = (e) => { e.stopPropagation(); removeItem(tr); };
    acts.append(del);
  }
  li.onclick = () => { select(tr.id); showFrame(first + Math.floor((last - first) / 2)); pictureInView(); };
  li.addEventListener("focusin", (e) => rowFocused(e, tr.id, S.tidx[tr.id] && S.tidx[tr.id].has(S.frame) ? null : first + Math.floor((last - first) / 2)));
  return li;
}

function spanInput(v) {
  const i = document.createElement("input");
  i.type = "number"; i.min = 1; i.max = S.plan.input.frames; i.value = v + 1;
  i.onclick = (e) => e.stopPropagation();
  return i;
}

const AUDIT_WORDS = {
  location: N_("Where it was made (GPS position or place)"),
  owner: N_("Who owns the camera or made the file (names, copyright)"),
  time: N_("When it was made (date and time)"),
  device: N_("Which camera or phone made it (make, model, serial number)"),
  software: N_("Which programs edited it"),
  "hidden-picture": N_("Hidden pictures inside the file (a small preview may show the picture before it was cut)"),
  trailer: N_("Extra data hidden after the end of the picture"),
  voice: N_("Voices (in the safe copy the sound is left out)"),
  "voice-disguised": N_("Voices (in the safe copy each voice is disguised)"),
  face: N_("Faces"),
  other: N_("Other information stored in the file"),
};

function renderAudit() {
  const ul = $("audit-list"), a = S.cur.audit;
  ul.replaceChildren();
  const li = (text, cls) => { const x = document.createElement("li"); x.textContent = text; if (cls) x.className = cls; ul.append(x); return x; };
  // a file that could not be opened was not read through: that nothing was found says nothing
  const unread = S.cur.state === "failed";
  document.querySelector("#audit-box .safe").hidden = unread;
  if (unread) { li(t("The file could not be read, so what it gives away is not known. No safe copy can be made of it."), "bad"); return; }
  if (!a) { li(t("Reading the file…")); return; }
  if (a.error) { li(t("The file's hidden information could not be read: {reason}", {reason: a.error})); return; }
  if (!a.findings.length) { li(t("Nothing about place, time, device or owner was found in the file itself.")); return; }
  const groups = {};
  for (const f of a.findings) (groups[f.category] = groups[f.category] || []).push(f);
  // what places and names a person first: where, when, who, then the rest
  const order = Object.keys(AUDIT_WORDS);
  const cats = Object.keys(groups).sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  for (const cat of cats) {
    const list = groups[cat];
    // a sound file's voices are disguised in its safe copy; a video's sound is left out
    const word = cat === "voice" && S.plan && S.plan.input.kind === "audio" ? "voice-disguised" : cat;
    const x = li(t(AUDIT_WORDS[word] || AUDIT_WORDS.other), list.some((f) => f.identifying) ? "bad" : "");
    for (const f of list.slice(0, 6)) {
      const v = document.createElement("span"); v.className = "val";
      v.textContent = f.name + (f.value ? ": " + f.value : "");
      x.append(v);
    }
    if (list.length > 6) { const v = document.createElement("span"); v.className = "val"; v.textContent = t("and {n} more", {n: list.length - 6}); x.append(v); }
  }
}

// --- the timeline and the strip of frames to check -------------------------------------------
function drawTimeline() {
  if (!isVideo()) return;
  const c = $("timeline"), k = window.devicePixelRatio || 1;
  c.width = Math.round(c.clientWidth * k); c.height = Math.round(c.clientHeight * k);
  const g = c.getContext("2d"), n = S.plan.input.frames, tracks = S.plan.tracks;
  const x = (f) => (f / Math.max(1, n - 1)) * (c.width - 2 * k) + k;
  g.clearRect(0, 0, c.width, c.height);
  const rows = tracks.length + 1, rh = Math.max(3 * k, Math.min(12 * k, (c.height - 4 * k) / rows));
  // top row: spots worth a look (regions below the face rule)
  g.fillStyle = "#e69500";
  for (const r of S.plan.regions) if (r.uncertain && r.frames) g.fillRect(x(r.frames[0]), 2 * k, Math.max(2 * k, x(r.frames[1]) - x(r.frames[0])), rh - k);
  if (2 * k + rows * rh > c.height) { drawTimelineDensity(g, c, k, x, rh); return; }
  tracks.forEach((tr, i) => {
    const y = 2 * k + (i + 1) * rh;
    g.fillStyle = tr.on ? colour(tr) : "#c8c8c8";
    let runStart = null, prev = null;
    for (const b of tr.boxes) {
      if (runStart === null) runStart = b[0];
      else if (b[0] !== prev + 1) { g.fillRect(x(runStart), y, Math.max(2 * k, x(prev) - x(runStart)), rh - k); runStart = b[0]; }
      prev = b[0];
    }
    if (runStart !== null) g.fillRect(x(runStart), y, Math.max(2 * k, x(prev) - x(runStart)), rh - k);
    g.fillStyle = "#111";
    for (const f of tr.keyframes || []) g.fillRect(x(f) - k, y - k, 2 * k, rh + k);
    if (S.sel === tr.id) { g.strokeStyle = "#3d7bf7"; g.lineWidth = k; g.strokeRect(x(tr.boxes[0][0]) - k, y - k, x(prev) - x(tr.boxes[0][0]) + 2 * k, rh + k); }
  });
  g.fillStyle = "#d93025"; g.fillRect(x(S.frame) - k, 0, 2 * k, c.height);
}

// More tracks than rows (a crowd): how many faces are masked on each frame, as bars, with the
// selected track's span above them, instead of rows drawn past the canvas's edge
function drawTimelineDensity(g, c, k, x, rh) {
  const n = S.plan.input.frames, counts = new Float32Array(n);
  let sel = null;
  for (const tr of S.plan.tracks) {
    if (tr.id === S.sel) sel = tr;
    if (tr.on) for (const b of tr.boxes) counts[b[0]] += 1;
  }
  let most = 1;
  for (const v of counts) if (v > most) most = v;
  const top = 2 * k + 2 * rh, bw = Math.max(k, x(1) - x(0));
  g.fillStyle = colour({on: true, source: {}});
  for (let f = 0; f < n; f++) if (counts[f]) { const bh = (c.height - top) * counts[f] / most; g.fillRect(x(f), c.height - bh, bw, bh); }
  if (sel) { g.fillStyle = "#3d7bf7"; g.fillRect(x(sel.boxes[0][0]), 2 * k + rh, Math.max(2 * k, x(sel.boxes[sel.boxes.length - 1][0]) - x(sel.boxes[0][0])), rh - k); }
  g.fillStyle = "#d93025"; g.fillRect(x(S.frame) - k, 0, 2 * k, c.height);
}

function renderStrip() {
  const strip = $("strip");
  // its captions follow the language, its first frames the slider
  const sig = S.cur.id + "/" + S.rev + "/" + S.lang + "/" + doubtful().filter((x) => !x.on).length;
  if (strip.dataset.sig === sig) return;
  strip.dataset.sig = sig;
  strip.replaceChildren();
  if (!isVideo()) return;
  const picks = [];  // [frame, the box to mark on it]
  // first where a face the slider bared would be: the likeliest faces among the masks it took off
  for (const tr of doubtful().filter((x) => !x.on).reverse().slice(0, 4)) { const b = tr.boxes[Math.floor(tr.boxes.length / 2)]; picks.push([b[0], b.slice(1)]); }
  for (const r of S.plan.regions) if (r.uncertain && r.frames) picks.push([Math.floor((r.frames[0] + r.frames[1]) / 2), r.box]);
  const scored = S.plan.tracks.filter((tr) => tr.source.score !== undefined && tr.source.score !== null).sort((a, b) => a.source.score - b.source.score);
  for (const tr of scored) for (const b of [tr.boxes[0], tr.boxes[tr.boxes.length - 1]]) picks.push([b[0], b.slice(1)]);
  const seen = new Set(), [w, h] = [S.plan.input.width, S.plan.input.height];
  for (const [f, box] of picks) {
    if (seen.has(f) || seen.size >= 8) continue;
    seen.add(f);
    const fig = document.createElement("figure");
    const img = document.createElement("img"); img.alt = ""; img.loading = "lazy"; img.src = url("/api/files/" + S.cur.id + "/frame/" + f + "?w=" + frameWidth());
    // where to look: a small spot on a whole frame 64 px tall is otherwise not to be found
    const mark = document.createElement("span"); mark.className = "mark";
    const x0 = Math.max(0, box[0]), y0 = Math.max(0, box[1]), x1 = Math.min(w, box[2]), y1 = Math.min(h, box[3]);
    Object.assign(mark.style, {left: (100 * x0 / w) + "%", top: (100 * y0 / h) + "%", width: (100 * (x1 - x0) / w) + "%", height: (100 * (y1 - y0) / h) + "%"});
    const pic = document.createElement("div"); pic.className = "pic"; pic.append(img, mark);
    const cap = document.createElement("figcaption"); cap.textContent = t("frame {n}", {n: f + 1});
    fig.append(pic, cap); fig.onclick = () => { stopPlaying(); showFrame(f); };
    strip.append(fig);
  }
  $("strip-box").hidden = seen.size === 0;
}

// --- changes ---------------------------------------------------------------------------------------
// words or a function giving them: a function's are said again in a newly chosen language
function setSaveState(say) { S.saveSay = typeof say === "function" ? say : () => say; sayState(); }
function sayState() { const el = $("save-state"); el.textContent = el.title = S.saveSay(); }

// an edit to the plan on the page: recorded as a step to undo (``how``: "later" for a slider's
// drag, recorded once it rests; "none" for an undo or redo itself), drawn, and saved
function changed(how) {
  if (how !== "later") S.gesture = null;
  if (how === undefined) record(); else if (how === "later") { S.dirty = true; updateUndo(); }
  setSaveState(() => t("Saving…"));
  renderSide(); draw(); drawTimeline();
  // the strip fetches eight frames: once the slider rests, not at every step of a drag
  clearTimeout(S.stripTimer);
  S.stripTimer = setTimeout(() => { if (S.plan && isVideo() && S.img) renderStrip(); }, 300);
  clearTimeout(S.saveTimer);
  S.saveTimerOn = true;
  S.saveTimer = setTimeout(flush, 250);
}

async function flush() {
  clearTimeout(S.saveTimer);
  S.saveTimerOn = false;
  if (S.dirty) record();
  if (S.saving) { S.pending = true; return S.savePromise; }
  S.saving = true; S.pending = false;
  S.savePromise = (async () => {
    let ok = false;
    try {
      const id = S.cur.id, sent = JSON.stringify(S.plan);
      const r = await api("/api/files/" + id + "/plan", {method: "PUT", json: {rev: S.rev, plan: S.plan, client: CLIENT, seq: ++S.seq}});
      heard(id, r, sent); ok = true;
      renderJob(); renderFiles();
      if (!S.pending && !S.saveTimerOn) setSaveState(() => (r.save_error ? t("Your changes cannot be saved in this folder ({reason}). Add the file again with the “Add photos or videos” button: it is then kept in a private folder while you work.", {reason: r.save_error}) : t("All changes saved")));
    } catch (e) {
      if (e.stale) conflict();
      else {
        // said where it stays: the message goes after a while, "Saving…" must not stay behind it
        const said = () => (e.gone ? t(GONE) : t("Your change could not be saved: {reason}", {reason: e.message}));
        showMessage(said()); setSaveState(said);
      }
    } finally {
      S.saving = false;
    }
    // whether the page's plan reached the server (a publish waits for it)
    return S.pending ? flush() : ok;
  })();
  return S.savePromise;
}

// a page closed or reloaded within the save delay, or while a save is on its way with a later
// edit waiting behind it, still saves: the request outlives the page, and replaces this page's
// save before it (the server knows the page by CLIENT)
function flushOnLeave() {
  if (!(S.saveTimerOn || S.pending) || !S.cur || !S.plan) return;
  clearTimeout(S.saveTimer); S.saveTimerOn = false; S.pending = false;
  // a hidden tab lives on: the revision this save makes is the page's from then on
  const id = S.cur.id, sent = JSON.stringify(S.plan);
  fetch("/api/files/" + id + "/plan", {method: "PUT", keepalive: true,
    headers: {"X-Unseen-Token": TOKEN, "Content-Type": "application/json"}, body: JSON.stringify({rev: S.rev, plan: S.plan, client: CLIENT, seq: ++S.seq})})
    .then((r) => (r.ok ? r.json() : null)).then((d) => heard(id, d, sent)).catch(() => {});
}
window.addEventListener("pagehide", flushOnLeave);
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flushOnLeave(); });

function conflict() {
  // steps made on the older version could undo what the other window changed: they go (again
  // as the latest version comes: an edit made meanwhile is lost with the older version)
  const id = S.cur.id;
  delete S.hist[id]; updateUndo();
  showMessage(t("This file was changed in another tab or window. Loading the latest version…"));
  setTimeout(async () => { S.plan = null; delete S.hist[id]; await reloadFile(); loadPicture(); }, 1200);
}

// --- undo and redo -------------------------------------------------------------------------------
// The page saves its whole plan after every edit, so an undone step is saved as any edit is: the
// server then holds exactly the masks the page shows, and a copy made next renders them. A step
// holds only the masks and tracks it changed (each before and after, by id), not the whole plan:
// what the final check adds when a copy is made comes in between, and no undo takes it away.
// Each file keeps its own steps while the page is open (gone with the tab: nothing of them is
// stored); a publish is no step and keeps them; a change from another tab ends them (conflict).
const HISTORY = 200;  // steps kept per file (a crowd's track holds a box for every frame)

function history() { return S.hist[S.cur.id] || (S.hist[S.cur.id] = {undo: [], redo: []}); }

// every mask and track of the plan as JSON, by id, with its place in its list
function snap() {
  const items = new Map();
  for (const kind of ["regions", "tracks"]) (S.plan[kind] || []).forEach((x, i) => items.set(kind + ":" + x.id, {kind, i, json: JSON.stringify(x)}));
  // the slider's place too (made now if not yet: the first drag's step must know where it was)
  const st = doubtful().length ? doubtState() : null;
  return {file: S.cur.id, items, doubt: st && {at: st.at, kept: [...st.kept], dropped: [...st.dropped]}};
}

function rebase() { S.base = S.plan && S.cur ? snap() : null; S.dirty = false; updateUndo(); }

// what changed since ``was`` becomes a step (``join``: part of the last one); a new step drops
// the steps that were undone
function record(join, was) {
  if (!S.plan || !S.cur) return;
  const now = snap();
  was = was || S.base;
  S.base = now; S.dirty = false;
  if (!was || was.file !== now.file) { updateUndo(); return; }
  const ch = [];
  for (const [k, x] of was.items) { const y = now.items.get(k); if (!y || y.json !== x.json) ch.push({k, kind: x.kind, before: x, after: y || null}); }
  for (const [k, y] of now.items) if (!was.items.has(k)) ch.push({k, kind: y.kind, before: null, after: y});
  if (!ch.length) { updateUndo(); return; }
  const h = history(), top = h.undo[h.undo.length - 1];
  if (top && (join || (S.gesture && top.gesture === S.gesture))) {
    for (const c of ch) { const old = top.ch.find((x) => x.k === c.k); if (old) old.after = c.after; else top.ch.push(c); }
    top.ch = top.ch.filter((c) => (c.before ? c.before.json : null) !== (c.after ? c.after.json : null));
    top.doubt[1] = now.doubt;
    if (!top.ch.length) h.undo.pop();  // a slider dragged out and back: nothing to undo
  } else {
    h.undo.push({ch, doubt: [was.doubt, now.doubt], gesture: S.gesture});
    if (h.undo.length > HISTORY) h.undo.shift();
  }
  h.redo = [];
  updateUndo();
}

// the plan as it was before a step (``back``) or after it
function applyStep(step, back) {
  const side = (c) => (back ? c.before : c.after);
  for (const c of step.ch) S.plan[c.kind] = (S.plan[c.kind] || []).filter((x) => c.kind + ":" + x.id !== c.k);
  // each goes back to its place: in order, among the masks the step left alone
  for (const c of step.ch.filter(side).sort((a, b) => side(a).i - side(b).i)) {
    const list = S.plan[c.kind] || (S.plan[c.kind] = []);
    list.splice(Math.min(side(c).i, list.length), 0, JSON.parse(side(c).json));
  }
  const d = step.doubt[back ? 0 : 1];
  if (d) { const st = doubtState(); st.at = d.at; st.kept = new Set(d.kept); st.dropped = new Set(d.dropped || []); sessionStorage.setItem(doubtKey(), String(d.at)); }
}

function undo(redo) {
  if (!S.plan || !S.cur || S.busy) return;  // a face is being followed: see serverEdit
  record();  // a slider drag not yet recorded is the step undone
  S.gesture = null;
  const h = history(), step = (redo ? h.redo : h.undo).pop();
  if (!step) { updateUndo(); return; }
  (redo ? h.undo : h.redo).push(step);
  stopPlaying();
  S.drag = null;
  applyStep(step, !redo);
  indexTracks();
  S.base = snap();
  // one mask changed: selected, so the person sees which came back; a removed one is let go
  const c = step.ch.length === 1 ? step.ch[0] : null;
  const one = c && (S.plan[c.kind] || []).find((x) => c.kind + ":" + x.id === c.k);
  if (one) S.sel = one.id;
  else if (S.sel && ![...S.plan.regions, ...(S.plan.tracks || [])].some((x) => x.id === S.sel)) S.sel = null;
  changed("none");
  updateUndo();
  // its row brought into view where the list is beside the picture (stacked under it on a
  // phone, that scrolled the picture away: style.css)
  if (one && !matchMedia("(max-width: 860px)").matches) showRow(one.id);
}

// Undo and Redo say their names where the toolbar has room for them; where the words would take
// it to one more line (Publish alone on a second line on a laptop, a third line on a phone, which
// the picture loses), their arrows alone: the words stay their names for a screen reader
function fitToolbar() {
  const tb = $("toolbar");
  if (tb.offsetParent === null) return;  // hidden: nothing to measure
  // the view button holds the longer of its two labels: switching the view (M) re-laid the
  // toolbar, moving the picture and the publish button under the pointer
  const v = $("view-toggle"), label = v.textContent;
  v.style.minWidth = "";
  let widest = 0;
  for (const s of [t("Showing: masked preview"), t("Showing: original")]) { v.textContent = s; widest = Math.max(widest, v.getBoundingClientRect().width); }
  v.textContent = label; v.style.minWidth = Math.ceil(widest) + "px";
  tb.classList.remove("compact");
  const words = tb.offsetHeight;
  tb.classList.add("compact");
  if (tb.offsetHeight >= words) tb.classList.remove("compact");
}

function updateUndo() {
  const h = S.cur && S.plan ? S.hist[S.cur.id] : null;
  $("undo").disabled = !((h && h.undo.length) || (S.plan && S.dirty));
  $("redo").disabled = !(h && h.redo.length) || S.dirty;
  $("undo").title = t("Undo your last change ({keys})", {keys: MAC ? "⌘Z" : "Ctrl+Z"});
  $("redo").title = t("Redo what you undid ({keys})", {keys: MAC ? "⌘⇧Z" : "Ctrl+Y"});
}

// Ctrl+Z (⌘Z) undoes, Ctrl+Shift+Z or Ctrl+Y redoes, but not in a field being typed in (it undoes
// its own typing there). With a Korean keyboard switched to Hangul the key is "ㅋ": its place is used
function undoKeys(e) {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return false;
  const k = /^[a-z]$/i.test(e.key) ? e.key.toLowerCase() : {KeyZ: "z", KeyY: "y"}[e.code];
  if (k !== "z" && k !== "y") return false;
  const el = e.target;
  if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || (el.tagName === "INPUT" && el.type !== "range")) return false;
  e.preventDefault();
  undo(k === "y" || e.shiftKey);
  return true;
}

// a failure (red) or, with ``note``, news that is no failure (a face followed): not said as an error
// ``stay``: until the person closes it (a warning that must not go unread)
function showMessage(text, note, stay) {
  // with no file open the picture's column is hidden, and a message in it with it (an upload
  // refused before any file was open said nothing): said under the file list instead
  const m = $("work").hidden ? $("files-message") : $("message");
  // a passing note does not take the place of a warning that stays (it would go with the note)
  if (note && !stay && !m.hidden && m.classList.contains("stay")) return;
  const words = document.createElement("span"), close = document.createElement("button");
  words.textContent = text;
  close.type = "button"; close.className = "close"; close.textContent = "×"; close.title = close.ariaLabel = t("Close");
  close.onclick = () => { m.hidden = true; };
  m.replaceChildren(words, close); m.hidden = false;
  m.classList.toggle("note", !!note);
  m.classList.toggle("stay", !!stay);
  m.setAttribute("role", note ? "status" : "alert");
  clearTimeout(S.msgTimer);
  if (!stay) S.msgTimer = setTimeout(() => { m.hidden = true; }, 8000);
}

function setOn(r, on) {
  r.on = on;
  // a doubtful mask switched on by hand hid a face: the slider passes it by from now on
  if (isDoubtful(r)) { const st = doubtState(); if (on) { st.kept.add(r.id); st.dropped.delete(r.id); } else { st.kept.delete(r.id); st.dropped.add(r.id); } }
  changed();
}

// a mask switched off or on, from its row or on the picture. A spot worth a look on a video is
// seen on one frame; the face it may be is there before and after: masking it follows the face
// through the video as a box drawn there is (the spot alone masked that frame only)
function toggle(r) {
  if (S.busy) return;  // a face is being followed: see serverEdit
  const follow = r.uncertain && !r.on && isVideo() && r.frames;
  setOn(r, !r.on);
  if (follow) { stopPlaying(); showFrame(r.frames[0]); serverEdit("/follow", {frame: r.frames[0], box: r.box, spot: true}, t("Following the face through the video…"), true); }
}

function removeItem(r) {
  S.plan.regions = S.plan.regions.filter((x) => x !== r);
  if (S.plan.tracks) S.plan.tracks = S.plan.tracks.filter((x) => x !== r);
  if (S.sel === r.id) S.sel = null;
  indexTracks(); changed();
}

function newId(prefix) {
  const taken = new Set([...S.plan.regions.map((r) => r.id), ...(S.plan.tracks || []).map((r) => r.id)]);
  let n = 1 + [...taken].filter((i) => i.startsWith(prefix)).length;
  while (taken.has(prefix + n)) n++;
  return prefix + n;
}

function clampBox(b) {
  const [w, h] = picSize();
  let [x0, y0, x1, y1] = [Math.min(b[0], b[2]), Math.min(b[1], b[3]), Math.max(b[0], b[2]), Math.max(b[1], b[3])];
  x0 = Math.max(0, x0); y0 = Math.max(0, y0); x1 = Math.min(w, x1); y1 = Math.min(h, y1);
  return [x0, y0, x1, y1].map((v) => Math.round(v * 10) / 10);
}

// While the server follows a face the page takes no edit: the plan it returns replaces the
// page's, and an edit made meanwhile would be lost with it (or, saved first, make the follow's
// result "stale" and lose the box the person drew).
function setBusy(on) { S.busy = on; document.body.classList.toggle("busy", on); }

// ``join``: the plan the server returns ends the last step (a spot masked, then its face followed)
// ``what``: "box" where the person drew it (the result is not called a face)
async function serverEdit(path, body, waitText, join, what) {
  if (S.busy) return;
  setBusy(true);
  // not saved (flush said why): the plan the server sends back would wipe the edit off the page
  if (!(await flush())) { setBusy(false); return; }
  const was = S.base;
  setSaveState(waitText);
  $("status").hidden = false; $("status-text").textContent = waitText; $("status").querySelector(".spinner").hidden = false;
  try {
    const data = await api("/api/files/" + S.cur.id + path, {method: "POST", json: Object.assign({rev: S.rev}, body)});
    S.plan = null; useFile(data); S.plan = data.plan; S.rev = data.rev; indexTracks();
    record(join, was);
    if (data.track) S.sel = data.track;
    setSaveState(() => t("All changes saved"));
    const made = data.track && (S.plan.tracks || []).find((x) => x.id === data.track);
    if (made) {
      const first = made.boxes[0][0] + 1, last = made.boxes[made.boxes.length - 1][0] + 1;
      // the person's own tracks are listed first; say how far the face was followed, so a short
      // or lost follow is seen at once (drag the box on a later frame to carry it on)
      const short = last - first + 1 < Math.min(25, S.plan.input.frames);
      const said = what === "box" ?
        (short ? N_("What you boxed was followed on frames {a} to {b} only. Check the frames after it: drag the box on a later frame to carry it on.") : N_("What you boxed is masked on frames {a} to {b}. Step through them to check the mask stays on it.")) :
        (short ? N_("The face was followed on frames {a} to {b} only. Check the frames after it: drag the box on a later frame to carry it on.") : N_("The face is masked on frames {a} to {b}. Step through them to check it stays on the face."));
      // a follow that ended early is a warning that stays until closed: the frames after it may show the face
      showMessage(t(said, {a: first, b: last}), true, short);
    }
  } catch (e) {
    if (e.stale) conflict(); else sayFailure(e, N_("That did not work: {reason}"));
  } finally {
    setBusy(false);
    $("status").hidden = true;
    renderSide(); draw(); drawTimeline(); renderStrip();
  }
}

function addBox(b) {
  // what a person boxes may be a sign or a name tag: not called a face
  if (isVideo()) { serverEdit("/follow", {frame: S.frame, box: b}, t("Following what you boxed through the video…"), false, "box"); return; }
  const r = {id: newId("m"), kind: "manual", on: true, shape: "box", box: b, source: {by: "person"}};
  S.plan.regions.push(r); S.sel = r.id; changed();
}

function moveBox(it, b) {
  if (it.type === "track") { serverEdit("/follow", {frame: S.frame, box: b, track: it.ref.id}, t("Correcting the path from this frame…")); return; }
  it.ref.box = b; changed();
}

function setSpan(tr, first, last) {
  if (!(first <= last)) { renderSide(); return; }
  serverEdit("/span", {track: tr.id, first, last}, t("Saving…"));
}

function select(id, centre) {
  S.sel = id;
  noteLooked();
  renderSide(); draw(); drawTimeline();
  if (!centre) showRow(id);
  if (centre) {
    const r = S.plan.regions.find((x) => x.id === id);
    if (r && isVideo() && r.frames) showFrame(r.frames[0]);
    if (r) centreOn(r.box);
  }
}

// the selected box's row, brought into view in a long list (a crowd's track list)
function showRow(id) {
  const row = id && document.querySelector(`#region-list li[data-id="${CSS.escape(id)}"], #look-list li[data-id="${CSS.escape(id)}"]`);
  if (row) row.scrollIntoView({block: "nearest"});
}

function centreOn(b) {
  const c = $("canvas"), [w, h] = picSize();
  const bw = b[2] - b[0], bh = b[3] - b[1];
  S.zoom = Math.max(1, Math.min(8, Math.min(w / bw, h / bh) / 4));
  const k = scale();
  S.panX = c.width / 2 - ((b[0] + b[2]) / 2) * k; S.panY = c.height / 2 - ((b[1] + b[3]) / 2) * k;
  draw();
}

// a spot worth a look the person selected (from its row, by N or on the picture) is one looked at
function noteLooked() {
  const r = S.sel && S.plan && S.plan.regions.find((x) => x.id === S.sel && x.uncertain);
  if (r) (S.looked[S.cur.id] = S.looked[S.cur.id] || new Set()).add(r.id);
}

function unlooked() {
  const seen = S.looked[S.cur.id] || new Set();
  return S.plan.regions.filter((r) => r.uncertain && !r.on && !seen.has(r.id)).length;
}

function nextLook() {
  const unsure = S.plan ? S.plan.regions.filter((r) => r.uncertain) : [];
  if (!unsure.length) return;
  const i = unsure.findIndex((r) => r.id === S.sel);
  select(unsure[(i + 1) % unsure.length].id, true);
}

// --- pointer ---------------------------------------------------------------------------------------
function canvasPoint(e) {
  const r = $("canvas").getBoundingClientRect(), k = window.devicePixelRatio || 1;
  return [(e.clientX - r.left) * k, (e.clientY - r.top) * k];
}

function hit(px, py) {
  const list = items().filter((it) => px >= it.box[0] && px <= it.box[2] && py >= it.box[1] && py <= it.box[3]);
  const area = (it) => (it.box[2] - it.box[0]) * (it.box[3] - it.box[1]);
  // in the masked preview a click on something left bare masks it again: a switched-off mask
  // under the click comes before a neighbour's mask that is on (which the click would switch off)
  const bare = (it) => (S.view === "masked" && !it.ref.on && !it.ref.uncertain ? 0 : 1);
  list.sort((a, b) => bare(a) - bare(b) || area(a) - area(b));
  return list[0] || null;
}

function handleAt(cx, cy) {
  const it = items().find((x) => x.ref.id === S.sel);
  if (!it) return null;
  const tol = 9 * (window.devicePixelRatio || 1);
  const k = scale();
  const idx = corners(it.box).findIndex(([x, y]) => Math.abs(x * k + S.panX - cx) < tol && Math.abs(y * k + S.panY - cy) < tol);
  return idx < 0 ? null : {item: it, corner: idx};
}

// On a phone the picture fills most of the screen: a finger on it scrolls the page (a swipe
// moved a face's mask off the face, and a tap bared it, then scrolled the picture away to its
// row). A tap selects a box; only the selected box takes a finger: dragged it moves (its corners
// resize), tapped again it is switched off or on. Nothing else on the picture holds the finger.
function onTouchDown(cx, cy, px, py) {
  const h = handleAt(cx, cy);
  if (h) { S.drag = {mode: "grip", item: h.item, corner: h.corner, box: null, px, py, cx, cy, hold: true}; return; }
  const mine = items().find((x) => x.ref.id === S.sel && px >= x.box[0] && px <= x.box[2] && py >= x.box[1] && py <= x.box[3]);
  if (mine) { S.drag = {mode: "press", item: mine, px, py, cx, cy, box: mine.box.slice(), hold: true}; return; }
  S.drag = {mode: "tap", item: hit(px, py), cx, cy, px, py};
}

// a finger cannot draw a box (it scrolls the page): a tap on the picture with nothing selected
// puts a face-sized box there, selected, to be dragged and resized by its corners
function tapBox(px, py) {
  const hs = items().map((x) => x.box[3] - x.box[1]).sort((a, b) => a - b);
  const [w, h] = picSize();
  const side = hs.length ? hs[Math.floor(hs.length / 2)] : 0.12 * Math.min(w, h);
  return clampBox([px - side / 2, py - side / 2, px + side / 2, py + side / 2]);
}

// the page's touchstart comes after pointerdown: a finger on the selected box does not scroll
function onTouchStart(e) { if (S.drag && S.drag.hold && e.touches.length === 1) e.preventDefault(); }

function onDown(e) {
  if (!S.plan || !S.img || S.busy) return;
  const [cx, cy] = canvasPoint(e), [px, py] = toPic(cx, cy);
  stopPlaying();
  if (e.pointerType === "touch") { if (!e.isPrimary) { S.drag = null; draw(); return; } onTouchDown(cx, cy, px, py); if (S.drag.hold) $("canvas").setPointerCapture(e.pointerId); return; }
  $("canvas").setPointerCapture(e.pointerId);
  if (e.shiftKey || e.button === 1 || e.button === 2) { S.drag = {mode: "pan", cx, cy, panX: S.panX, panY: S.panY}; return; }
  const h = handleAt(cx, cy);
  // a corner grip starts a resize once the pointer moves; a click on it is a click on the box
  // (on a small box the grips cover most of it, and a second click never switched it back on)
  if (h) { S.drag = {mode: "grip", item: h.item, corner: h.corner, box: null, px, py, cx, cy}; return; }
  const it = hit(px, py);
  if (it) { S.drag = {mode: "press", item: it, px, py, cx, cy, box: it.box.slice()}; return; }
  S.drag = {mode: "draw", px, py, box: null};
}

function onMove(e) {
  const d = S.drag;
  if (!d) return;
  const [cx, cy] = canvasPoint(e), [px, py] = toPic(cx, cy);
  if (d.mode === "pan") { S.panX = d.panX + cx - d.cx; S.panY = d.panY + cy - d.cy; draw(); return; }
  // a finger wobbles: a tap or a press moves it by up to about 10 CSS px (canvas pixels count
  // the screen's), a mouse by none
  const far = Math.hypot(cx - d.cx, cy - d.cy) > (e.pointerType === "touch" ? 10 * (window.devicePixelRatio || 1) : 5);
  if (d.mode === "tap") { if (far) S.drag = null; return; }  // a swipe: the page scrolls, nothing is done
  if (d.mode === "press" && far) d.mode = "move";
  if (d.mode === "grip" && far) d.mode = "resize";
  if (d.mode === "move") {
    const b = d.item.box, dx = px - d.px, dy = py - d.py;
    d.box = [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy];
  } else if (d.mode === "resize") {
    const b = d.item.box.slice(), c = d.corner;
    if (c === 0 || c === 2) b[0] = px; else b[2] = px;
    if (c === 0 || c === 1) b[1] = py; else b[3] = py;
    d.box = b;
  } else if (d.mode === "draw") {
    d.box = [d.px, d.py, px, py];
  }
  draw();
}

function onUp(e) {
  const d = S.drag;
  S.drag = null;
  if (!d) return;
  // a finger's row is not brought into view: on a phone that scrolled the picture away
  const row = (id) => { if (e.pointerType !== "touch") showRow(id); };
  if (d.mode === "tap") {
    if (!d.item && S.sel === null) {
      addBox(tapBox(d.px, d.py));
      showMessage(t("A mask was put where you tapped. Drag it or its corners to fit the face; × in the list removes it."), true);
      return;
    }
    S.sel = d.item ? d.item.ref.id : null;
    noteLooked();
    renderSide(); draw(); drawTimeline();
    if (d.item) showMessage(t("Selected. Tap it again to switch its mask off or on, or drag it to move it."), true);
    return;
  }
  if (d.mode === "press" || d.mode === "grip") { S.sel = d.item.ref.id; noteLooked(); toggle(d.item.ref); row(S.sel); return; }
  if ((d.mode === "move" || d.mode === "resize") && d.box) { S.sel = d.item.ref.id; const b = clampBox(d.box); if (b[2] - b[0] >= 2 && b[3] - b[1] >= 2) moveBox(d.item, b); else draw(); row(S.sel); return; }
  if (d.mode === "draw" && d.box) {
    const b = clampBox(d.box);
    if (b[2] - b[0] >= 4 && b[3] - b[1] >= 4) addBox(b); else draw();
    return;
  }
  draw();
}

// --- publishing ------------------------------------------------------------------------------------
// masks and tracks a person switched off (as the server counts them): bare in the copy
function switchedOff() {
  return S.plan.regions.filter((r) => !r.on && !r.uncertain).length + (S.plan.tracks || []).filter((tr) => !tr.on).length;
}

async function publish() {
  if (!S.plan || (S.cur.job && S.cur.job.state === "running")) return;
  // not saved (flush said why): the copy would be made without the edits the page shows
  if (!(await flush())) return;
  // a face under a mask switched off goes out bare: asked before, not only said after
  // and so does one among the spots worth a look that nobody looked at (they are not masked)
  const off = switchedOff(), unseenSpots = unlooked();
  const ask = [];
  if (off) ask.push(t("{n} mask(s) are switched off: what is under them will be visible in the safe copy.", {n: off}));
  if (unseenSpots) ask.push(t("{n} spot(s) worth a look were not looked at, and are not masked: a face among them would be visible in the safe copy. N goes through them.", {n: unseenSpots}));
  if (ask.length && !window.confirm(ask.join("\n\n") + "\n\n" + t("Make the copy anyway?"))) return;
  try {
    const data = await api("/api/files/" + S.cur.id + "/publish", {method: "POST", json: {rev: S.rev}});
    S.cur.job = data.job;
    renderJob();
    reloadFile();
  } catch (e) {
    if (e.stale) conflict(); else sayFailure(e, N_("That did not work: {reason}"));
  }
}

// The open file's copy holds its masks as they stand: at the revision it was made from, or at a
// later one whose masks are the same again (a mask switched off and back on was called a change
// the copy lacked). The masks a copy was made from are noted when the page first sees it done.
function copyIsCurrent(j) {
  if (j.rev === null || j.rev === undefined) return true;
  const sig = () => JSON.stringify([S.plan.regions, S.plan.tracks || []]);
  if (S.rev === j.rev) {
    if (!S.dirty && !S.saving && !S.saveTimerOn && !(S.copy && S.copy.id === S.cur.id && S.copy.n === j.n)) S.copy = {id: S.cur.id, n: j.n, sig: sig()};
    return true;
  }
  if (!S.copy || S.copy.id !== S.cur.id || S.copy.n !== j.n) return false;
  if (S.copy.at !== S.rev) { S.copy.at = S.rev; S.copy.same = sig() === S.copy.sig; }  // once a revision (a crowd's plan is large)
  return S.copy.same;
}

function renderJob() {
  const j = S.cur && S.cur.job;
  if (!j || j.state === "idle") { $("result-box").hidden = true; return; }
  $("result-box").hidden = false;
  // a copy this page saw being made is brought into view when it ends (in a narrow window its
  // result, warnings first, lay below the fold)
  if (j.state === "running") S.making = S.cur.id + "/" + j.n;
  else if (S.making === S.cur.id + "/" + j.n) { S.making = null; $("result-box").scrollIntoView({block: "nearest"}); }
  $("progress").hidden = j.state !== "running";
  const res = $("result");
  res.replaceChildren();
  if (j.state === "running") {
    const bar = $("progress-bar");
    // no bar while the total is unknown (an indeterminate one animates, which costs the render time)
    bar.hidden = !j.total;
    if (j.total) { bar.max = j.total; bar.value = j.done; }
    const stages = {analyse: N_("Looking for faces…"), render: N_("Masking…"), verify: N_("Checking the safe copy…")};
    let text = stages[j.stage] ? t(stages[j.stage]) : t("Making the safe copy and checking it…");
    if (j.total) text += " " + counted(isVideo(), j.done, j.total);
    // time left in the words a person uses (frames a second told them nothing)
    if (j.left) text += " · " + (j.left < 90 ? t("about {s} s left", {s: Math.ceil(j.left)}) : t("about {m} min left", {m: Math.ceil(j.left / 60)}));
    $("progress-text").textContent = text;
    $("publish").disabled = true;
    return;
  }
  $("publish").disabled = false;
  const p = (text, cls) => { const x = document.createElement("p"); x.textContent = text; if (cls) x.className = cls; res.append(x); return x; };
  if (j.state === "done") {
    // edits made since (or while) the copy was made are not in it
    if (!copyIsCurrent(j)) p(t("You changed the masks after this copy was made: those changes are not in it. Make the safe copy again."), "fail");
    // left bare on purpose: said first, where it cannot be missed, before it is shared
    if (j.bare) p(t("{n} mask(s) you switched off were left off: what is under them can be seen in the safe copy. Make sure no face is among them.", {n: j.bare}), "warn").id = "bare";
    p(t("Done. The safe copy was made and checked:"), j.bare ? "" : "ok");
    const code = document.createElement("code"); code.id = "output-path"; code.textContent = j.output; res.append(code);
    for (const w of j.warnings || []) p(w, "warn");
    p(j.added.length ? t("The final check found {n} more spot(s) and masked them too. They are listed first among the masks, marked “added by the final check”.", {n: j.added.length}) : t("The final check found nothing more to mask."));
    if (S.cur.uploaded) {
      // with an output folder named (-o) the copy is there for good; otherwise it goes with the review
      if (S.cur.output_temporary) p(t("This file was added from the page, so its safe copy is kept only while the review is open. Save it now."));
      const a = document.createElement("a"); a.className = "button"; a.href = url("/api/files/" + S.cur.id + "/output"); a.textContent = t("Save the safe copy"); a.download = "";
      res.append(a);
    }
    p(t("Look at the safe copy once more before you share it."));
    // the copy itself, in a tab of its own: a path is nothing to someone who never opens a terminal
    const look = document.createElement("a"); look.className = "button"; look.id = "look";
    look.href = url("/api/files/" + S.cur.id + "/output?look=1"); look.target = "_blank"; look.rel = "noopener";
    look.textContent = t("Look at the safe copy"); res.append(look);
    // and the folder it is in, to share it from (a temporary upload's folder goes with the review)
    const folder = document.createElement("button"); folder.type = "button"; folder.id = "reveal";
    folder.textContent = t("Show it in its folder");
    folder.onclick = async () => {
      try { await api("/api/files/" + S.cur.id + "/reveal", {method: "POST", json: {}}); }
      catch (e) { sayFailure(e, N_("The folder could not be opened: {reason}")); }
    };
    res.append(" ", folder);
  } else {
    p(t("No safe copy was made."), "fail");
    const r = p(j.error || ""); r.id = "output-error";
  }
}

// --- start -------------------------------------------------------------------------------------------
function keys(e) {
  if (undoKeys(e)) return;
  const k = e.key, slider = e.target.tagName === "INPUT" && e.target.type === "range";
  if ((e.target.tagName === "INPUT" && !slider) || e.ctrlKey || e.metaKey || e.altKey) return;
  if (S.busy) { e.preventDefault(); return; }  // a face is being followed: see serverEdit
  // Space and Enter press a focused button or row, as they do everywhere else
  if ((k === " " || k === "Enter") && (e.target.tagName === "BUTTON" || e.target.tagName === "A" || e.target.getAttribute("role") === "button")) return;
  // a focused slider keeps the keys that move it; the page's letters still work there
  if (slider && (k.startsWith("Arrow") || k.startsWith("Page") || k === "Home" || k === "End" || k === " ")) return;
  if (k === "m" || k === "M") toggleView();
  else if (k === "n" || k === "N") nextLook();
  else if (k === "p" || k === "P") publish();
  else if (k === "+" || k === "=") zoomAt(1.25);
  else if (k === "-") zoomAt(0.8);
  else if (k === "0") fitView();
  else if (k === "?") $("help").hidden = !$("help").hidden;
  else if (k === "Escape") { S.sel = null; draw(); renderSide(); }
  else if ((k === "Delete" || k === "Backspace") && S.sel) {
    const r = S.plan.regions.find((x) => x.id === S.sel) || (S.plan.tracks || []).find((x) => x.id === S.sel);
    if (r) { if (r.source.by === "person") removeItem(r); else setOn(r, false); }
  } else if (isVideo() && (k === "ArrowRight" || k === ".")) { stopPlaying(); showFrame(S.frame + (e.shiftKey ? Math.round(fps()) : 1)); }
  else if (isVideo() && (k === "ArrowLeft" || k === ",")) { stopPlaying(); showFrame(S.frame - (e.shiftKey ? Math.round(fps()) : 1)); }
  else if (isVideo() && k === " ") togglePlay();
  else if (!isVideo() && pictures() > 1 && (k === "ArrowRight" || k === ".")) showPicture(S.picture + 1);
  else if (!isVideo() && pictures() > 1 && (k === "ArrowLeft" || k === ",")) showPicture(S.picture - 1);
  else return;
  e.preventDefault();
}

function toggleView() {
  S.view = S.view === "masked" ? "original" : "masked";
  $("view-toggle").textContent = S.view === "masked" ? t("Showing: masked preview") : t("Showing: original");
  fitToolbar(); draw();
}

function start() {
  const c = $("canvas");
  c.addEventListener("pointerdown", onDown);
  c.addEventListener("pointermove", onMove);
  c.addEventListener("pointerup", onUp);
  // the page took the finger (a scroll, a pinch): nothing is done on the picture
  c.addEventListener("pointercancel", () => { S.drag = null; draw(); });
  c.addEventListener("touchstart", onTouchStart, {passive: false});
  c.addEventListener("contextmenu", (e) => e.preventDefault());
  c.addEventListener("wheel", (e) => { e.preventDefault(); const [cx, cy] = canvasPoint(e); zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, cx, cy); }, {passive: false});
  $("view-toggle").onclick = toggleView;
  $("zoom-in").onclick = () => zoomAt(1.25);
  $("zoom-out").onclick = () => zoomAt(0.8);
  $("zoom-fit").onclick = fitView;
  $("publish").onclick = publish;
  $("undo").onclick = () => undo(false);
  $("redo").onclick = () => undo(true);
  if (MAC) { $("undo-keys").textContent = "⌘Z"; $("redo-keys").textContent = "⌘⇧Z"; }
  $("help-toggle").onclick = () => { $("help").hidden = !$("help").hidden; };
  $("play").onclick = togglePlay;
  $("prev").onclick = () => { stopPlaying(); showFrame(S.frame - 1); };
  $("next").onclick = () => { stopPlaying(); showFrame(S.frame + 1); };
  $("page-prev").onclick = () => showPicture(S.picture - 1);
  $("page-next").onclick = () => showPicture(S.picture + 1);
  $("seek").oninput = () => { stopPlaying(); showFrame(Number($("seek").value)); };
  $("doubt").oninput = slideDoubt;
  // the drag (or key press) is over: what it switched is one step
  $("doubt").onchange = () => { if (S.dirty) record(); S.gesture = null; };
  // dragged with the mouse, the slider gives the keys back (← → step frames, not masks)
  $("doubt").addEventListener("pointerup", () => $("doubt").blur());
  $("timeline").onclick = (e) => {
    const r = $("timeline").getBoundingClientRect();
    stopPlaying(); showFrame(Math.round(((e.clientX - r.left) / r.width) * (S.plan.input.frames - 1)));
  };
  $("picker").onchange = () => { upload([...$("picker").files]); $("picker").value = ""; };
  // the hidden file input's label, reached with Tab, opens the chooser with Enter or Space
  $("add-label").onkeydown = (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("picker").click(); } };
  for (const b of document.querySelectorAll(".lang button")) b.onclick = async () => {
    localStorage.setItem("unseen-lang", b.dataset.lang);
    await loadStrings(b.dataset.lang);
    if (S.cur && S.cur.id) { S.sideSig = null; reloadFile(); }
  };
  document.addEventListener("keydown", keys);
  let depth = 0;
  document.addEventListener("dragenter", (e) => { e.preventDefault(); depth++; $("drop").hidden = false; });
  document.addEventListener("dragleave", () => { if (--depth <= 0) { depth = 0; $("drop").hidden = true; } });
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => { e.preventDefault(); depth = 0; $("drop").hidden = true; upload([...e.dataTransfer.files]); });
  window.addEventListener("resize", () => { fitToolbar(); if (S.img) { const z = S.zoom; fitView(); if (z !== 1) zoomAt(z); } drawTimeline(); });
  // the stage also changes size without the window (the shortcuts list opening above it): the
  // canvas stretched its old pixels until the next redraw, and clicks missed what they pointed at
  new ResizeObserver(() => { const c = $("canvas"), r = $("stage").getBoundingClientRect(), k = window.devicePixelRatio || 1;
    if (S.img && (c.width !== Math.max(1, Math.round(r.width * k)) || c.height !== Math.max(1, Math.round(r.height * k)))) { const z = S.zoom; fitView(); if (z !== 1) zoomAt(z); } }).observe($("stage"));
  loadStrings(chooseLanguage()).then(refreshFiles);
  setInterval(refreshFiles, 2000);
}

document.addEventListener("DOMContentLoaded", start);
