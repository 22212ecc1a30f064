// The web interface in a real browser (Debian's Chromium, driven by playwright-core) against
// a real Tessera on loopback, started by scripts/test-browser. Each page visited is saved as a
// screenshot under target/browser-screenshots.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { base, email, launch, openTab, shot, signIn } from "./support.mjs";

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test("a wrong password is refused with a sentence", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await shot(page, "01-sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /do not match an account/);
  await shot(page, "02-sign-in-refused");
  await context.close();
});

test("sign in, upload a CSV with progress, see its preview", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  await shot(page, "03-datasets-empty");

  const csv = "site,count,note\nNorth Reef,12,\"calm, clear\"\nSouth Reef,7,Zürich sample\n";
  // The drop zone's file control, found by its label as a screen reader would.
  await page.getByLabel("Drop a file here or choose one").setInputFiles({
    name: "reef survey.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  await page.waitForURL(/\/datasets\/[0-9a-f-]+$/);
  await page.getByRole("heading", { level: 1, name: "reef survey" }).waitFor();
  const preview = page.locator("table.preview");
  await preview.waitFor();
  const text = await preview.innerText();
  assert.match(text, /North Reef/);
  assert.match(text, /calm, clear/);
  assert.match(text, /Zürich sample/);
  await shot(page, "04-dataset-page");

  await page.getByRole("link", { name: "Datasets" }).click();
  await page.waitForURL(/\/datasets$/);
  assert.equal(await page.getByRole("link", { name: "reef survey" }).count(), 1);
  const listed = page.getByRole("row").filter({ has: page.getByRole("link", { name: "reef survey" }) });
  const cells = await listed.locator("td").allInnerTexts();
  assert.equal(cells[1], "Test Admin", "owner");
  assert.equal(cells[2], "2", "rows");
  assert.equal(cells[4], "1", "version");
  await shot(page, "05-datasets-list");
  await context.close();
});

test("an upload the server refuses shows its reason", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  await page.setInputFiles("#file", {
    name: "ragged.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("a,b\n1,2,3\n"),
  });
  const status = page.locator("#upload-status");
  await page.waitForFunction(() =>
    document.getElementById("upload-status").textContent.startsWith("The upload failed"),
  );
  assert.match(await status.innerText(), /The upload failed: .*line/i);
  await shot(page, "06-upload-refused");
  await context.close();
});

test("pages read without JavaScript", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await signIn(page);
  await page.getByRole("link", { name: "reef survey" }).click();
  await page.locator("table.preview").waitFor();
  assert.match(await page.locator("table.preview").innerText(), /South Reef/);
  await context.close();
});

test("my links: a link's state and downloads, revoked from the page, dead for its holder", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  await page.getByRole("link", { name: "reef survey" }).click();
  await page.waitForURL(/\/datasets\/[0-9a-f-]+$/);
  const datasetId = page.url().split("/").pop();
  // Made through the same API the share dialog will call.
  const created = await page.evaluate(async (id) => {
    const csrf = decodeURIComponent(document.cookie.match(/tessera_csrf=([^;]+)/)[1]);
    const response = await fetch(`/api/v1/datasets/${id}/links`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ level: "download", max_downloads: 1, name: "for the reviewers" }),
    });
    return { status: response.status, body: await response.json() };
  }, datasetId);
  assert.equal(created.status, 201);

  // The holder, in a browser with no account, sees what is shared and downloads it once.
  const holder = await browser.newContext({ acceptDownloads: true });
  const visitor = await holder.newPage();
  await visitor.goto(created.body.url);
  await visitor.getByRole("heading", { name: "for the reviewers" }).waitFor();
  await shot(visitor, "07-shared-item");
  const [download] = await Promise.all([
    visitor.waitForEvent("download"),
    visitor.getByRole("link", { name: "Download" }).click(),
  ]);
  assert.equal(await download.failure(), null);

  await page.getByRole("link", { name: "My links" }).click();
  await page.waitForURL(/\/links$/);
  const row = page.locator("tr", { hasText: "for the reviewers" });
  await row.waitFor();
  // A download is counted just after its last byte went out: look again until it shows.
  for (let attempt = 0; attempt < 50 && !/1 of 1/.test(await row.innerText()); attempt += 1) {
    await page.waitForTimeout(100);
    await page.reload();
  }
  assert.match(await row.innerText(), /1 of 1/);
  await shot(page, "08-my-links");
  assert.match(await row.locator("td.state").innerText(), /used up/);

  // Its owner allows one more download; the holder's page offers it again.
  await row.getByText("Extend or change").click();
  await row.getByLabel("Downloads allowed in all").fill("2");
  await row.getByLabel("Expires in hours from now").fill("48");
  await row.getByRole("button", { name: "Save" }).click();
  await page.waitForFunction(() => /1 of 2 \(1 left\)/.test(document.body.innerText));
  assert.match(await row.locator("td.state").innerText(), /active/);
  assert.doesNotMatch(await row.innerText(), /never\s+\S+\s*$/);
  await visitor.goto(created.body.url);
  await visitor.getByRole("link", { name: "Download" }).waitFor();

  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: /Revoke/ }).click();
  await page.getByText("for the reviewers is revoked.").waitFor();
  assert.match(await row.locator("td.state").innerText(), /revoked/);
  await shot(page, "09-link-revoked");

  const response = await visitor.goto(created.body.url);
  assert.equal(response.status(), 404);
  await visitor.getByRole("heading", { name: "No such link" }).waitFor();
  await shot(visitor, "10-link-gone");

  await page.getByRole("link", { name: "Shared with me" }).click();
  await page.getByRole("heading", { name: "Shared with me" }).waitFor();
  await holder.close();
  await context.close();
});

