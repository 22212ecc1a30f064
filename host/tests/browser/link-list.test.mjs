// Issue 16: a dataset's links listed under its Share tab, with the actions of My links: a link
// made there joins the list, its address is copied again (the same as at creation) and shown
// as a QR code, its password changed (a short one refused beside the field) and removed, and
// it is revoked.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { base, launch, openTab, shot, signIn, uploadCsv } from "./support.mjs";

let browser;
let datasetId;

before(async () => {
  browser = await launch();
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  datasetId = await uploadCsv(page, "tide gauges.csv", "station,level\nNorth,1.5\nSouth,2.25\n");
  await context.close();
});

after(async () => {
  await browser?.close();
});

test("a link made on the Share tab is listed, its address copied again, shown as a QR code, its password changed, and revoked", async () => {
  const context = await browser.newContext();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  await signIn(page);
  await page.goto(`${base}/datasets/${datasetId}`);
  await page.getByRole("heading", { level: 1, name: "tide gauges" }).waitFor();
  await openTab(page, "Share");

  await page.getByLabel("Downloads allowed").fill("3");
  await page.getByRole("button", { name: "Create link" }).click();
  const urlField = page.getByLabel("Link (shown once)");
  await urlField.waitFor();
  const url = await urlField.inputValue();
  assert.match(url, /\/s\/[A-Za-z0-9_-]{22}$/);

  // It joins the list without leaving the page.
  const row = page.locator("#links tbody tr").first();
  await row.waitFor();
  assert.match(await row.innerText(), /tide gauges: download, 3 downloads/);
  assert.match(await row.locator("td.state").innerText(), /active/);
  assert.match(await row.innerText(), /follows the latest version/);
  assert.match(await row.innerText(), /0 of 3 \(3 left\)/);

  // Its address again: the same as shown at creation, copied.
  await row.getByRole("button", { name: "Copy address" }).click();
  await page.locator("#links-status", { hasText: "Copied" }).waitFor();
  assert.equal(await row.getByLabel("Address").inputValue(), url);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);

  // And as a QR code, with the address as its text.
  const qr = row.getByRole("button", { name: "QR code" });
  await qr.click();
  assert.equal(await qr.getAttribute("aria-expanded"), "true");
  const image = row.getByRole("img", { name: `QR code of the address ${url}` });
  await image.waitFor();
  assert.ok((await image.evaluate((img) => img.naturalWidth)) > 100);
  await shot(page, "link-list-qr");

  // A password too short is refused beside the field, which says so and has the focus.
  await row.getByText("Add a password").click();
  const field = row.getByLabel("New password");
  await field.fill("short");
  await row.getByRole("button", { name: "Save password" }).click();
  const error = row.locator("p.error");
  await error.waitFor();
  assert.match(await error.innerText(), /at least 6 characters/);
  assert.equal(await field.getAttribute("aria-invalid"), "true");
  assert.equal(await field.evaluate((input) => document.activeElement === input), true);
  assert.equal(await field.getAttribute("aria-describedby"), await error.getAttribute("id"));
  await shot(page, "link-list-password-refused");
  await field.fill("tide-pool-7");
  await row.getByRole("button", { name: "Save password" }).click();
  await page.locator("#links-status", { hasText: "password of" }).waitFor();
  await row.locator(".tag", { hasText: "password" }).waitFor();

  // A visitor is now asked for it; then it is removed again.
  const stranger = await browser.newContext();
  const visitor = await stranger.newPage();
  const asked = await visitor.goto(url);
  assert.equal(asked.status(), 401);
  await row.getByText("Change password").click();
  await row.getByRole("button", { name: "Remove password" }).click();
  await page.locator("#links-status", { hasText: "has no password now" }).waitFor();
  // The row is drawn again from the server once the change is made.
  await row.locator(".tag", { hasText: "password" }).waitFor({ state: "detached" });
  assert.equal((await visitor.goto(url)).status(), 200);

  // Revoked: the address is gone for its holders, and nothing is left to copy.
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: /Revoke/ }).click();
  await page.locator("#links-status", { hasText: "is revoked." }).waitFor();
  assert.match(await row.locator("td.state").innerText(), /revoked/);
  assert.equal(await row.getByRole("button", { name: "Copy address" }).count(), 0);
  assert.equal((await visitor.goto(url)).status(), 404);
  await shot(page, "link-list-revoked");
  await stranger.close();

  // My links shows the same row.
  await page.getByRole("link", { name: "My links" }).click();
  await page.waitForURL(/\/links$/);
  const mine = page.locator("#links tr", { hasText: "tide gauges: download, 3 downloads" });
  assert.match(await mine.locator("td.state").innerText(), /revoked/);
  await context.close();
});
