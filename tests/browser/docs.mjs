// Opens the service's docs pages in headless Chromium, as a person would, and prints one
// JSON object with what it saw (tests/e2e/test_docs_browser.py asserts on it).
// Usage: node docs.mjs <base url> <chromium> swagger <access token>
//   /docs (Swagger UI): the operationIds it lists, then Authorize with the token as the
//   bearer and try-it-out on getAgentHealth with the parameter as the contract fills it in.
// Usage: node docs.mjs <base url> <chromium> redoc
//   /docs/redoc (ReDoc): the operations it lists.
// Either way it reports every CSP violation, page error and console error.
// playwright-core lives in tests/js (its package.json and lock); no browser is downloaded.
import { createRequire } from "node:module";

const require = createRequire(new URL("../js/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const [base, executablePath, mode, token] = process.argv.slice(2);
const WAIT = { timeout: 20000 };

async function swagger(page, seen) {
  await page.goto(`${base}/docs`);
  // Swagger UI 4 cannot read OpenAPI 3.1: it shows a version notice instead of operations.
  await page.waitForSelector(".opblock, .version-pragma, .errors-wrapper", WAIT);
  seen.notice = (await page.locator(".version-pragma").allInnerTexts()).join(" ") || null;
  seen.operationIds = await page.locator(".opblock-summary-operation-id").allInnerTexts();
  if (seen.operationIds.length === 0) return;

  await page.click("button.authorize");
  const bearer = page.locator(".auth-container", { hasText: "bearerAuth" });
  await bearer.locator("input[aria-label='auth-bearer-value']").fill(token);
  await bearer.locator("button.authorize").click();
  await bearer.locator("button", { hasText: "Logout" }).waitFor(WAIT);
  seen.authorized = true;
  await page.click(".modal-ux button.close-modal");

  const op = page.locator(".opblock", {
    has: page.locator(".opblock-summary-operation-id", { hasText: /^getAgentHealth$/ }),
  });
  await op.locator(".opblock-summary").first().click();
  await op.locator("button.try-out__btn").click();
  seen.containerId = await op.locator("tr[data-param-name='containerId'] input").inputValue();
  const answered = page.waitForResponse((r) => r.url().includes("/health"), WAIT);
  await op.locator("button.execute").click();
  const response = await answered;
  seen.request = { url: response.url(), authorization: response.request().headers()["authorization"] ?? null };
  const status = op.locator(".live-responses-table tr.response .response-col_status").first();
  await status.waitFor(WAIT);
  seen.shownStatus = (await status.innerText()).trim();
  seen.status = response.status();
}

async function redoc(page, seen) {
  await page.goto(`${base}/docs/redoc`);
  const operations = "[data-section-id*='operation/']";
  await page.waitForSelector(`${operations}, .redoc-error`, WAIT);
  seen.error = (await page.locator(".redoc-error").allInnerTexts()).join(" ") || null;
  const ids = await page.locator(operations).evaluateAll(
    (nodes) => nodes.map((n) => n.getAttribute("data-section-id").split("/").pop()));
  seen.operationIds = [...new Set(ids)];
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const seen = { cspViolations: [], pageErrors: [], consoleErrors: [] };
try {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
    });
  });
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    (m.text().startsWith("CSP: ") ? seen.cspViolations : seen.consoleErrors).push(m.text());
  });
  page.on("pageerror", (e) => seen.pageErrors.push(String(e)));
  await (mode === "redoc" ? redoc(page, seen) : swagger(page, seen));
} catch (e) {
  seen.failure = String(e);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(seen) + "\n");