test("an admin previews a policy change with the dry run, then saves it", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  const made = await page.evaluate(async () => {
    const csrf = decodeURIComponent(document.cookie.match(/tessera_csrf=([^;]+)/)[1]);
    const response = await fetch("/api/v1/admin/users", {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({
        email: "reader@example.org",
        name: "Rita Reader",
        password: "a long enough password",
      }),
    });
    return response.status;
  });
  assert.equal(made, 201);

  await page.getByRole("link", { name: "Admin", exact: true }).click();
  await page.getByRole("link", { name: "Policies" }).click();
  await page.waitForURL(/\/admin\/policies$/);
  await page.getByLabel("Subject").fill("user:reader@example.org");
  await page.getByLabel("Role or datasets").fill("role:auditor");
  await page.getByLabel("Why").fill("annual audit");
  const save = page.locator("#save");
  assert.equal(await save.isDisabled(), true, "nothing is saved before a preview");
  await page.getByRole("button", { name: "Preview" }).click();
  const region = page.getByRole("region", { name: "What this change would do" });
  await region.waitFor();
  const preview = await region.innerText();
  // The auditor role reads every dataset, however many the other test files made.
  assert.match(preview, /[1-9]\d* would gain access and 0 would lose it/);
  assert.match(preview, /reader@example\.org gains/);
  assert.match(preview, /reef survey/);
  await shot(page, "11-policy-dry-run");

  await save.click();
  await page.waitForLoadState("load");
  await page.locator("code", { hasText: "role:auditor" }).nth(1).waitFor();
  const saved = page.locator("#rules tr", { hasText: "reader@example.org" });
  assert.match(await saved.innerText(), /annual audit/);
  await shot(page, "12-policy-saved");

  // The check answers with the deciding rule.
  await page.getByLabel("Who").fill("user:reader@example.org");
  await page.getByLabel("May").selectOption("view");
  await page.locator("#check-object").selectOption({ label: "reef survey" });
  await page.getByRole("button", { name: "Check" }).click();
  await page.getByText("Yes: user:reader@example.org may view reef survey.").waitFor();
  assert.match(await page.locator("#check-answer").innerText(), /Deciding rule: .*role:auditor/);
  await page.getByLabel("May").selectOption("edit");
  await page.getByRole("button", { name: "Check" }).click();
  await page.getByText("No: user:reader@example.org may not edit reef survey (they hold view).").waitFor();

  // Removing the rule is previewed too: the reader would lose what the rule gave.
  await saved.getByRole("button", { name: /^Remove/ }).click();
  await page.getByText(/Removing the rule g, user:reader@example\.org, role:auditor\./).waitFor();
  assert.match(await page.locator("#dry-run").innerText(), /0 would gain access and [1-9]\d* would lose it/);
  await page.getByRole("button", { name: "Remove the rule" }).click();
  // The page reloads without the rule.
  await page.locator("#rules tr", { hasText: "reader@example.org" }).waitFor({ state: "detached" });
  await page.getByRole("heading", { name: "Access policies" }).waitFor();

  // A rule naming nobody is refused in words, before anything is saved.
  await page.getByLabel("Subject").fill("user:ghost@example.org");
  await page.getByLabel("Role or datasets").fill("role:auditor");
  await page.getByRole("button", { name: "Preview" }).click();
  await page.getByText(/This rule cannot be used: there is no user 'ghost@example.org'/).waitFor();
  await context.close();
});

test("export as CSV and as Excel through queued jobs, the progress bar reaching 100%", async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page);
  await page.getByRole("link", { name: "reef survey" }).click();
  await page.waitForURL(/\/datasets\/[0-9a-f-]+$/);
  await openTab(page, "Export");
  for (const [format, extension] of [["csv", ".csv"], ["xlsx", ".xlsx"]]) {
    await page.getByLabel("Format", { exact: true }).selectOption(format);
    await page.getByRole("button", { name: "Export in the background" }).click();
    const status = page.locator("#job-status");
    await page.waitForFunction(() => document.getElementById("job-status").textContent.startsWith("Done"), null, {
      timeout: 60_000,
    });
    assert.match(await status.innerText(), /2 of 2 rows/);
    assert.equal(await page.locator("#job-progress").getAttribute("value"), "100");
    // Issue 16: the job joins the history at once, the dataset's first one included (the
    // table was missing until a reload when there was no export before).
    const newest = page.locator("#export-history tbody tr").first();
    assert.ok(await newest.isVisible());
    assert.equal(await newest.locator("td").nth(1).innerText(), format);
    assert.equal(await page.locator("#export-history-empty").isVisible(), false);
    await shot(page, `13-export-${format}-done`);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator("#job-download").click(),
    ]);
    assert.ok(download.suggestedFilename().endsWith(extension), download.suggestedFilename());
    assert.equal(await download.failure(), null);
  }
  await context.close();
});

