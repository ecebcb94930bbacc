// Drives promha's web UI in Debian's chromium (headless) with playwright-core, against the promha,
// Alertmanagers and Prometheus that ui_test.py started. Prints "ok - ..." / "not ok - ..." lines;
// exits 1 when any check failed. Waits poll a condition with a deadline, never sleep.
//
// Environment (set by ui_test.py): PROMHA_URL, PROMHA_BIN, CONTROL_URL (POST /kill/NAME kills that
// Alertmanager), ALERTMANAGERS ({"am1": "127.0.0.1:PORT", ...}), UI_ARTIFACTS (screenshots),
// UI_WORKDIR (scratch files, chromium.pid), CHROMIUM.
import { chromium } from 'playwright-core';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const env = process.env;
const base = env.PROMHA_URL;
const bin = env.PROMHA_BIN;
const ams = JSON.parse(env.ALERTMANAGERS);
const amUrl = (name) => `http://${ams[name]}/api/v2/alerts`;
const artifacts = env.UI_ARTIFACTS;
const work = env.UI_WORKDIR;

let failures = 0;
function check(cond, what, detail) {
  if (cond) {
    console.log(`ok - ${what}`);
  } else {
    failures++;
    console.log(`not ok - ${what}${detail ? '\n    ' + String(detail).replace(/\n/g, '\n    ') : ''}`);
  }
}
async function step(name, fn) {
  try {
    await fn();
  } catch (e) {
    failures++;
    console.log(`not ok - ${name}: ${e && e.stack ? e.stack : e}`);
  }
}
const lineDiff = (want, got) => {
  const a = want.split('\n'), b = got.split('\n');
  const out = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) out.push(`line ${i + 1}:\n  cli:  ${JSON.stringify(a[i])}\n  page: ${JSON.stringify(b[i])}`);
  }
  return out.join('\n');
};

// Basic accessibility of a page: language, one h1, every control labelled, every chart named.
async function checkAccessible(page, name) {
  const r = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    h1: document.querySelectorAll('h1').length,
    unlabeled: Array.from(document.querySelectorAll('input, select, textarea, button'))
      .filter((el) => el.type !== 'hidden' && !el.hidden &&
        !((el.labels && el.labels.length) || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent.trim())))
      .map((el) => el.id || el.name || el.tagName),
    unnamedCharts: Array.from(document.querySelectorAll('svg')).filter((s) => !s.getAttribute('aria-label')).length,
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  }));
  check(r.lang === 'en' && r.h1 === 1, `${name}: lang="en" and one h1`, JSON.stringify(r));
  check(r.unlabeled.length === 0, `${name}: every form control has a label`, r.unlabeled.join(', '));
  check(r.unnamedCharts === 0, `${name}: every sparkline has an accessible name`);
  return r;
}

