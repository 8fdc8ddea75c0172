// --report FILE.html (issue 13) in a real headless browser: Debian's chromium,
// driven by playwright-core. Two hosts over the local connection, a run under
// --check --diff and then a real one (without --diff: the page shows the diffs
// anyway); each page loads with no console error and no request but its own
// file, shows the recap's counts, its host filter hides the other host's row,
// its status filter hides the ok cells, the <script> in a diff is text, and
// the readiness table is there.
//
// Without /usr/bin/chromium (npm's pretest installs it as root:
// test/install-test-tools.sh) the test fails under CI=true and is skipped with
// the reason elsewhere, as the lab gate does (test/helpers/lab-gate.ts).

import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RecapCounts, RunEvent } from '../../../../engine/report/events.js';
import { CELL_STATUSES, RECAP_KEYS } from '../../../../engine/report/html.js';
import { runCli } from '../../../helpers/cli-capture.js';

const CHROMIUM = '/usr/bin/chromium';
const PWNED = '<script>window.__pwned = 1</script>';

const dir = mkdtempSync(join(tmpdir(), 'tsplay-html-browser-'));
let browser: Browser | undefined;
test.after.always(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The run: its exit code, its recap (from --output json) and the page's URL. */
async function run(name: string, flags: string[]): Promise<{ code: number; recap: Record<string, RecapCounts>; url: string; err: string }> {
  const file = join(dir, `${name}.html`);
  const r = await runCli(['run', 'pb.yml', '-i', 'hosts.ini', '--output', 'json', '--report', file, ...flags], dir);
  const events = r.out.trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
  const recap = events.find((e): e is Extract<RunEvent, { kind: 'recap' }> => e.kind === 'recap');
  if (!recap) throw new Error(`no recap: ${r.out} ${r.err}`);
  return { code: r.code, recap: recap.hosts, url: pathToFileURL(file).href, err: r.err };
}

/** The page opened, with every console error, page error and request recorded (only the file itself is let through). */
async function open(url: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  const context = await browser.newContext();
  const errors: string[] = [];
  const requests: string[] = [];
  // Anything but the file is refused; every request is recorded below, refused or not.
  await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  await page.waitForLoadState('load');
  return { page, errors, requests };
}

const visibleCount = (page: Page, sel: string) => page.locator(sel).evaluateAll((els) => els.filter((e) => (e as HTMLElement).checkVisibility({ visibilityProperty: true })).length);

/** The (host, task) pairs the page's matrix shows as changed. */
const changedPairs = (page: Page) => page.locator('#matrix td.cell.changed').evaluateAll((els) => els.map((e) => {
  const row = e.parentElement!;
  const col = [...row.children].indexOf(e);
  const th = document.querySelectorAll('#matrix thead th')[col];
  return `${row.getAttribute('data-host')} ${th.lastChild?.textContent}`;
}).sort());

async function checkPage(t: import('ava').ExecutionContext, r: Awaited<ReturnType<typeof run>>, check: boolean): Promise<string[]> {
  const { page, errors, requests } = await open(r.url);
  t.deepEqual(errors, [], 'no console error');
  t.deepEqual(requests, [r.url], 'no request but the page itself');
  t.is(await page.locator('#mode').textContent(), check ? 'check (--check: predicted changes, nothing written)' : 'real');

  // The counts shown are the recap's.
  for (const k of RECAP_KEYS) {
    const total = Object.values(r.recap).reduce((n, c) => n + c[k], 0);
    t.is(await page.locator(`#totals [data-count="${k}"]`).textContent(), String(total), `total ${k}`);
    for (const [h, c] of Object.entries(r.recap)) {
      const col = RECAP_KEYS.indexOf(k) + 2;
      t.is(await page.locator(`#recap tbody tr[data-host="${h}"] td:nth-child(${col})`).textContent(), String(c[k]), `${h} ${k}`);
    }
  }
  t.deepEqual(Object.keys(r.recap).sort(), ['db1', 'web1']);

  // The <script> in the diff is shown as text, and never ran.
  const cell = page.locator('#matrix tr[data-host="web1"] td.cell.changed').first();
  t.is(await cell.locator('summary').textContent(), `${check ? 'would change' : 'changed'} (diff)`);
  await cell.locator('summary').click();
  const diff = await cell.locator('pre.diff').textContent();
  t.true(diff?.includes(`-${PWNED}`), diff ?? '');
  t.true(diff?.includes('+</pre><script>window.__pwned = 2</script>'), diff ?? '');
  t.true(await cell.locator('pre.diff').isVisible());
  t.is(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  t.is(await page.locator('script').count(), 1);

  // The readiness table, escaped as the rest.
  t.is(await page.locator('h2', { hasText: 'Ready' }).textContent(), 'Ready <now>?');
  t.is(await page.locator('table.readiness tr[data-host="db1"] td').textContent(), 'no db1 <is> db');

  // Host filter: only web1's rows (matrix, recap, readiness).
  t.is(await visibleCount(page, '#matrix tbody tr'), 2);
  await page.selectOption('#host-select', 'web1');
  t.true(await page.locator('#matrix tr[data-host="web1"]').isVisible());
  t.false(await page.locator('#matrix tr[data-host="db1"]').isVisible());
  t.false(await page.locator('#recap tr[data-host="db1"]').isVisible());
  t.false(await page.locator('table.readiness tr[data-host="db1"]').isVisible());
  t.is(await page.locator('table.readiness tr[data-host="web1"] td').textContent(), 'yes');
  t.is(await page.locator('#shown-hosts').textContent(), '1');
  await page.selectOption('#host-select', '');
  await page.fill('#host-filter', 'db');
  t.deepEqual(await page.locator('#matrix tbody tr').evaluateAll((rows) => rows.filter((e) => !(e as HTMLElement).hidden).map((e) => e.getAttribute('data-host'))), ['db1']);
  await page.fill('#host-filter', '');

  // Status filter: the ok cells hidden, the others not; the shown counts follow.
  const okCells = await page.locator('#matrix td.cell.ok').count();
  t.true(okCells > 0);
  t.is(await page.locator('[data-shown="ok"]').textContent(), String(okCells));
  t.is(await visibleCount(page, '#matrix td.cell.ok'), okCells);
  await page.uncheck('input[name="status"][value="ok"]');
  t.is(await visibleCount(page, '#matrix td.cell.ok'), 0);
  t.is(await page.locator('[data-shown="ok"]').textContent(), '0');
  const changed = await page.locator('#matrix td.cell.changed').count();
  t.true(changed > 0);
  t.is(await visibleCount(page, '#matrix td.cell.changed'), changed);
  for (const s of CELL_STATUSES) t.is(await page.locator(`input[name="status"][value="${s}"]`).count(), 1, s);

  t.deepEqual(errors, [], 'no console error after filtering');
  t.deepEqual(requests, [r.url]);
  const pairs = await changedPairs(page);
  await page.context().close();
  return pairs;
}

if (!existsSync(CHROMIUM)) {
  if (process.env.CI === 'true') {
    test('CI has chromium for the --report page tests', (t) => t.fail(`CI=true but ${CHROMIUM} is missing (test/install-test-tools.sh installs it as root: apt-get install chromium)`));
  } else {
    test.skip(`the --report page tests need ${CHROMIUM} (as root: apt-get install --no-install-recommends chromium)`, () => {});
  }
} else {
  test('--report: --check --diff then a real run, each page checked in headless chromium; the predicted changes are the real ones', async (t) => {
    writeFileSync(join(dir, 'hosts.ini'), '[web]\nweb1 ansible_connection=local\n[db]\ndb1 ansible_connection=local\n');
    for (const h of ['web1', 'db1']) writeFileSync(join(dir, `${h}.conf`), `old\n${PWNED}\n`);
    writeFileSync(join(dir, 'pb.yml'), [
      '- name: audit <b>',
      '  hosts: all',
      '  gather_facts: false',
      '  tasks:',
      `    - name: conf\n      copy: { content: "new\\n</pre><script>window.__pwned = 2</script>\\n", dest: "${dir}/{{ inventory_hostname }}.conf" }`,
      '    - name: loop\n      debug: { msg: "{{ item }}" }\n      loop: [1, 2, 3]',
      '    - name: web only\n      debug: { msg: x }\n      when: inventory_hostname == "web1"',
      '    - name: fails but ignored\n      command: "false"\n      ignore_errors: true',
      '    - name: ready\n      readiness:\n        title: Ready <now>?\n        checks:\n          - { name: not db, that: "inventory_hostname != \'db1\'", reason: "db1 <is> db" }',
      '',
    ].join('\n'));
    const t0 = Date.now();
    const check = await run('check', ['--check', '--diff']);
    t.is(check.code, 0, check.err);
    t.is(readFileSync(join(dir, 'web1.conf'), 'utf8'), `old\n${PWNED}\n`, '--check wrote nothing');
    const predicted = await checkPage(t, check, true);
    const real = await run('real', []);
    t.is(real.code, 0, real.err);
    t.is(readFileSync(join(dir, 'web1.conf'), 'utf8'), 'new\n</pre><script>window.__pwned = 2</script>\n');
    t.true(Object.values(real.recap).every((c) => c.ignored === 1), 'the failure was ignored on each host');
    const changed = await checkPage(t, real, false);
    t.deepEqual(predicted, ['db1 conf', 'web1 conf']);
    t.deepEqual(changed, predicted, 'what --check predicted is what the real run changed');
    t.log(`two runs and two pages checked in ${Date.now() - t0} ms`);
  });
}
