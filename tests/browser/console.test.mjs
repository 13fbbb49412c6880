// End-to-end test of the reporting console in headless Chromium, against a running
// `xycz serve` that scripts/browser-test started on a fresh data folder.
//
// Environment: XYCZ_URL (the server), XYCZ_FIXTURES (../shared/fixtures), XYCZ_SCREENSHOTS
// (where page screenshots go), XYCZ_REPORTER / XYCZ_ADMIN as `username:password`, CHROMIUM.

import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, request } from "playwright-core";

const base = need("XYCZ_URL");
const fixtures = need("XYCZ_FIXTURES");
const shots = need("XYCZ_SCREENSHOTS");
const [reporter, reporterPassword] = need("XYCZ_REPORTER").split(":");
const [admin, adminPassword] = need("XYCZ_ADMIN").split(":");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

function need(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run scripts/browser-test`);
  return value;
}

/** Steps run in order; a failing step stops the run. */
const steps = [];
const step = (name, run) => steps.push({ name, run });
const results = [];

mkdirSync(shots, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), "xycz-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  acceptDownloads: true,
  locale: "zh-CN",
  viewport: { width: 1280, height: 900 },
  args: [
    "--lang=zh-CN",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const page = context.pages()[0] || (await context.newPage());
page.setDefaultTimeout(15000);
const pageErrors = [];
page.on("pageerror", (error) => pageErrors.push(error.message));

async function shot(name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** Every form control on the page has a label a screen reader announces. */
async function assertLabelled() {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")]
      .filter((c) => c.type !== "hidden" && !c.closest("[hidden]") && !c.closest("dialog:not([open])"))
      .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute("aria-label") && !c.getAttribute("aria-labelledby"))
      .map((c) => c.id || c.name || c.outerHTML.slice(0, 60)));
  assert.deepEqual(unlabelled, [], `inputs without a label on ${page.url()}`);
}

async function login(username, password) {
  await page.goto(`${base}/console/login.html`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.click("#login-submit");
  await page.waitForURL(/\/console\/(sgs|admin)\.html/);
  await page.waitForSelector("[data-me-user]:not(:empty)");
}

async function status(path) {
  const response = await page.request.get(base + path, { failOnStatusCode: false });
  return response.status();
}

/** Waits until `check` holds, polling: the site refreshes in the background. */
async function eventually(what, check, seconds = 20) {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const penaltyFile = join(fixtures, "penalty_sample.xlsx");
const expected = JSON.parse(readFileSync(penaltyFile + ".expected.json", "utf8"));
const state = {
  unitName: JSON.parse(readFileSync(join(fixtures, "unit.json"), "utf8")).unit,
};

step("the portal's 政务登录 button leads to the login page", async () => {
  await page.goto(`${base}/`);
  await shot("01-portal");
  await page.click("a.login-button");
  await page.waitForURL(/\/console\/login\.html/);
  await page.waitForSelector("#login-form");
  await assertLabelled();
  await shot("02-login");
});

step("a wrong password is refused with a clear message", async () => {
  await page.fill("#username", reporter);
  await page.fill("#password", "not-the-password");
  await page.click("#login-submit");
  const error = page.locator("#login-error");
  await error.waitFor({ state: "visible" });
  assert.match(await error.textContent(), /用户名或密码错误/);
  await shot("03-login-wrong-password");
});

step("the reporter signs in with the keyboard only and lands on 双公示", async () => {
  await page.goto(`${base}/console/login.html`);
  await page.locator("#username").focus();
  await page.keyboard.type(reporter);
  await page.keyboard.press("Tab");
  await page.keyboard.type(reporterPassword);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/console\/sgs\.html/);
  await page.waitForSelector("[data-me-user]:not(:empty)");
  assert.match(await page.textContent("#console-user"), new RegExp(reporter));
  await assertLabelled();
  await shot("04-sgs");
});

step("the penalty template downloads as an xlsx file", async () => {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("a[data-template=penalty]"),
  ]);
  assert.match(download.suggestedFilename(), /^penalty.*\.xlsx$/);
  const path = join(profile, "template.xlsx");
  await download.saveAs(path);
  const bytes = readFileSync(path);
  assert.ok(bytes.length > 1000, "the template is not empty");
  assert.equal(bytes.subarray(0, 2).toString(), "PK", "the template is a zip (xlsx)");
});

step("uploading penalty_sample.xlsx as 行政处罚 shows its 4 invalid rows", async () => {
  await page.selectOption("#upload-dataset", "penalty");
  await page.setInputFiles("#upload-file", penaltyFile);
  await page.click("#upload-submit");
  await page.waitForSelector("#issues");
  assert.ok(await page.locator("#upload-progress-box").isHidden(), "the progress bar goes when the report is in");
  const summary = await page.textContent("#report .summary");
  assert.match(summary, new RegExp(`总行数\\s*${expected.rows}`));
  assert.match(summary, new RegExp(`错误行数\\s*${expected.invalid}`));
  assert.match(summary, new RegExp(`通过行数\\s*${expected.valid}`));
  const rows = await page.$$eval("#issues tbody tr.issue-error", (trs) =>
    trs.map((tr) => ({ row: Number(tr.cells[0].textContent), field: tr.cells[1].textContent })));
  for (const issue of expected.issues) {
    assert.ok(rows.some((r) => r.row === issue.row && r.field === issue.field),
      `row ${issue.row} ${issue.field} is in the report`);
  }
  assert.equal(new Set(rows.map((r) => r.row)).size, expected.invalid);
  await shot("05-sgs-report");

  const link = await page.getAttribute("[data-errors-link]", "href");
  const errors = await page.request.get(base + link);
  assert.equal(errors.status(), 200);
  assert.equal((await errors.body()).subarray(0, 2).toString(), "PK");
  state.uploadId = Number(link.match(/uploads\/(\d+)\//)[1]);
});

step("a file above 4 MB goes to direct upload, which local storage refuses clearly", async () => {
  await page.selectOption("#upload-dataset", "penalty");
  const big = Buffer.alloc(5 * 1024 * 1024, 0x41);
  await page.setInputFiles("#upload-file", { name: "big.xlsx", mimeType: "application/octet-stream", buffer: big });
  await page.click("#upload-submit");
  await page.waitForSelector("#upload-error:not([hidden])");
  const message = await page.textContent("#upload-error");
  assert.match(message, /不支持大文件直传/);
  assert.match(message, /4 MB/);
  await page.setInputFiles("#upload-file", []);
});

step("the upload list offers 删除 and 删除数据, each asking first", async () => {
  const row = page.locator(`#upload-list tr[data-upload="${state.uploadId}"]`);
  await row.waitFor();
  await row.getByRole("button", { name: /删除数据/ }).click();
  await page.locator("#ask").waitFor({ state: "visible" });
  assert.match(await page.textContent("#ask-title"), /确认删除数据/);
  await shot("06-sgs-confirm-withdraw");
  await page.click("#ask-cancel");
  await page.locator("#ask").waitFor({ state: "hidden" });
  await row.getByRole("button", { name: /^删除：/ }).click();
  await page.locator("#ask").waitFor({ state: "visible" });
  await page.keyboard.press("Escape");
  await page.locator("#ask").waitFor({ state: "hidden" });
  assert.equal(await row.count(), 1, "cancelling keeps the upload");
});