const server = await chromium.launchServer({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
writeFileSync(path.join(work, 'chromium.pid'), String(server.process().pid));
const browser = await chromium.connect(server.wsEndpoint());
const pageErrors = [];
// Script errors, CSP violations and failed loads; the relabel page's expected 400s (the broken
// regex) are the one exception.
function watchErrors(page, name, allow400 = false) {
  page.on('pageerror', (e) => pageErrors.push(`${name}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (allow400 && /status of 400/.test(m.text()) && /\/api\/v1\/relabel$/.test(m.location().url || '')) return;
    pageErrors.push(`${name}: console: ${m.text()} (${m.location().url || ''})`);
  });
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: 'light' });

  // --- the status page ---------------------------------------------------------------------
  const page = await ctx.newPage();
  watchErrors(page, 'status');
  await step('status page', async () => {
    await page.goto(base + '/');
    const urls = Object.keys(ams).map(amUrl);
    for (const u of urls) {
      check(await page.$(`tr[data-url="${u}"]`) !== null, `status: server-rendered row for ${u}`);
    }
    // Traffic flows to all three; two history samples make the sparklines.
    await page.waitForFunction((urls) => urls.every((u) => {
      const tr = document.querySelector(`tr[data-url="${u}"]`);
      return tr && tr.dataset.state === 'up' && tr.querySelector('td[data-label="Send rate"] svg.spark') &&
        !/^0 \//.test(tr.querySelector('td[data-label="Sent / errors / dropped"]').textContent.trim());
    }), urls, { timeout: 60000, polling: 250 });
    check(true, 'status: every Alertmanager up, delivering, with sparklines');
    await page.waitForFunction(() => document.querySelector('tr[data-peer="B"]')?.dataset.state === 'up',
      null, { timeout: 30000, polling: 250 });
    check(true, 'status: the watched peer B is shown up');
    const p99 = await page.$$eval('td[data-label="p99 latency"]', (tds) => tds.map((td) => td.textContent.trim()));
    check(p99.some((t) => / ms$| s$/.test(t)), 'status: p99 latency from the histogram', p99.join(' | '));
    check((await page.textContent('#config')).includes('successful'), 'status: last reload successful');
    const hasRemoteWrite = 'remoteWrite' in await (await fetch(base + '/api/v1/status')).json();
    check((await page.$('#remote-write section') !== null) === hasRemoteWrite,
      `status: the remote-write section is there exactly when /api/v1/status has "remoteWrite" (${hasRemoteWrite})`);

    // Kill am2: the page must show it down without a reload.
    await page.evaluate(() => { window.promhaNoReload = 'still here'; });
    const updatesBefore = Number(await page.$eval('#status', (e) => e.dataset.updates || '0'));
    const killed = await fetch(env.CONTROL_URL + '/kill/am2', { method: 'POST' });
    check(killed.ok, 'control: am2 killed');
    const am2 = amUrl('am2');
    await page.waitForFunction((u) => document.querySelector(`tr[data-url="${u}"]`)?.dataset.state === 'down',
      am2, { timeout: 60000, polling: 250 });
    check(true, 'status: am2 turns "down" after it is killed');
    check(await page.evaluate(() => window.promhaNoReload) === 'still here', 'status: updated without reloading the page');
    const updatesAfter = Number(await page.$eval('#status', (e) => e.dataset.updates || '0'));
    check(updatesAfter > updatesBefore, `status: refreshed from /api/v1/status (${updatesBefore} -> ${updatesAfter})`);
    for (const n of ['am1', 'am3']) {
      check(await page.$eval(`tr[data-url="${amUrl(n)}"]`, (tr) => tr.dataset.state) === 'up', `status: ${n} still up`);
    }
    const am2Row = await page.$eval(`tr[data-url="${am2}"]`, (tr) => ({
      state: tr.querySelector('td[data-label="State"]').textContent,
      error: tr.querySelector('td[data-label="Last error"]').textContent,
    }));
    check(am2Row.state.startsWith('down') && !/^none/.test(am2Row.error.trim()),
      'status: am2 shows why (state reason, last error with its time)', JSON.stringify(am2Row));
    check(/1 down/.test(await page.textContent('#summary')), 'status: summary counts 1 down');
    await page.waitForFunction((hp) => Array.from(document.querySelectorAll('#cluster-table tr'))
      .some((tr) => tr.textContent.includes(hp) && tr.textContent.includes('unreachable')),
    ams.am2, { timeout: 30000, polling: 250 });
    check(true, 'status: the Alertmanager cluster section shows am2 unreachable');
    const status = await (await fetch(base + '/api/v1/status')).json();
    const hist = status.history || {};
    check(Array.isArray(hist.alertmanagers) && hist.alertmanagers.length === 3 &&
      hist.alertmanagers.every((a) => a.t.length >= 2 && a.t.length <= hist.samples),
    '/api/v1/status: bounded history for each Alertmanager', JSON.stringify(hist).slice(0, 300));
    await checkAccessible(page, 'status');
    await page.screenshot({ path: path.join(artifacts, 'status.png'), fullPage: true });
  });

  await step('status page on a narrow screen', async () => {
    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, colorScheme: 'light' });
    const p = await narrow.newPage();
    watchErrors(p, 'status-narrow');
    await p.goto(base + '/');
    const r = await checkAccessible(p, 'status (390 px)');
    check(r.overflow <= 1, 'status (390 px): no horizontal scrolling', `overflow ${r.overflow}px`);
    await p.screenshot({ path: path.join(artifacts, 'status-narrow.png'), fullPage: true });
    await narrow.close();
  });

  await step('status page without JavaScript', async () => {
    const nojs = await browser.newContext({ javaScriptEnabled: false });
    const p = await nojs.newPage();
    await p.goto(base + '/');
    const rows = await p.$$eval('#alertmanager-table tbody tr', (trs) => trs.map((tr) => tr.dataset.url));
    check(rows.length === 3, 'no JS: every Alertmanager rendered by the server', rows.join(', '));
    check((await p.content()).includes('http-equiv="refresh"'), 'no JS: the page reloads itself (noscript refresh)');
    check(await p.$eval('#pause', (b) => b.hidden), 'no JS: no live-update controls');
    await nojs.close();
  });

  // --- the relabel debugger ----------------------------------------------------------------
  const rp = await ctx.newPage();
  watchErrors(rp, 'relabel', true);
  const rules = [
    '- action: labeldrop',
    '  regex: replica',
    '- source_labels: [severity]',
    '  regex: "(?i)crit(ical)?"',
    '  target_label: severity',
    '  replacement: critical',
    '- source_labels: [team]',
    '  regex: (.+)',
    '  target_label: owner',
    '  replacement: team-$1',
    '',
  ].join('\n');
  const rulesFile = path.join(work, 'rules.yml');
  writeFileSync(rulesFile, rules);
  const labels = '{alertname="HighErrorRate", replica="A", severity="crit", team="payments"}';
  const runs = () => rp.$eval('#relabel-form', (f) => Number(f.dataset.runs || '0'));

  await step('relabel page', async () => {
    await rp.goto(base + '/relabel');
    check((await rp.inputValue('#rules-0')).includes('labeldrop') &&
      (await rp.inputValue('#rules-1')).includes('severity') &&
      (await rp.inputValue('#external')).includes('cluster="demo"'),
    'relabel: prefilled with the loaded global and alertmanagers[0] rules and external labels');
    await rp.selectOption('#pipeline', 'rules');
    await rp.fill('#rules-0', rules);
    await rp.fill('#input', labels);
    await rp.click('#run');
    const cli = execFileSync(bin, ['relabel', '--rules', rulesFile, '--labels', labels, '--trace'], { encoding: 'utf8' });
    await rp.waitForFunction((want) => document.getElementById('cli-text').textContent === want, cli,
      { timeout: 15000, polling: 100 }).catch(() => {});
    const shown = await rp.textContent('#cli-text');
    check(shown === cli, 'relabel: the page shows exactly what `promha relabel --trace` prints', lineDiff(cli, shown));
    const json = JSON.parse(execFileSync(bin, ['relabel', '--rules', rulesFile, '--labels', labels,
      '--output', 'json', '--trace'], { encoding: 'utf8' }));
    const chips = await rp.$$eval('#result-labels li', (lis) => lis.map((li) => li.textContent));
    const want = Object.entries(json.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    check(JSON.stringify(chips) === JSON.stringify(want), 'relabel: result labels equal the CLI\'s JSON result',
      `cli ${want.join(' ')}\npage ${chips.join(' ')}`);
    const steps = await rp.$$eval('li.step', (lis) => lis.map((li) => li.dataset.step));
    check(JSON.stringify(steps) === JSON.stringify(json.steps.map((s) => s.step)),
      'relabel: one step per CLI trace step, in order', `cli ${json.steps.map((s) => s.step)}\npage ${steps}`);
    const firstStep = await rp.$eval('li.step', (li) => ({
      removed: Array.from(li.querySelectorAll('li.removed')).map((x) => x.textContent),
      rule: li.querySelector('.step-rule').textContent,
    }));
    check(firstStep.removed.some((t) => t.includes('replica="A"')) && firstStep.rule.includes('line 1'),
      'relabel: each step names its rule and line and highlights what changed', JSON.stringify(firstStep));

    // Replica A vs B: with labeldrop replica they collapse; without it they do not.
    await rp.check('#replicas');
    await rp.waitForSelector('section.ha[data-collapse="true"]', { timeout: 15000 });
    check(true, 'relabel: replicas A and B collapse with labeldrop replica');
    const noDrop = rules.split('\n').slice(2).join('\n');
    await rp.fill('#rules-0', noDrop);
    await rp.waitForSelector('section.ha[data-collapse="false"]', { timeout: 15000 });
    const why = await rp.textContent('section.ha .explanation');
    check(why.includes('labeldrop') && why.includes('replica'), 'relabel: without it they do not, with the fix', why);
    await rp.fill('#rules-0', rules);
    await rp.waitForSelector('section.ha[data-collapse="true"]', { timeout: 15000 });
    await checkAccessible(rp, 'relabel');
    await rp.click('#cli summary');  // show the CLI's text next to the steps
    await rp.locator('#rules-0').blur();
    await rp.screenshot({ path: path.join(artifacts, 'relabel.png'), fullPage: true });
  });

  await step('relabel page: a broken regex', async () => {
    const bad = [
      '- action: labeldrop',
      '  regex: replica',
      '- source_labels: [severity]',
      '  regex: "(crit"',
      '  action: keep',
      '',
    ].join('\n');
    const badFile = path.join(work, 'bad.yml');
    writeFileSync(badFile, bad);
    const r = spawnSync(bin, ['relabel', '--rules', badFile, '--labels', labels], { encoding: 'utf8' });
    const m = /^.*?:(\d+):(\d+): (.*)$/m.exec(r.stderr);
    check(r.status === 2 && m, 'cli: a broken regex exits 2 with file:line:col', r.stderr);
    const before = await runs();
    await rp.fill('#rules-0', bad);
    await rp.waitForFunction((n) => Number(document.getElementById('relabel-form').dataset.runs) > n &&
      document.querySelector('#rules-0-error p[data-line]'), before, { timeout: 15000, polling: 100 });
    const shown = await rp.$eval('#rules-0-error p[data-line]', (p) => ({
      line: p.dataset.line, column: p.dataset.column, text: p.textContent,
    }));
    check(m && shown.line === m[1] && shown.column === m[2],
      `relabel: the error is at the CLI's position, line ${m && m[1]} column ${m && m[2]}`, JSON.stringify(shown));
    check(m && shown.text.includes(`Line ${m[1]}, column ${m[2]}:`) && shown.text.includes(m[3]),
      'relabel: the error message is the CLI\'s', `${shown.text}\ncli: ${m && m[3]}`);
    check(await rp.getAttribute('#rules-0', 'aria-invalid') === 'true', 'relabel: the rules field is marked invalid');
    check((await rp.textContent('#rules-0-error pre')).includes('^'), 'relabel: the offending line with a caret');
    await rp.click('#rules-0-error button.goto');
    const caret = await rp.evaluate(() => ({ id: document.activeElement.id, at: document.activeElement.selectionStart }));
    const lines = bad.split('\n');
    const offset = lines.slice(0, Number(m[1]) - 1).reduce((n, l) => n + l.length + 1, 0) + Number(m[2]) - 1;
    check(caret.id === 'rules-0' && caret.at === offset, '"Go to line" puts the cursor at the error', JSON.stringify(caret));
    await rp.screenshot({ path: path.join(artifacts, 'relabel-error.png'), fullPage: true });
  });

  // --- the config page ---------------------------------------------------------------------
  await step('config page', async () => {
    const cp = await ctx.newPage();
    watchErrors(cp, 'config');
    await cp.goto(base + '/config');
    const yaml = await cp.textContent('#config-yaml');
    check(yaml.includes('labeldrop') && yaml.includes('password: <secret>') && !yaml.includes('s3cr3t'),
      'config: the loaded config with secrets as <secret>', yaml.slice(0, 400));
    await checkAccessible(cp, 'config');
  });

  check(pageErrors.length === 0, 'no script errors or CSP violations in any page', pageErrors.join('\n'));
  await ctx.close();
} finally {
  await browser.close().catch(() => {});
  await server.close().catch(() => {});
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
