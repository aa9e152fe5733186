// stimpack preview: draws the sources x conditions grid from the report embedded in the page,
// records what the browser makes of each file, and switches conditions at the same position.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("stimpack-data").textContent);
  const report = data.report;
  // How far the browser's duration may be from stimpack's before the cell says so (seconds).
  const TOLERANCE = { audio: 0.05, video: 0.1 };

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const seconds = (s) => s.toFixed(3) + " s";
  const bytes = (b) => {
    const units = ["B", "kB", "MB", "GB", "TB"];
    let i = 0;
    while (b >= 1000 && i < units.length - 1) { b /= 1000; i++; }
    return (i === 0 ? b : b.toFixed(b < 10 ? 1 : 0)) + " " + units[i];
  };

  // --- Findings by file ---------------------------------------------------------------
  const stimulusPaths = new Set();
  const groupIds = new Set(report.groups.map((g) => g.id));
  for (const g of report.groups) for (const s of g.stimuli) stimulusPaths.add(s.path);
  const byPath = new Map();
  const byGroup = new Map();
  const others = [];
  const add = (map, key, issue) => {
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(issue);
  };
  for (const issue of report.issues) {
    const paths = issue.path != null ? [issue.path] : (issue.paths || []);
    let placed = false;
    for (const p of paths) {
      if (stimulusPaths.has(p)) { add(byPath, p, issue); placed = true; continue; }
      const top = p.split("/")[0];
      if (groupIds.has(top)) { add(byGroup, top, issue); placed = true; }
    }
    if (!placed) others.push(issue);
  }
  const findingItem = (issue, withPath) => {
    const li = el("li", issue.severity);
    li.appendChild(el("span", "code", issue.code));
    let where = "";
    if (withPath) {
      if (issue.line != null) where += "line " + issue.line + ": ";
      if (issue.path != null) where += issue.path + ": ";
    }
    li.appendChild(document.createTextNode(where + issue.message));
    return li;
  };

  // --- Header -------------------------------------------------------------------------
  document.getElementById("input").textContent = report.input;
  const sum = report.summary;
  const summary = document.getElementById("summary");
  const verdict = el("span", report.ok ? "verdict-ok" : "verdict-errors", report.ok ? "no errors" : sum.errors + " error" + (sum.errors === 1 ? "" : "s"));
  summary.appendChild(verdict);
  summary.appendChild(document.createTextNode(
    " · " + sum.warnings + " warning" + (sum.warnings === 1 ? "" : "s") + " · " + sum.groups + " sources · " +
    sum.stimuli + " stimuli · " + seconds(sum.duration_s) + " · " + bytes(sum.bytes) + " · " + report.input_kind.replace("_", " ")));
  if (data.note) {
    const note = document.getElementById("note");
    note.textContent = data.note;
    note.hidden = false;
  }
  if (others.length) {
    const section = document.getElementById("other-findings");
    const ul = section.querySelector("ul");
    for (const issue of others) ul.appendChild(findingItem(issue, true));
    section.hidden = false;
  }

  // --- Columns: the reference first, anchors last -------------------------------------
  const rank = (role) => (role === "reference" ? 0 : role === "anchor" ? 2 : 1);
  const columnRank = new Map();
  for (const g of report.groups) for (const s of g.stimuli) {
    const r = rank(s.role);
    if (!columnRank.has(s.condition) || r < columnRank.get(s.condition)) columnRank.set(s.condition, r);
  }
  const columns = [...columnRank.keys()].sort((a, b) =>
    columnRank.get(a) - columnRank.get(b) || (a < b ? -1 : a > b ? 1 : 0));

  const grid = document.getElementById("grid");
  const headRow = el("tr");
  headRow.appendChild(el("th", "", "source"));
  columns.forEach((c, i) => {
    const th = el("th");
    th.dataset.condition = c;
    if (i < 10) th.appendChild(el("span", "key", String((i + 1) % 10)));
    th.appendChild(document.createTextNode(c));
    const r = columnRank.get(c);
    th.appendChild(el("span", "role", r === 0 ? "reference" : r === 2 ? "anchor" : "condition"));
    headRow.appendChild(th);
  });
  grid.tHead.appendChild(headRow);
  if (!columns.length) document.getElementById("empty").hidden = false;

  // Media elements are given their files a few at a time: a browser asked to open hundreds at
  // once stalls some of them (Chromium leaves some with no data and no error), and a dataset
  // can be large. Each settled cell lets the next one start.
  const LOADING_AT_ONCE = 4;
  const loadQueue = [];
  let loading = 0;
  const loadNext = () => {
    while (loading < LOADING_AT_ONCE && loadQueue.length) {
      loading++;
      loadQueue.shift()();
    }
  };
  const loaded = () => { loading--; loadNext(); };

  // --- Cells ----------------------------------------------------------------------------
  const rows = [];          // rows[r] = { tr, cells: [cell|null per column], findings }
  const cellsByPath = new Map();
  const readingsText = (s) => {
    const parts = [];
    parts.push(s.codec && s.codec !== s.format ? s.format + " " + s.codec : s.format);
    if (s.duration_s != null) parts.push(seconds(s.duration_s));
    if (s.sample_rate != null) parts.push((s.sample_rate / 1000) + " kHz");
    if (s.channels != null) parts.push(s.channels + " ch");
    if (s.width != null && s.height != null) parts.push(s.width + "×" + s.height);
    if (s.fps != null) parts.push(Math.round(s.fps * 100) / 100 + " fps");
    if (s.bytes != null) parts.push(bytes(s.bytes));
    return parts.join(" · ");
  };
  // Loudness readings appear in the report when the check measured them (`--analyze`).
  const loudnessText = (s) => Object.keys(s)
    .filter((k) => /loud|lufs|peak|lra/i.test(k) && s[k] != null && typeof s[k] !== "object")
    .map((k) => k.replace(/_/g, " ") + ": " + (typeof s[k] === "number" ? Math.round(s[k] * 100) / 100 : s[k]))
    .join(" · ");

  const setFindings = (row) => {
    let n = row.stimpackFindings;
    for (const c of row.cells) if (c && c.bad) n++;
    row.tr.dataset.findings = String(n);
  };

  report.groups.forEach((g, r) => {
    const tr = el("tr");
    tr.dataset.source = g.id;
    const th = el("th", "", g.id);
    if (g.config && typeof g.config.title === "string") th.appendChild(el("span", "title", g.config.title));
    const groupIssues = byGroup.get(g.id) || [];
    if (groupIssues.length) {
      const ul = el("ul", "findings");
      for (const issue of groupIssues) ul.appendChild(findingItem(issue, issue.path !== g.id));
      th.appendChild(ul);
    }
    tr.appendChild(th);
    const row = { tr, cells: [], stimpackFindings: groupIssues.length };
    const byCondition = new Map(g.stimuli.map((s) => [s.condition, s]));
    columns.forEach((c, col) => {
      const s = byCondition.get(c);
      if (!s) {
        tr.appendChild(el("td", "missing", "—"));
        row.cells.push(null);
        return;
      }
      const td = el("td");
      td.dataset.path = s.path;
      const cell = { td, stimulus: s, media: null, state: "pending", bad: false, row: r, col };
      const src = data.media[s.path];
      let player = null;
      if (src != null && (s.media === "audio" || s.media === "video")) {
        player = el(s.media);
        player.controls = true;
        player.preload = "auto";
        loadQueue.push(() => { player.src = src; });
      } else if (src != null && s.media === "image") {
        player = el("img");
        player.alt = s.path;
        player.src = src;
      }
      if (player) {
        td.appendChild(player);
        cell.media = player;
      } else {
        cell.state = "none";
        td.appendChild(el("div", "noplayer", src == null && (s.media === "audio" || s.media === "video" || s.media === "image")
          ? "no player: " + (data.no_player || "the file is not served") : "no player for " + s.media.replace("_", " ")));
      }
      const name = el(src != null ? "a" : "span", "name", s.path.split("/").pop());
      if (src != null) { name.href = src; name.target = "_blank"; name.rel = "noreferrer"; }
      td.appendChild(name);
      td.appendChild(el("div", "readings", readingsText(s)));
      const loud = loudnessText(s);
      if (loud) td.appendChild(el("div", "loudness", loud));
      const browser = el("div", "browser " + (player ? "pending" : ""), player ? "browser: loading…" : "");
      td.appendChild(browser);
      cell.browser = browser;
      const issues = byPath.get(s.path) || [];
      if (issues.length) {
        const ul = el("ul", "findings");
        for (const issue of issues) ul.appendChild(findingItem(issue, false));
        td.appendChild(ul);
      }
      row.stimpackFindings += issues.length;
      td.dataset.state = cell.state;
      tr.appendChild(td);
      row.cells.push(cell);
      cellsByPath.set(s.path, cell);
      td.addEventListener("click", () => select(r, col));
      if (player) watch(cell, row);
    });
    setFindings(row);
    grid.tBodies[0].appendChild(tr);
    rows.push(row);
  });

  // --- What the browser makes of each file ------------------------------------------------
  function watch(cell, row) {
    const m = cell.media;
    const s = cell.stimulus;
    const finish = (state, text, bad) => {
      if (cell.state === "pending" && m.tagName !== "IMG") loaded();
      cell.state = state;
      cell.bad = bad;
      cell.td.dataset.state = state;
      cell.browser.className = "browser " + (bad ? "bad" : "ok");
      cell.browser.textContent = text;
      setFindings(row);
    };
    if (m.tagName === "IMG") {
      const done = () => {
        cell.width = m.naturalWidth;
        cell.height = m.naturalHeight;
        if (s.width != null && (m.naturalWidth !== s.width || m.naturalHeight !== s.height)) {
          cell.mismatch = true;
          finish("mismatch", "browser: shows " + m.naturalWidth + "×" + m.naturalHeight + ", stimpack read " + s.width + "×" + s.height, true);
        } else {
          finish("playable", "browser: shows it (" + m.naturalWidth + "×" + m.naturalHeight + ")", false);
        }
      };
      if (m.complete && m.naturalWidth) done(); else m.addEventListener("load", done);
      m.addEventListener("error", () => finish("unplayable", "browser: cannot show this file", true));
      return;
    }
    const settle = () => {
      if (cell.state !== "pending") return;
      const d = m.duration;
      cell.duration = Number.isFinite(d) ? d : null;
      const tol = TOLERANCE[s.media] || TOLERANCE.audio;
      if (!Number.isFinite(d)) {
        finish("playable", "browser: plays it; duration unknown to the browser", false);
      } else if (s.duration_s != null && Math.abs(d - s.duration_s) > tol) {
        cell.mismatch = true;
        const ms = Math.round(Math.abs(d - s.duration_s) * 1000);
        finish("mismatch", "browser: plays it, measures " + seconds(d) + ", stimpack read " + seconds(s.duration_s) + " (" + ms + " ms apart)", true);
      } else {
        finish("playable", "browser: plays it (" + seconds(d) + ")", false);
      }
    };
    m.addEventListener("canplay", settle);
    m.addEventListener("loadeddata", settle);
    m.addEventListener("error", () => {
      const codes = { 1: "loading aborted", 2: "network error", 3: "cannot decode it", 4: "cannot play this format or codec" };
      const e = m.error;
      cell.error = e ? (codes[e.code] || "error " + e.code) + (e.message ? " (" + e.message + ")" : "") : "error";
      finish("unplayable", "browser: " + cell.error, true);
    });
    m.addEventListener("play", () => {
      for (const row2 of rows) for (const c of row2.cells) if (c && c.media && c !== cell && c.media.pause && !c.media.paused) c.media.pause();
      select(cell.row, cell.col);
      // Give the keys back to the page (the arrows would otherwise seek or change the volume).
      if (document.activeElement === m) m.blur();
    });
    if (m.error) m.dispatchEvent(new Event("error"));
    else if (m.readyState >= 2) settle();
  }

  // --- The current cell, keyboard switching -------------------------------------------------
  let current = null; // { row, col }
  function select(r, col) {
    if (current) {
      const old = rows[current.row];
      old.tr.classList.remove("current-row");
      const c = old.cells[current.col];
      if (c) c.td.classList.remove("current");
    }
    current = { row: r, col };
    rows[r].tr.classList.add("current-row");
    const c = rows[r].cells[col];
    if (c) c.td.classList.add("current");
  }
  const playable = (c) => c && c.media && c.media.tagName !== "IMG";

  function switchTo(r, col) {
    const row = rows[r];
    const to = row && row.cells[col];
    if (!to) return false;
    const fromCell = current && rows[current.row].cells[current.col];
    if (playable(fromCell) && playable(to) && fromCell !== to) {
      const from = fromCell.media;
      const t = from.currentTime;
      const wasPlaying = !from.paused;
      from.pause();
      to.media.currentTime = t;
      select(r, col);
      if (wasPlaying) to.media.play().catch(() => {});
    } else {
      select(r, col);
    }
    return true;
  }
  function visibleRows() {
    const only = document.body.classList.contains("only-findings");
    return rows.map((row, i) => i).filter((i) => !only || rows[i].tr.dataset.findings !== "0");
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target && e.target.closest && e.target.closest("input, textarea, select")) return;
    // A focused player plays and pauses itself on space; toggling it here too would undo that.
    if (e.key === " " && e.target && (e.target.tagName === "AUDIO" || e.target.tagName === "VIDEO")) return;
    const vis = visibleRows();
    if (!vis.length) return;
    if (!current || !vis.includes(current.row)) select(vis[0], current ? current.col : 0);
    if (/^[0-9]$/.test(e.key)) {
      const col = e.key === "0" ? 9 : Number(e.key) - 1;
      switchTo(current.row, col);
      e.preventDefault();
    } else if (e.key === " ") {
      const c = rows[current.row].cells[current.col];
      if (playable(c)) {
        if (c.media.paused) c.media.play().catch(() => {}); else c.media.pause();
      }
      e.preventDefault();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      const at = vis.indexOf(current.row);
      const next = vis[Math.max(0, Math.min(vis.length - 1, at + (e.key === "ArrowDown" ? 1 : -1)))];
      const c = rows[current.row].cells[current.col];
      if (next !== current.row && playable(c)) c.media.pause();
      select(next, current.col);
      rows[next].tr.scrollIntoView({ block: "nearest" });
      e.preventDefault();
    }
  });
  document.getElementById("only-findings").addEventListener("change", (e) => {
    document.body.classList.toggle("only-findings", e.target.checked);
  });
  if (rows.length) select(0, 0);
  loadNext();

  // For tests and scripts: what the browser found, per file.
  window.stimpackPreview = {
    columns,
    sources: rows.map((r) => r.tr.dataset.source),
    current: () => current && { row: current.row, col: current.col, path: rows[current.row].cells[current.col] ? rows[current.row].cells[current.col].stimulus.path : null },
    results: () => [...cellsByPath.values()].map((c) => ({
      path: c.stimulus.path,
      media: c.stimulus.media,
      state: c.state,
      duration: c.duration === undefined ? null : c.duration,
      stimpack_duration: c.stimulus.duration_s,
      error: c.error || null,
      ready_state: c.media && c.media.readyState !== undefined ? c.media.readyState : null,
      network_state: c.media && c.media.networkState !== undefined ? c.media.networkState : null,
    })),
  };
})();