step("双公示信息管理 lists the imported records", async () => {
  await page.goto(`${base}/console/records.html?dataset=penalty`);
  await page.waitForSelector("#record-list table.records");
  const count = await page.locator("#record-list tbody tr").count();
  assert.equal(count, Math.min(expected.valid, 20));
  await assertLabelled();
  await shot("07-records");

  // The records to modify and revoke are two that the portal shows now.
  const ids = await page.$$eval("#record-list tbody tr", (trs) => trs.map((tr) => Number(tr.dataset.record)));
  const shown = [];
  for (const id of ids) {
    if ((await status(publicPath(id))) === 200) shown.push(id);
  }
  assert.ok(shown.length >= 2, `at least two imported records are public (public: ${shown.join(", ") || "none"})`);
  state.modified = { id: shown[0], path: publicPath(shown[0]) };
  state.revoked = { id: shown[1], path: publicPath(shown[1]) };
});

step("新增 shows the server's validation messages beside the fields", async () => {
  await page.click("#record-new");
  await page.waitForSelector("#record-form-section:not([hidden])");
  assert.equal(await page.inputValue("#record-form [name=数据来源单位]"), state.unitName);
  await assertLabelled();
  await page.click("#record-save");
  await page.locator("#record-form-error").waitFor({ state: "visible" });
  assert.ok(await page.locator(".field.invalid").count() > 0, "some fields are marked invalid");
  await shot("08-records-new-invalid");
  await page.click("#record-cancel");
});

