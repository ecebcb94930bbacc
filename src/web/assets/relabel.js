// promha relabel debugger: sends the rules and the input to POST /api/v1/relabel (promha's relabel
// engine, the same result and trace as `promha relabel --trace`) as you type, and shows the result,
// every step with what changed, the replica A vs B comparison, and rule errors at their line and
// column.
'use strict';

(function () {
  const form = document.getElementById('relabel-form');
  if (!form) return;
  const prefill = JSON.parse(document.getElementById('relabel-prefill').textContent || '{}');
  const pipelines = Array.isArray(prefill.pipelines) ? prefill.pipelines : [];
  const $ = (id) => document.getElementById(id);
  const select = $('pipeline');
  const lists = $('rule-lists');
  const external = $('external');
  const input = $('input');
  const replicas = $('replicas');
  const replicaLabel = $('replica-label');
  const statusLine = $('relabel-status');
  const output = $('output');
  const results = $('results');
  const cliText = $('cli-text');

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'
  })[c]);

  // As src/web/pages.cpp's ruleListHtml.
  function ruleListHtml(list, i) {
    const id = 'rules-' + i;
    const lines = (list.yaml.match(/\n/g) || []).length;
    const rows = Math.min(Math.max(lines + 1, 8), 24);
    return '<div class="field rule-list" data-name="' + esc(list.name) + '"><label for="' + id + '"><code>' +
      esc(list.name) + '</code></label><textarea id="' + id + '" name="' + id + '" rows="' + rows +
      '" spellcheck="false" autocomplete="off" aria-describedby="' + id + '-error">' + esc(list.yaml) +
      '</textarea><div class="error" id="' + id + '-error"></div></div>';
  }

  // A label as Labels::toString() prints it: names that are not legacy names are quoted.
  const labelText = (name, value) =>
    (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name) ? name : JSON.stringify(name)) + '=' + JSON.stringify(value);

  // A label set as chips; `mark` maps a name to 'added' or 'removed'.
  function labelsHtml(labels, mark, id) {
    const names = Object.keys(labels || {});
    if (!names.length) return '<ul class="labels"' + (id ? ' id="' + id + '"' : '') + '><li class="none">no labels</li></ul>';
    return '<ul class="labels"' + (id ? ' id="' + id + '"' : '') + '>' + names.map((n) => {
      const text = esc(labelText(n, labels[n]));
      const how = mark && mark[n];
      if (how === 'added') return '<li class="added"><ins><span class="visually-hidden">added: </span>' + text + '</ins></li>';
      if (how === 'removed') return '<li class="removed"><del><span class="visually-hidden">removed: </span>' + text + '</del></li>';
      return '<li>' + text + '</li>';
    }).join('') + '</ul>';
  }

  function stepHtml(s) {
    const removed = {}, added = {};
    for (const d of s.diff || []) (d.op === '-' ? removed : added)[d.name] = d.op === '-' ? 'removed' : 'added';
    let h = '<li class="step" data-step="' + esc(s.step) + '"><span class="step-rule"><code>' + esc(s.step) + '</code>';
    if (s.line) h += ' <span class="inline-sub">line ' + s.line + '</span>';
    if (s.description) h += ' <code>' + esc(s.description) + '</code>';
    h += '</span><div class="step-grid"><span>before</span>' + labelsHtml(s.before, removed) + '<span>after</span>';
    h += s.dropped ? '<p class="error-text"><strong>dropped</strong>: the alert goes nowhere.</p>' : labelsHtml(s.after, added);
    return h + '</div></li>';
  }

  function verdictHtml(r, rules) {
    if (r.dropped) {
      const rule = rules[r.rule] || {};
      return '<p class="verdict" data-verdict="dropped"><span class="state state-bad">dropped</span> by <code>' +
        esc(rule.path || 'rule ' + r.rule) + '</code>' + (rule.line ? ' (line ' + rule.line + ')' : '') + '</p>';
    }
    return '<p class="verdict" data-verdict="kept"><span class="state state-ok">kept</span> and sent as:</p>' +
      labelsHtml(r.labels, null, 'result-labels');
  }

  function resultHtml(r, i, n, rules) {
    let h = '<article class="result-box" data-result="' + i + '">';
    if (n > 1) h += '<h3>Alert ' + (i + 1) + '</h3>';
    h += '<p class="sub">Input:</p>' + labelsHtml(r.input) + verdictHtml(r, rules);
    const steps = r.steps || [];
    h += '<h3>Steps</h3>';
    h += steps.length ? '<ol class="steps">' + steps.map(stepHtml).join('') + '</ol>'
      : '<p>No rule changed this alert.</p>';
    if (r.replicas) h += replicasHtml(r.replicas, rules);
    return h + '</article>';
  }

  function replicasHtml(c, rules) {
    const side = (name, r, other) => {
      let h = '<div><h4><code>' + esc(labelText(c.label, name)) + '</code></h4>';
      if (r.dropped) return h + verdictHtml(r, rules) + '</div>';
      const mark = {};
      for (const k of Object.keys(r.labels || {})) {
        if (!other.labels || other.labels[k] !== r.labels[k]) mark[k] = 'added';
      }
      return h + labelsHtml(r.labels, mark) + '</div>';
    };
    const a = c.a || {}, b = c.b || {};
    let h = '<section class="ha" data-collapse="' + (c.collapse ? 'true' : 'false') + '"><h3>Replica A vs B</h3>';
    h += c.collapse
      ? '<p class="verdict"><span class="state state-ok">collapse</span> Both replicas\' alerts come out identical: Alertmanager deduplicates them.</p>'
      : '<p class="verdict"><span class="state state-bad">do not collapse</span> Alertmanager sees two alerts and notifies twice.</p><pre class="explanation">' +
        esc(c.explanation || '') + '</pre>';
    return h + '<div class="pair">' + side(a.input ? a.input[c.label] : 'A', a, b) + side(b.input ? b.input[c.label] : 'B', b, a) + '</div></section>';
  }

  // The offending line with a caret under the column.
  function excerpt(text, line, col) {
    const l = (text.split('\n')[line - 1] || '').replace(/\t/g, ' ');
    const gutter = String(line) + ' | ';
    return '<pre aria-hidden="true">' + esc(gutter + l) + '\n' + ' '.repeat(gutter.length + Math.max(0, col - 1)) +
      '<span class="caret">^</span></pre>';
  }

  function offsetOf(text, line, col) {
    let off = 0;
    const rows = text.split('\n');
    for (let i = 0; i < line - 1 && i < rows.length; i++) off += rows[i].length + 1;
    return Math.min(text.length, off + Math.max(0, col - 1));
  }

  function showError(target, box, e) {
    const where = e.line > 0 ? 'Line ' + e.line + (e.column > 0 ? ', column ' + e.column : '') : '';
    let h = '<p data-line="' + (e.line || 0) + '" data-column="' + (e.column || 0) + '">' +
      (where ? '<strong>' + where + ':</strong> ' : '') + esc(e.message) + '</p>';
    if (target && e.line > 0) {
      h += excerpt(target.value, e.line, e.column || 1) +
        '<button type="button" class="goto" data-line="' + e.line + '" data-column="' + (e.column || 1) + '">Go to line ' + e.line + '</button>';
    }
    box.insertAdjacentHTML('beforeend', h);
    if (target) target.setAttribute('aria-invalid', 'true');
  }

  function clearErrors() {
    form.querySelectorAll('.error').forEach((el) => { el.innerHTML = ''; });
    form.querySelectorAll('[aria-invalid]').forEach((el) => el.removeAttribute('aria-invalid'));
  }

  function request() {
    const kind = (form.querySelector('input[name="input-kind"]:checked') || {}).value || 'labels';
    const body = {
      rules: Array.from(lists.querySelectorAll('.rule-list')).map((d) => ({
        name: d.dataset.name, yaml: d.querySelector('textarea').value
      })),
      externalLabels: external.value,
    };
    body[kind === 'alerts' ? 'alerts' : 'labels'] = input.value;
    if (replicas.checked) body.replicas = { label: replicaLabel.value.trim() || 'replica' };
    return body;
  }

  let seq = 0, inflight = null;
  async function run() {
    const mine = ++seq;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    let r, j;
    try {
      r = await fetch('/api/v1/relabel', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request()), signal: inflight.signal,
      });
      j = await r.json();
    } catch (e) {
      if (mine !== seq) return;
      statusLine.textContent = 'Could not reach promha: ' + e.message;
      return;
    }
    if (mine !== seq) return;  // a newer request is on its way
    clearErrors();
    form.dataset.runs = String(Number(form.dataset.runs || 0) + 1);
    if (!r.ok) {
      const errors = Array.isArray(j.errors) ? j.errors : [{ field: 'body', message: j.error || 'HTTP ' + r.status }];
      let ruleErrors = 0;
      for (const e of errors) {
        if (e.field === 'rules' && e.list >= 0) {
          ruleErrors++;
          showError($('rules-' + e.list), $('rules-' + e.list + '-error'), e);
        } else if (e.field === 'labels' || e.field === 'alerts') {
          showError(input, $('input-error'), e);
        } else if (e.field === 'externalLabels') {
          showError(external, $('external-error'), e);
        }
      }
      output.hidden = true;
      statusLine.textContent = ruleErrors
        ? ruleErrors + (ruleErrors === 1 ? ' error' : ' errors') + ' in the rules: ' + (j.error || '')
        : 'Error: ' + (j.error || 'HTTP ' + r.status);
      statusLine.dataset.state = 'error';
      return;
    }
    const rules = j.rules || [];
    const res = j.results || [];
    statusLine.dataset.state = 'ok';
    if (!res.length) {
      output.hidden = true;
      statusLine.textContent = 'The rules are valid (' + rules.length + '). Enter a label set to run them.';
      return;
    }
    results.innerHTML = res.map((x, i) => resultHtml(x, i, res.length, rules)).join('');
    cliText.textContent = res.map((x) => x.text).join('\n');
    output.hidden = false;
    const first = res[0];
    const changed = (first.steps || []).length;
    statusLine.textContent = (first.dropped ? 'Dropped' : 'Kept with ' + Object.keys(first.labels || {}).length + ' labels') +
      '; ' + changed + (changed === 1 ? ' step' : ' steps') + ' changed it' +
      (first.replicas ? '; replicas ' + (first.replicas.collapse ? 'collapse' : 'do not collapse') : '') + '.';
  }

  let debounce = null;
  const soon = () => { clearTimeout(debounce); debounce = setTimeout(run, 300); };

  select.addEventListener('change', () => {
    const p = pipelines.find((x) => x.id === select.value);
    if (!p) return;
    lists.innerHTML = p.lists.map(ruleListHtml).join('');
    external.value = p.externalLabels || '';
    run();
  });
  // Rule lists grow with their text (as ruleListHtml sizes them), up to 24 rows.
  form.addEventListener('input', (e) => {
    if (e.target === select) return;
    if (e.target.closest && e.target.closest('.rule-list')) {
      const lines = (e.target.value.match(/\n/g) || []).length;
      e.target.rows = Math.min(Math.max(lines + 1, 8), 24);
    }
    soon();
  });
  form.addEventListener('change', (e) => { if (e.target.type === 'radio' || e.target.type === 'checkbox') run(); });
  form.addEventListener('submit', (e) => { e.preventDefault(); clearTimeout(debounce); run(); });
  form.addEventListener('click', (e) => {
    const b = e.target.closest('button.goto');
    if (!b) return;
    const box = b.closest('.field');
    const ta = box && box.querySelector('textarea, input[type="text"]');
    if (!ta) return;
    const off = offsetOf(ta.value, Number(b.dataset.line), Number(b.dataset.column));
    ta.focus();
    ta.setSelectionRange(off, Math.min(ta.value.length, off + 1));
  });
  run();
})();
