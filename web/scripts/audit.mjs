// `npm audit`, reported for the web check (scripts/web.sh). Every advisory is listed; the check
// fails only on a high or critical one that a fix is available for, since an advisory without
// a fix can only wait for upstream. A registry that does not offer the audit endpoint (some
// mirrors answer 405) is reported and does not fail the check.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BLOCKING = new Set(['high', 'critical']);

/** Reads `npm audit --json` output: what to print, and the advisories that fail the check. */
export function judge(report) {
  if (!report.vulnerabilities) {
    const why = report.message ?? report.error?.summary ?? 'no report';
    return { lines: [`npm audit could not run: ${why}`], failing: [] };
  }
  const lines = [];
  const failing = [];
  for (const [name, advisory] of Object.entries(report.vulnerabilities)) {
    const fix = advisory.fixAvailable;
    const fixText = fix === false ? 'no fix yet' : fix === true ? 'fix: npm audit fix' : `fix: ${fix.name}@${fix.version}`;
    const line = `${advisory.severity} ${name} (${fixText})`;
    lines.push(line);
    if (fix !== false && BLOCKING.has(advisory.severity)) failing.push(line);
  }
  const counts = report.metadata?.vulnerabilities ?? {};
  lines.unshift(`npm audit: ${counts.total ?? lines.length} advisories (${['critical', 'high', 'moderate', 'low'].map((s) => `${counts[s] ?? 0} ${s}`).join(', ')})`);
  return { lines, failing };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // npm audit exits 1 when it finds anything: read its JSON whatever the status
  const run = spawnSync('npm', ['audit', '--json'], { encoding: 'utf8' });
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    report = { message: (run.stderr || 'unreadable output').trim().split('\n')[0] };
  }
  const { lines, failing } = judge(report);
  for (const line of lines) console.log(line);
  if (failing.length > 0) {
    console.error(`npm audit: ${failing.length} high or critical advisories have a fix; update them:`);
    for (const line of failing) console.error(`  ${line}`);
    process.exit(1);
  }
}