/** A penalty record's public detail page. */
function publicPath(recordId) {
  return `/publicity/penalty/${recordId}.html`;
}

step("修改 fixes a record: a new version, shown on the public detail page", async () => {
  const first = page.locator(`#record-list tr[data-record="${state.modified.id}"]`);
  await first.getByRole("button", { name: /^修改：/ }).click();
  await page.waitForSelector("#record-form-section:not([hidden])");
  const facts = page.locator("#record-form [name=违法事实]");
  assert.ok((await facts.inputValue()).length > 0, "the form is filled");
  // An emptied mandatory field is refused with the checker's message under it.
  await facts.fill("");
  await page.click("#record-save");
  await page.locator("#record-form-error").waitFor({ state: "visible" });
  const fieldError = await facts.evaluate((input) => input.closest(".field").querySelector(".field-error").textContent);
  assert.ok(fieldError.length > 0, "the 违法事实 field shows why");
  await shot("09-records-modify-invalid");

  state.modified.text = "经复核更正：当事人未按规定公示年度报告（浏览器测试修改）。";
  await facts.fill(state.modified.text);
  await page.click("#record-save");
  await page.locator("#console-message.ok", { hasText: "第 2 版" }).waitFor();
  await shot("10-records-modified");
});

step("撤销 asks for a reason; the record stays, marked 已撤销, with its history", async () => {
  const row = page.locator(`#record-list tr[data-record="${state.revoked.id}"]`);
  await row.getByRole("button", { name: /^撤销：/ }).click();
  await page.locator("#ask").waitFor({ state: "visible" });
  await page.click("#ask-ok");
  assert.match(await page.textContent("#ask-reason-error"), /请填写撤销原因/);
  await page.fill("#ask-reason", "处罚决定已被依法撤销（浏览器测试）");
  await shot("11-records-revoke-dialog");
  await page.click("#ask-ok");
  await page.locator("#console-message.ok", { hasText: "已撤销" }).waitFor();

  const revokedRow = page.locator(`#record-list tr[data-record="${state.revoked.id}"]`);
  await revokedRow.locator(".badge.revoked", { hasText: "已撤销" }).waitFor();
  assert.equal(await revokedRow.getByRole("button", { name: /^修改：/ }).count(), 0);
  await page.waitForSelector("#record-detail-section:not([hidden])");
  const detail = await page.textContent("#record-detail");
  assert.match(detail, /处罚决定已被依法撤销/);
  assert.match(detail, /历史版本/);
  await shot("12-records-revoked-detail");

  await page.locator(`#record-list tr[data-record="${state.modified.id}"]`).getByRole("button", { name: /^查看：/ }).click();
  await page.waitForFunction(() => document.querySelectorAll("#record-detail .versions tbody tr").length === 2);
  assert.match(await page.textContent("#record-detail .versions"), /违法事实/);
  await shot("13-records-versions");
});

