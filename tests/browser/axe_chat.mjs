// Accessibility check of the chat page: open it in Debian's Chromium (never a downloaded browser), ask a
// question, wait for the answer and its source cards, run axe-core on the page and print its findings as JSON.
//
// Usage: node axe_chat.mjs URL QUESTION EXPECTED_TEXT [CHROMIUM]
// Prints {"url", "question", "violations": [{id, impact, help, helpUrl, nodes: [{target, html, summary}]}],
// "passes": n, "incomplete": n}. Exit 0 when it ran (the caller judges the violations), 2 on bad usage,
// 1 when the page could not be checked.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const [url, question, expected, executablePath = "/usr/bin/chromium"] = process.argv.slice(2);
if (!url || !question || !expected) {
  console.error("usage: node axe_chat.mjs URL QUESTION EXPECTED_TEXT [CHROMIUM]");
  process.exit(2);
}
// The same flags as the Python browser tests: nothing reaches the network but the app itself.
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const TIMEOUT = 120_000;

const profile = mkdtempSync(join(tmpdir(), "qa-axe-"));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath, args: ARGS, headless: true, viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url, { waitUntil: "domcontentloaded", timeout: TIMEOUT });
  const box = page.locator("textarea[data-testid='stChatInputTextArea']");
  await box.waitFor({ state: "visible", timeout: TIMEOUT });
  await box.fill(question);
  await box.press("Enter");
  const answer = page.locator("[data-testid='stChatMessage']").nth(1);
  await answer.getByText(expected).first().waitFor({ state: "visible", timeout: TIMEOUT });
  await page.waitForSelector("[data-testid='stSpinner']", { state: "detached", timeout: TIMEOUT });
  // The run is over (no status widget, no element left faded from the run before): axe reads the page a
  // person reads, not the half-transparent one of a rerun.
  await page.waitForFunction(() => !document.querySelector("[data-testid='stStatusWidget'] *")
    && !document.querySelector("[data-stale='true']"), null, { timeout: TIMEOUT });
  await page.waitForTimeout(500);
  await page.addScriptTag({ content: readFileSync(require.resolve("axe-core/axe.min.js"), "utf8") });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    return await axe.run(document, { resultTypes: ["violations"] });
  });
  const out = {
    url, question, axe: result.testEngine?.version,
    violations: result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html.slice(0, 300), summary: n.failureSummary })),
    })),
    passes: result.passes.length, incomplete: result.incomplete.length,
  };
  console.log(JSON.stringify(out, null, 1));
} catch (err) {
  console.error(String(err?.stack || err));
  process.exitCode = 1;
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}