test("share with a colleague, and a one-download link with a password for a stranger", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  const made = await page.evaluate(async () => {
    const csrf = decodeURIComponent(document.cookie.match(/tessera_csrf=([^;]+)/)[1]);
    const response = await fetch("/api/v1/admin/users", {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ email: "colleague@example.org", name: "Cole League", password: "another long password" }),
    });
    return response.status;
  });
  assert.equal(made, 201);
  await page.getByRole("link", { name: "Datasets" }).click();
  await page.getByRole("link", { name: "reef survey" }).click();
  await page.waitForURL(/\/datasets\/[0-9a-f-]+$/);
  await openTab(page, "Share");

  await page.getByLabel("Email or name").fill("colleague@example.org");
  await page.getByLabel("Level").selectOption("view");
  await page.getByRole("button", { name: "Share", exact: true }).click();
  await page.locator("#shares").getByText("colleague@example.org").waitFor();
  // The enforcer's own view of who can reach it now, and how.
  const holder = page.locator("#holders tr", { hasText: "colleague@example.org" });
  // Shared by address: listed as the address until its account has seen the share, so the list
  // never tells whether an address has an account.
  assert.deepEqual((await holder.locator("td").allInnerTexts()).slice(1), ["view", "a share by email, not seen yet"]);
  await shot(page, "14-shared-with-colleague");

  // Issue 16: a share's level changes in place, and stopping it asks to be confirmed.
  await page.getByLabel("Access of colleague@example.org").selectOption("edit");
  await page.getByText("Level changed to edit").waitFor();
  await page.reload();
  assert.equal(await page.getByLabel("Access of colleague@example.org").inputValue(), "edit");
  const stop = page.getByRole("button", { name: "Stop sharing with colleague@example.org" });
  await stop.click();
  await page.getByRole("button", { name: "Keep sharing" }).click();
  assert.equal(await page.locator("#shares").getByText("colleague@example.org").count(), 1, "kept");
  await stop.click();
  assert.equal(await stop.innerText(), "Confirm: stop sharing");
  await stop.click();
  await page.getByText("Sharing stopped").waitFor();
  assert.equal(await page.locator("#shares").getByText("colleague@example.org").count(), 0, "stopped");

  await page.getByLabel("Downloads allowed").fill("1");
  await page.getByLabel("Password").fill("tide-pool-7");
  await page.getByRole("button", { name: "Create link" }).click();
  const urlField = page.getByLabel("Link (shown once)");
  await urlField.waitFor();
  const url = await urlField.inputValue();
  assert.match(url, /\/s\/[A-Za-z0-9_-]{22}$/);
  assert.ok((await page.getByLabel("Token for scripts (shown once)").inputValue()).length > 100);
  await shot(page, "15-link-created");

  // A stranger: no account, no cookies.
  const strangerContext = await browser.newContext({ acceptDownloads: true });
  const stranger = await strangerContext.newPage();
  const asked = await stranger.goto(url);
  assert.equal(asked.status(), 401);
  await stranger.getByLabel("Password").fill("wrong guess");
  await stranger.getByRole("button", { name: "Open" }).click();
  await stranger.getByText("That password is not right").waitFor();
  await shot(stranger, "16-link-wrong-password");
  await stranger.getByLabel("Password").fill("tide-pool-7");
  await stranger.getByRole("button", { name: "Open" }).click();
  await stranger.getByRole("link", { name: "Download" }).waitFor();
  await shot(stranger, "17-link-opened");
  const [download] = await Promise.all([
    stranger.waitForEvent("download"),
    stranger.getByRole("link", { name: "Download" }).click(),
  ]);
  assert.equal(await download.failure(), null);

  // The second download is refused with the used-up page.
  let status = 0;
  for (let attempt = 0; attempt < 50 && status !== 410; attempt += 1) {
    status = (await stranger.goto(url)).status();
    if (status !== 410) await stranger.waitForTimeout(100);
  }
  assert.equal(status, 410);
  await stranger.getByRole("heading", { name: "This link has been used up" }).waitFor();
  await shot(stranger, "18-link-used-up");

  await page.getByRole("link", { name: "My links" }).click();
  const row = page.locator("tr", { hasText: "used up" }).first();
  await row.waitFor();
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: /Revoke/ }).click();
  await page.getByText(/is revoked\./).waitFor();
  await strangerContext.close();
  await context.close();
});