step("the public site follows: the revoked record's page is gone, the fix is shown", async () => {
  await eventually("the revoked record's public page to go",
    async () => (await status(state.revoked.path)) === 404);
  await page.goto(`${base}/publicity/penalty/`);
  assert.doesNotMatch(await page.content(), new RegExp(`/publicity/penalty/${state.revoked.id}\\.html`));
  await shot("14-public-list-after-revoke");

  await eventually("the modified record's public page to show the fix", async () => {
    const response = await page.request.get(base + state.modified.path, { failOnStatusCode: false });
    return response.status() === 200 && (await response.text()).includes(state.modified.text);
  });
  await page.goto(base + state.modified.path);
  await shot("15-public-detail-modified");
});

step("我的上报 lists the upload with its report, original and error rows", async () => {
  await page.goto(`${base}/console/history.html`);
  const row = page.locator(`#upload-list tr[data-upload="${state.uploadId}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /部分有误/);
  await row.getByRole("button", { name: "查看报告" }).click();
  await page.waitForSelector("#issues");
  const [original] = await Promise.all([
    page.waitForEvent("download"),
    row.getByRole("link", { name: "下载原文件" }).click(),
  ]);
  assert.equal(original.suggestedFilename(), "penalty_sample.xlsx");
  await page.selectOption("#history-status", "failed");
  await page.click("#history-filter button[type=submit]");
  await page.waitForSelector("#upload-list p.note");
  await page.selectOption("#history-status", "");
  await page.click("#history-filter button[type=submit]");
  await row.waitFor();
  await assertLabelled();
  await shot("16-history");
});

step("删除数据 and 删除 of a licensing upload, each after a confirmation", async () => {
  await page.goto(`${base}/console/sgs.html`);
  await page.selectOption("#upload-dataset", "licensing");
  await page.setInputFiles("#upload-file", join(fixtures, "licensing_sample.xls"));
  await page.click("#upload-submit");
  await page.waitForSelector("#report .summary");
  const id = Number((await page.textContent("#report")).match(/上报编号 (\d+)/)[1]);
  const row = page.locator(`#upload-list tr[data-upload="${id}"]`);
  await row.waitFor();

  await row.getByRole("button", { name: /删除数据/ }).click();
  await page.click("#ask-ok");
  await page.locator("#console-message.ok", { hasText: `已撤回上报 ${id}` }).waitFor();
  await row.getByText("数据已撤回").waitFor();

  await row.getByRole("button", { name: /^删除：/ }).click();
  await page.click("#ask-ok");
  await page.locator("#console-message.ok", { hasText: `已删除上报 ${id} 的上传记录` }).waitFor();
  await page.waitForFunction((upload) => {
    const tr = document.querySelector(`#upload-list tr[data-upload="${upload}"]`);
    return !tr || tr.textContent.includes("已删除");
  }, id);
  await shot("17-sgs-deleted");
});

step("数据报送 offers the other datasets' templates and upload", async () => {
  await page.goto(`${base}/console/report.html`);
  await page.waitForSelector("a[data-template=red-list]");
  const options = await page.$$eval("#upload-dataset option", (os) => os.map((o) => o.value));
  assert.ok(options.includes("red-list") && !options.includes("penalty"));
  await assertLabelled();
  await shot("18-report");
});

step("a reporter cannot open the admin pages", async () => {
  assert.equal(await status("/api/admin/units"), 403);
  assert.equal(await status("/api/admin/stats"), 403);
  await page.goto(`${base}/console/admin.html`);
  await page.locator("#admin-denied").waitFor({ state: "visible" });
  assert.ok(await page.locator("#admin").isHidden());
  await shot("19-admin-denied");
});

step("logging out ends the session", async () => {
  await page.click("#logout");
  await page.waitForURL(/\/console\/login\.html/);
  assert.equal(await status("/api/me"), 401);
});

step("the administrator manages units and users and reads the statistics", async () => {
  await login(admin, adminPassword);
  await page.waitForURL(/\/console\/admin\.html/);
  await page.waitForSelector("#stats-table table");
  await page.waitForSelector("#stats-chart svg");
  assert.match(await page.textContent("#stats-table"), new RegExp(state.unitName));
  assert.match(await page.textContent("#admin-upload-list"), /penalty_sample\.xlsx/);

  await page.fill("#user-name", "browser-clerk");
  await page.selectOption("#user-unit", { label: state.unitName });
  await page.fill("#user-password", "Browser-Test-2026");
  await page.click("#user-form button[type=submit]");
  const row = page.locator('#user-list tr[data-user="browser-clerk"]');
  await row.waitFor();

  await row.getByRole("button", { name: /重置密码/ }).click();
  await page.fill("#ask-password", "Browser-Reset-2026");
  await page.click("#ask-ok");
  await page.locator("#console-message.ok", { hasText: "已重置" }).waitFor();

  await row.getByRole("button", { name: /停用/ }).click();
  await page.click("#ask-ok");
  await page.waitForFunction(() =>
    document.querySelector('#user-list tr[data-user="browser-clerk"]')?.textContent.includes("已停用"));
  await assertLabelled();
  await shot("20-admin");
});

step("the administrator unlocks a locked account and registers a USCC exception", async () => {
  await page.fill("#user-name", "browser-colleague");
  await page.selectOption("#user-unit", { label: state.unitName });
  await page.fill("#user-password", "Colleague-Start-2026");
  await page.click("#user-form button[type=submit]");
  const row = page.locator('#user-list tr[data-user="browser-colleague"]');
  await row.waitFor();

  // Five wrong passwords lock the account; the lock shows, and 解锁 lifts it.
  for (let n = 0; n < 5; n++) {
    const response = await page.request.post(`${base}/api/auth/login`, {
      data: { username: "browser-colleague", password: `wrong-${n}` },
      failOnStatusCode: false,
    });
    assert.equal(response.status(), n < 4 ? 401 : 423);
  }
  await page.reload();
  await row.waitFor();
  assert.match(await row.textContent(), /已锁定/);
  await row.getByRole("button", { name: "解锁：browser-colleague" }).click();
  await page.locator("#console-message.ok", { hasText: "已解锁 browser-colleague" }).waitFor();
  await page.waitForFunction(() =>
    document.querySelector('#user-list tr[data-user="browser-colleague"]')?.textContent.includes("正常"));

  await page.fill("#uscc-code", "91110000101623741K");
  await page.fill("#uscc-note", "能通过校验的代码");
  await page.click("#uscc-form button[type=submit]");
  await page.locator("#uscc-error", { hasText: "不需要登记为例外" }).waitFor();
  await page.fill("#uscc-code", "91140400GYKLMP1E5X");
  await page.fill("#uscc-note", "早期试点代码，已核实");
  await page.click("#uscc-form button[type=submit]");
  await page.locator('#uscc-list tr[data-uscc="91140400GYKLMP1E5X"]', { hasText: admin }).waitFor();
  await assertLabelled();
  await shot("21-admin-unlock-uscc");
  await page.click("#logout");
  await page.waitForURL(/\/console\/login\.html/);
});

step("a user changes their own password; other sessions end, this one stays", async () => {
  await login("browser-colleague", "Colleague-Start-2026");
  // The same user signed in elsewhere: a separate cookie jar.
  const elsewhere = await request.newContext({ baseURL: base });
  const signIn = await elsewhere.post("/api/auth/login", {
    data: { username: "browser-colleague", password: "Colleague-Start-2026" },
  });
  assert.equal(signIn.status(), 200);
  assert.equal((await elsewhere.get("/api/me")).status(), 200);

  await page.click('a[href="/console/password.html"]');
  await page.waitForSelector("#password-form");
  await assertLabelled();
  await page.fill("#old-password", "not-the-password");
  await page.fill("#new-password", "Colleague-Own-2026");
  await page.fill("#new-password-again", "Colleague-Own-2026");
  await page.click("#password-submit");
  await page.locator("#password-error", { hasText: "原密码不正确" }).waitFor();
  await page.fill("#old-password", "Colleague-Start-2026");
  await page.fill("#new-password-again", "Colleague-Own-2027");
  await page.click("#password-submit");
  await page.locator("#password-error", { hasText: "两次输入的新密码不一致" }).waitFor();
  await page.fill("#new-password-again", "Colleague-Own-2026");
  await page.click("#password-submit");
  await page.locator("#console-message.ok", { hasText: "密码已修改" }).waitFor();
  await shot("22-password-changed");

  // This page's session still works; the other one ended.
  assert.equal(await status("/api/me"), 200);
  assert.equal((await elsewhere.get("/api/me", { failOnStatusCode: false })).status(), 401);
  await elsewhere.dispose();
  await page.click("#logout");
  await page.waitForURL(/\/console\/login\.html/);
  await page.fill("#username", "browser-colleague");
  await page.fill("#password", "Colleague-Start-2026");
  await page.click("#login-submit");
  await page.locator("#login-error", { hasText: "用户名或密码错误" }).waitFor();
  await login("browser-colleague", "Colleague-Own-2026");
});

step("我的上报 names each uploader and filters by result on the server", async () => {
  // The colleague uploads a file with one invalid row, then the reporter looks.
  await page.goto(`${base}/console/sgs.html`);
  await page.selectOption("#upload-dataset", "licensing");
  await page.setInputFiles("#upload-file", join(fixtures, "licensing_sample_gbk.csv"));
  await page.click("#upload-submit");
  await page.waitForSelector("#report .summary");
  const colleagueUpload = Number((await page.textContent("#report")).match(/上报编号 (\d+)/)[1]);
  await page.click("#logout");
  await page.waitForURL(/\/console\/login\.html/);

  await login(reporter, reporterPassword);
  const requests = [];
  page.on("request", (r) => { if (r.url().includes("/api/uploads?")) requests.push(r.url()); });
  await page.goto(`${base}/console/history.html`);
  const theirs = page.locator(`#upload-list tr[data-upload="${colleagueUpload}"]`);
  const mine = page.locator(`#upload-list tr[data-upload="${state.uploadId}"]`);
  await theirs.waitFor();
  assert.equal(await theirs.locator("td").nth(4).textContent(), "browser-colleague");
  assert.equal(await mine.locator("td").nth(4).textContent(), reporter);

  await page.selectOption("#history-status", "partial");
  await page.click("#history-filter button[type=submit]");
  await page.waitForFunction(() => [...document.querySelectorAll("#upload-list tbody tr")]
    .every((tr) => tr.textContent.includes("部分有误")));
  await theirs.waitFor();
  await mine.waitFor();
  assert.ok(requests.some((url) => new URL(url).searchParams.get("result") === "partial"), requests.join(" "));

  await page.selectOption("#history-status", "passed");
  await page.click("#history-filter button[type=submit]");
  await page.waitForSelector("#upload-list p.note");
  await shot("23-history-filtered");
});

let failed = null;
for (const { name, run } of steps) {
  const started = Date.now();
  try {
    await run();
    results.push(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push(`FAIL ${name}\n     ${String(error.stack || error).split("\n").slice(0, 6).join("\n     ")}`);
    failed = error;
    await shot("failure").catch(() => {});
    break;
  }
}
const skipped = steps.slice(results.length).map((s) => `not run: ${s.name}`);
await context.close();
rmSync(profile, { recursive: true, force: true });

console.log(results.concat(skipped).join("\n"));
if (pageErrors.length) console.log("script errors in the pages:\n  " + pageErrors.join("\n  "));
console.log(`screenshots: ${shots}`);
if (failed || pageErrors.length) process.exit(1);
