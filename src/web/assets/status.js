// promha status page: refreshes the server-rendered sections from /api/v1/status every few
// seconds without reloading the page. The markup mirrors src/web/status_page.cpp, which renders
// the first view (and the whole page when JavaScript is off).
'use strict';

(function () {
  const root = document.getElementById('status');
  if (!root) return;
  const intervalMs = (Number(root.dataset.refreshSeconds) || 5) * 1000;

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'
  })[c]);
  const str = (v) => (v === undefined || v === null) ? '' : (typeof v === 'string' ? v : JSON.stringify(v));
  const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v)) ? v : {};
  const arr = (v) => Array.isArray(v) ? v : [];
  const isNum = (v) => typeof v === 'number' && isFinite(v);
  const fixed = (v, d) => v.toFixed(d);
  const count = (v) => isNum(v) ? fixed(v, 0) : '–';

  function fmtRate(v) {
    if (!isNum(v)) return '–';
    return fixed(v, v < 10 ? 2 : v < 100 ? 1 : 0) + '/s';
  }
  function fmtSeconds(v) {
    if (!isNum(v)) return '–';
    if (v < 1) return fixed(v * 1000, v < 0.01 ? 2 : v < 0.1 ? 1 : 0) + ' ms';
    return fixed(v, 2) + ' s';
  }
  function fmtAgo(s) {
    s = Math.max(0, Math.trunc(s));
    if (s < 90) return s + ' s ago';
    if (s < 90 * 60) return Math.trunc((s + 30) / 60) + ' min ago';
    if (s < 48 * 3600) return Math.trunc((s + 1800) / 3600) + ' h ago';
    return Math.trunc((s + 43200) / 86400) + ' d ago';
  }
  function timeHtml(v, nowMs, none) {
    const s = str(v);
    if (!s) return '<span class="sub">' + (none === undefined ? 'never' : none) + '</span>';
    const ms = Date.parse(s);
    if (isNaN(ms)) return '<time datetime="' + esc(s) + '">' + esc(s) + '</time>';
    const iso = new Date(ms).toISOString();
    const shown = iso.slice(0, 10) + ' ' + iso.slice(11, 19) + ' UTC';
    const ago = nowMs ? ' <span class="ago">(' + fmtAgo((nowMs - ms) / 1000) + ')</span>' : '';
    return '<time datetime="' + esc(s) + '">' + esc(shown) + '</time>' + ago;
  }
  const badge = (state, cls) =>
    '<span class="state state-' + esc(cls) + '">' + esc(state) + '</span>';
  const headRow = (cols) =>
    '<thead><tr>' + cols.map((c) => '<th scope="col">' + c + '</th>').join('') + '</tr></thead>';
  const cell = (label, html) => '<td data-label="' + label + '">' + html + '</td>';

  function sparkline(t, values, windowSeconds, label, bad) {
    const W = 120, H = 28;
    t = arr(t); values = arr(values);
    if (t.length !== values.length || t.length === 0 || !isNum(t[t.length - 1]) || !isNum(t[0]) || !(windowSeconds > 0)) return '';
    const lastT = t[t.length - 1];
    // As status_page.cpp: a young history spans the width from its first sample (at least a minute).
    windowSeconds = Math.min(windowSeconds, Math.max(60, lastT - t[0]));
    let max = 0, last = 0, points = 0;
    for (const v of values) {
      if (isNum(v)) { max = Math.max(max, v); last = v; points++; }
    }
    if (points < 2) return '';
    const scale = max > 0 ? max : 1;
    const pts = [];
    for (let i = 0; i < values.length; i++) {
      if (!isNum(values[i]) || !isNum(t[i])) continue;
      const x = Math.max(0, W - (lastT - t[i]) / windowSeconds * W);
      const y = H - 2 - values[i] / scale * (H - 4);
      pts.push(fixed(x, 1) + ',' + fixed(y, 1));
    }
    const aria = label + ', last ' + fixed(Math.ceil(windowSeconds / 60), 0) + ' min: now ' +
      fixed(last, last < 10 ? 2 : 0) + ', max ' + fixed(max, max < 10 ? 2 : 0);
    return '<svg class="spark' + (bad ? ' bad' : '') + '" viewBox="0 0 120 28" width="120" height="28" role="img" aria-label="' +
      esc(aria) + '"><line class="base" x1="0" y1="26" x2="120" y2="26" stroke-width="1"/><polyline points="' +
      pts.join(' ') + '" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round"/></svg>';
  }

  function summary(j, nowMs) {
    const ams = arr(j.alertmanagers);
    const n = (s) => ams.filter((a) => a.state === s).length;
    return 'promha <strong>' + esc(str(j.version)) + '</strong>, started ' +
      timeHtml(j.startTime, nowMs, '–') + '. <strong>' + ams.length + '</strong> Alertmanager' +
      (ams.length === 1 ? '' : 's') + ': ' + n('up') + ' up, ' + n('retrying') + ' retrying, ' +
      n('down') + ' down.';
  }

  function alertmanagers(j, nowMs) {
    const ams = arr(j.alertmanagers);
    const hist = obj(j.history);
    const windowSeconds = isNum(hist.samples) && isNum(hist.intervalSeconds) ? hist.samples * hist.intervalSeconds : 900;
    const historyOf = (url) => arr(hist.alertmanagers).find((h) => h && h.url === url) || {};
    let h;
    if (ams.length === 0) {
      h = '<p>No Alertmanager discovered yet.</p>';
    } else {
      h = '<table class="cards" id="alertmanager-table"><caption class="visually-hidden">Delivery to each Alertmanager</caption>' +
        headRow(['Alertmanager', 'State', 'Queue', 'Send rate', 'p99 latency', 'Sent / errors / dropped', 'Last success', 'Last error']) +
        '<tbody>';
      for (const a0 of ams) {
        const a = obj(a0);
        const url = str(a.url), state = str(a.state), reason = str(a.stateReason);
        const hs = historyOf(url);
        h += '<tr data-url="' + esc(url) + '" data-state="' + esc(state) + '">';
        h += '<th scope="row"><span class="url">' + esc(url) + '</span><span class="sub">block ' +
          count(a.block) + ' · API ' + esc(str(a.apiVersion)) + '</span></th>';
        h += cell('State', badge(state || 'unknown', state) + (reason ? '<span class="sub">' + esc(reason) + '</span>' : ''));
        let q = '<span class="num">' + count(a.queueLength) + ' / ' + count(a.queueCapacity) + '</span>';
        if (isNum(a.queueLength) && isNum(a.queueCapacity) && a.queueCapacity > 0) {
          q += ' <meter min="0" max="' + fixed(a.queueCapacity, 0) + '" high="' + fixed(a.queueCapacity * 0.8, 0) +
            '" value="' + fixed(a.queueLength, 0) + '" aria-label="queue fill"></meter>';
        }
        q += sparkline(hs.t, hs.queueLength, windowSeconds, 'Queue length');
        h += cell('Queue', q);
        h += cell('Send rate', '<span class="num">' + fmtRate(a.sendRate) + '</span>' +
          sparkline(hs.t, hs.sendRate, windowSeconds, 'Alerts sent per second'));
        h += cell('p99 latency', '<span class="num">' + fmtSeconds(a.latencyP99Seconds) + '</span>');
        h += cell('Sent / errors / dropped', '<span class="num">' + count(a.sent) + ' / ' + count(a.errors) + ' / ' + count(a.dropped) + '</span>');
        h += cell('Last success', timeHtml(a.lastSuccess, nowMs));
        const err = str(a.lastError);
        h += cell('Last error', err ? '<span class="error-text">' + esc(err) + '</span><span class="sub">' +
          timeHtml(a.lastErrorTime, nowMs, '') + '</span>' : '<span class="sub">none</span>');
        h += '</tr>';
      }
      h += '</tbody></table>';
    }
    let errors = '';
    arr(j.discoveryErrors).forEach((e, i) => {
      if (str(e)) errors += '<li>alertmanagers[' + i + ']: ' + esc(str(e)) + '</li>';
    });
    if (errors) h += '<p>Discovery errors:</p><ul class="error-text">' + errors + '</ul>';
    return h;
  }

  function watch(j, nowMs) {
    const w = obj(j.watch);
    let h = '<h3>Peers</h3>';
    const peers = arr(w.peers);
    if (peers.length === 0) {
      h += '<p>No peer configured (<code>watch.peers</code>).</p>';
    } else {
      h += '<table class="cards" id="peer-table"><caption class="visually-hidden">Peer Prometheus replicas</caption>' +
        headRow(['Peer', 'State', 'Since', 'Last success', 'Last error']) + '<tbody>';
      for (const p0 of peers) {
        const p = obj(p0);
        const probed = p.probed === true, up = p.up === true;
        const state = !probed ? 'unknown' : up ? 'up' : 'down';
        let st = badge(state, !probed ? 'warn' : up ? 'up' : 'down');
        if (probed && up) st += ' <span class="sub">' + (p.ready === true ? 'ready' : 'not ready') + '</span>';
        h += '<tr data-peer="' + esc(str(p.name)) + '" data-state="' + state + '">';
        h += '<th scope="row">' + esc(str(p.name)) + (p.local === true ? ' <span class="sub">(local)</span>' : '') +
          '<span class="sub url">' + esc(str(p.url)) + '</span></th>';
        h += cell('State', st);
        h += cell('Since', timeHtml(p.lastChange, nowMs, '–'));
        h += cell('Last success', timeHtml(p.lastSuccess, nowMs));
        const err = str(p.lastError);
        h += cell('Last error', err ? '<span class="error-text">' + esc(err) + '</span>' : '<span class="sub">none</span>');
        h += '</tr>';
      }
      h += '</tbody></table>';
    }

    h += '<h3>Alertmanager cluster</h3>';
    const c = obj(w.alertmanagerCluster);
    if (c.enabled !== true) {
      h += '<p>' + badge('check off', 'warn') + ' (<code>watch.alertmanager_cluster.enabled</code>).</p>';
    } else {
      h += '<p id="cluster-verdict">' + (c.consistent === true
        ? badge('consistent', 'ok') + ' every Alertmanager sees the same peers.'
        : badge('inconsistent', 'bad') + ' see the findings below.') + '</p>';
      const findings = arr(c.findings);
      if (findings.length) {
        h += '<ul class="findings">';
        for (const f0 of findings) {
          const f = obj(f0);
          const who = arr(f.alertmanagers).map(str).join(', ');
          h += '<li><strong>' + esc(str(f.reason)) + '</strong>: ' + esc(str(f.detail)) +
            (who ? ' <span class="sub">(' + esc(who) + ')</span>' : '') + '</li>';
        }
        h += '</ul>';
      }
      const ams = arr(c.alertmanagers);
      if (ams.length) {
        h += '<table class="cards" id="cluster-table"><caption class="visually-hidden">Cluster view of each Alertmanager</caption>' +
          headRow(['Alertmanager', 'Cluster status', 'Peers', 'Last probe', 'Last error']) + '<tbody>';
        for (const a0 of ams) {
          const a = obj(a0);
          const s = str(a.status);
          const cls = s === 'ready' ? 'up' : s === 'unreachable' ? 'down' : 'warn';
          const err = str(a.lastError);
          h += '<tr><th scope="row" class="url">' + esc(str(a.url)) + '</th>' +
            cell('Cluster status', badge(s || 'unknown', cls)) +
            cell('Peers', '<span class="num">' + count(a.peers) + '</span>') +
            cell('Last probe', timeHtml(a.lastProbe, nowMs)) +
            cell('Last error', err ? '<span class="error-text">' + esc(err) + '</span>' : '<span class="sub">none</span>') +
            '</tr>';
        }
        h += '</tbody></table>';
      }
    }

    h += '<h3>Pair consistency</h3>';
    const pair = obj(w.pair);
    if (pair.known !== true) {
      h += '<p>Not compared: no peer with a <code>promha_url</code>, or not fetched yet.</p>';
    } else {
      h += '<p>Alerts firing only here: <strong>' + count(pair.onlyHere) + '</strong>; only on the peer: <strong>' +
        count(pair.onlyPeer) + '</strong>.</p>';
      for (const key of ['onlyHereExamples', 'onlyPeerExamples']) {
        const ex = arr(pair[key]);
        if (!ex.length) continue;
        h += '<p class="sub">' + (key === 'onlyHereExamples' ? 'Only here' : 'Only on the peer') + ':</p><ul class="plain">' +
          ex.map((e) => '<li><code>' + esc(str(e)) + '</code></li>').join('') + '</ul>';
      }
    }
    if (w.deadman && typeof w.deadman === 'object') {
      h += '<h3>Deadman</h3><p><code>' + esc(str(w.deadman.alertname)) + '</code> last seen ' +
        timeHtml(w.deadman.lastSeen, nowMs) + '.</p>';
    }

    h += "<h3>promha's own alerts</h3>";
    const own = arr(w.selfAlerts);
    if (!own.length) {
      h += '<p id="self-alerts">None firing.</p>';
    } else {
      h += '<ul class="plain" id="self-alerts">' + own.map((a0) => {
        const a = obj(a0);
        const firing = a.firing === true;
        return '<li>' + badge(firing ? 'firing' : 'resolved', firing ? 'bad' : 'ok') + ' <code>' +
          esc(str(a.labels)) + '</code> <span class="sub">since ' + timeHtml(a.since, nowMs, '–') + '</span></li>';
      }).join('') + '</ul>';
    }
    return h;
  }

  function remoteWrite(j) {
    if (!Object.prototype.hasOwnProperty.call(j, 'remoteWrite')) return '';
    const rw = j.remoteWrite;
    let h = '<section aria-labelledby="h-remote-write"><h2 id="h-remote-write">Remote write and HA role</h2>';
    if (!rw || typeof rw !== 'object' || Array.isArray(rw) || Object.keys(rw).length === 0) {
      return h + '<p>' + esc(str(rw)) + '</p></section>';
    }
    // As status_page.cpp: scalars as a list, lists of objects as tables, the rest as JSON.
    let scalars = '', nested = '';
    for (const k of Object.keys(rw)) {
      const v = rw[k];
      if (!v || typeof v !== 'object') {
        scalars += '<dt>' + esc(k) + '</dt><dd>' + esc(str(v)) + '</dd>';
        continue;
      }
      nested += '<h3>' + esc(k) + '</h3>';
      const table = Array.isArray(v) && v.every((e) => e && typeof e === 'object' && !Array.isArray(e));
      if (!table) {
        nested += '<pre>' + esc(JSON.stringify(v, null, 2)) + '</pre>';
      } else if (!v.length) {
        nested += '<p>None.</p>';
      } else {
        const cols = [];
        for (const e of v) for (const c of Object.keys(e)) if (!cols.includes(c)) cols.push(c);
        nested += '<table class="cards"><caption class="visually-hidden">' + esc(k) + '</caption><thead><tr>' +
          cols.map((c) => '<th scope="col">' + esc(c) + '</th>').join('') + '</tr></thead><tbody>' +
          v.map((e) => '<tr>' + cols.map((c) => '<td data-label="' + esc(c) + '">' + esc(str(e[c])) + '</td>').join('') + '</tr>').join('') +
          '</tbody></table>';
      }
    }
    if (scalars) h += '<dl class="kv">' + scalars + '</dl>';
    return h + nested + ha(j) + '</section>';
  }

  // As status_page.cpp renderHa(): who forwards remote write.
  function ha(j) {
    if (!Object.prototype.hasOwnProperty.call(j, 'ha')) return '';
    const s = obj(j.ha);
    let h = '<h3 id="h-ha">HA role</h3>';
    if (s.enabled !== true) {
      return h + '<p id="ha-summary" data-role="leader">Remote-write HA is off ' +
        '(<code>ha.replicas</code>): this promha forwards everything.</p>';
    }
    const role = str(s.role);
    h += '<p id="ha-summary" data-role="' + esc(role) + '">Replica <strong>' + esc(str(s.replica)) +
      '</strong> is ' + badge(role, role === 'leader' ? 'ok' : 'warn') + '; the leader is <strong>' +
      esc(str(s.leader)) + '</strong>';
    if (s.failOpen === true) h += ' ' + badge('fail open: a peer is unreachable', 'bad');
    return h + '.</p>';
  }

  function config(j, nowMs) {
    const c = obj(j.config);
    let h = '<p>File <code>' + esc(str(c.file)) + '</code>: last reload ';
    if (c.lastReloadSuccessful === true) {
      h += badge('successful', 'ok') + ' at ' + timeHtml(c.lastReloadSuccessTime, nowMs) + '.</p>';
    } else {
      h += badge('failed', 'bad') + '; promha keeps running the previous configuration.</p>' +
        '<pre class="error-text">' + esc(str(c.lastReloadError)) + '</pre>';
    }
    return h + '<p><a href="/config">Show the loaded configuration</a> (secrets hidden) · <a href="/relabel">Debug its relabel rules</a></p>';
  }

  // Replaces a section only when its markup changed, so that focus and selection survive.
  const rendered = new Map();
  function put(id, html) {
    const el = document.getElementById(id);
    if (el && rendered.get(id) !== html) {
      el.innerHTML = html;
      rendered.set(id, html);
    }
  }

  const updated = document.getElementById('updated');
  const announce = document.getElementById('announce');
  const pause = document.getElementById('pause');
  let states = new Map();
  document.querySelectorAll('#alertmanager-table tbody tr').forEach((tr) => states.set(tr.dataset.url, tr.dataset.state));
  let updates = 0, paused = false, timer = null;

  function render(j) {
    const nowMs = Date.parse(str(j.now)) || Date.now();
    put('summary', summary(j, nowMs));
    put('alertmanagers', alertmanagers(j, nowMs));
    put('watch', watch(j, nowMs));
    put('remote-write', remoteWrite(j));
    put('config', config(j, nowMs));
    // Tell screen-reader users what changed, not the whole table every few seconds.
    const changes = [];
    const next = new Map();
    for (const a of arr(j.alertmanagers)) {
      next.set(a.url, a.state);
      if (states.has(a.url) && states.get(a.url) !== a.state) changes.push(a.url + ' is ' + a.state);
    }
    states = next;
    if (changes.length) announce.textContent = 'Alertmanager ' + changes.join('; ');
  }

  async function refresh() {
    timer = null;
    try {
      const r = await fetch('/api/v1/status', { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      const j = await r.json();
      render(obj(j));
      updates++;
      root.dataset.updates = String(updates);
      updated.parentElement.classList.remove('stale');
      updated.textContent = 'Updated ' + new Date().toLocaleTimeString() + ', every ' + intervalMs / 1000 + ' s.';
    } catch (e) {
      updated.parentElement.classList.add('stale');
      updated.textContent = 'Update failed (' + e.message + '); showing the last known state, retrying.';
    }
    schedule();
  }

  function schedule() {
    if (!paused && timer === null) timer = setTimeout(refresh, intervalMs);
  }

  pause.hidden = false;
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume updates' : 'Pause updates';
    pause.setAttribute('aria-pressed', String(paused));
    if (paused && timer !== null) { clearTimeout(timer); timer = null; }
    if (!paused) refresh();
  });
  pause.setAttribute('aria-pressed', 'false');
  updated.textContent = 'Live: updates every ' + intervalMs / 1000 + ' s.';
  schedule();
})();
