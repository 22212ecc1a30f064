// Issue 17 in a real browser: the bell counts up live when another user shares a dataset
// (no reload), the notifications page marks everything read and the bell follows, and a
// notification preference saves.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, base, launch, shot, signIn, uploadCsv } from "./support.mjs";

let browser;
const bob = { email: "bob.bell@example.org", password: "long enough password" };

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test("the bell counts up live when a dataset is shared, and down when read", async () => {
  const owner = await browser.newContext();
  const ownerPage = await owner.newPage();
  await signIn(ownerPage);
  const made = await api(ownerPage, "POST", "/admin/users", {
    email: bob.email,
    name: "Bob Bell",
    password: bob.password,
  });
  assert.equal(made.status, 201, made.text);
  const datasetId = await uploadCsv(ownerPage, "bell trial.csv", "site,count\nNorth,1\n");

  const colleague = await browser.newContext();
  const page = await colleague.newPage();
  await signIn(page, bob);
  const bell = page.locator("#bell");
  await bell.waitFor();
  // The stream has spoken: nothing unread yet.
  await page.waitForFunction(() => document.getElementById("bell")?.dataset.unread === "0");
  assert.equal(await page.locator("#bell-count").isHidden(), true);

  const shared = await api(ownerPage, "POST", `/datasets/${datasetId}/shares`, {
    user: bob.email,
    level: "view",
  });
  assert.equal(shared.status, 201, shared.text);
  // Without a reload, the count goes up and says so to a screen reader.
  await page.locator("#bell-count").filter({ hasText: "1" }).waitFor({ timeout: 15000 });
  assert.equal(await bell.getAttribute("aria-label"), "Notifications, 1 unread");
  await shot(page, "bell-counted");

  await bell.click();
  await page.waitForURL(/\/notifications$/);
  await page.getByRole("link", { name: /shared “bell trial” with you/ }).waitFor();
  await page.getByRole("button", { name: "Mark all read" }).click();
  await page.getByRole("status").filter({ hasText: "Everything is read." }).waitFor();
  await page.waitForFunction(() => document.getElementById("bell")?.dataset.unread === "0");
  await owner.close();
  await colleague.close();
});

test("a notification preference saves and stays", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, bob);
  await page.goto(`${base}/account/notifications`);
  const choice = page.getByRole("checkbox", { name: "Your export is ready: in the app" });
  assert.equal(await choice.isChecked(), true);
  await choice.uncheck();
  await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
  await page.reload();
  assert.equal(
    await page.getByRole("checkbox", { name: "Your export is ready: in the app" }).isChecked(),
    false,
  );
  await shot(page, "notification-preferences");
  await context.close();
});

test("a dataset is followed from its page and the choice stays", async () => {
  const owner = await browser.newContext();
  const ownerPage = await owner.newPage();
  await signIn(ownerPage);
  const datasetId = await uploadCsv(ownerPage, "follow trial.csv", "site,count\nNorth,1\n");
  const shared = await api(ownerPage, "POST", `/datasets/${datasetId}/shares`, {
    user: bob.email,
    level: "view",
  });
  assert.equal(shared.status, 201, shared.text);
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, bob);
  await page.goto(`${base}/datasets/${datasetId}`);
  const choice = page.getByLabel("Notifications about this dataset");
  await choice.waitFor();
  assert.equal(await choice.inputValue(), "none");
  await choice.selectOption("follow");
  await page.getByText("Saved: you will be told of each new version.").waitFor();
  await page.reload();
  await page.getByLabel("Notifications about this dataset").waitFor();
  assert.equal(await page.getByLabel("Notifications about this dataset").inputValue(), "follow");
  await owner.close();
  await context.close();
});
