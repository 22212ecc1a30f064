// Issue 16 in a real browser: sharing with a person picked from suggestions typed as part of a
// name (keyboard only), the licence offered from the SPDX list and an unknown one refused
// beside its field, and "Saved" shown after the details are saved without a reload.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, base, launch, openTab, shot, signIn, uploadCsv } from "./support.mjs";

let browser;
let datasetId;

before(async () => {
  browser = await launch();
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  datasetId = await uploadCsv(page, "picker trial.csv", "site,count\nNorth,1\nSouth,2\n");
  const made = await api(page, "POST", "/admin/users", {
    email: "tomasz.kowalski@example.org",
    name: "Tomasz Kowalski",
    password: "long enough password",
  });
  assert.equal(made.status, 201, made.text);
  await context.close();
});

after(async () => {
  await browser?.close();
});

async function openDataset(context) {
  const page = await context.newPage();
  await signIn(page);
  await page.goto(`${base}/datasets/${datasetId}`);
  await page.getByRole("heading", { level: 1, name: "picker trial" }).waitFor();
  return page;
}

test("a person is picked from suggestions with the keyboard and shared with", async () => {
  const context = await browser.newContext();
  const page = await openDataset(context);
  await openTab(page, "Share");
  const who = page.getByRole("combobox", { name: "Email or name" });
  assert.equal(await who.getAttribute("aria-expanded"), "false");

  // An unknown name is refused beside the field, which is marked and focused.
  await who.fill("Nobody Atall");
  await page.getByRole("button", { name: "Share", exact: true }).click();
  const error = page.locator("#share-who-error");
  await error.waitFor();
  assert.match(await error.innerText(), /no one called/i);
  assert.equal(await who.getAttribute("aria-invalid"), "true");
  assert.match(await who.getAttribute("aria-describedby"), /share-who-error/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "share-who");
  await shot(page, "picker-share-error");

  // Typing part of the name, in another case, offers the person; arrows and Enter pick them.
  await who.fill("");
  await who.pressSequentially("kowAL", { delay: 20 });
  assert.equal(await who.getAttribute("aria-invalid"), null);
  const listbox = page.locator(`#${await who.getAttribute("aria-controls")}`);
  await listbox.getByRole("option", { name: /Tomasz Kowalski/ }).waitFor();
  assert.equal(await who.getAttribute("aria-expanded"), "true");
  await shot(page, "picker-suggestions");
  await who.press("ArrowDown");
  assert.equal(await listbox.getByRole("option").first().getAttribute("aria-selected"), "true");
  await who.press("Enter");
  assert.equal(await who.inputValue(), "Tomasz Kowalski");
  assert.equal(await page.locator("#share-kind").inputValue(), "user");
  assert.equal(await who.getAttribute("aria-expanded"), "false");

  // Escape closes the list without picking.
  await who.fill("");
  await who.pressSequentially("tomasz", { delay: 20 });
  await listbox.getByRole("option").first().waitFor();
  await who.press("Escape");
  assert.equal(await who.getAttribute("aria-expanded"), "false");
  assert.equal(await who.inputValue(), "tomasz");
  await who.fill("");
  await who.pressSequentially("Kowalski", { delay: 20 });
  await listbox.getByRole("option").first().waitFor();
  await who.press("ArrowDown");
  await who.press("Enter");

  await page.getByRole("button", { name: "Share", exact: true }).click();
  await page.locator("#shares tbody tr", { hasText: "Tomasz Kowalski" }).waitFor();
  const shares = await api(page, "GET", `/datasets/${datasetId}/shares`);
  assert.equal(shares.status, 200);
  assert.ok(JSON.stringify(shares.json).includes("Tomasz Kowalski"), shares.text);
  await context.close();
});

test("a licence is picked from the SPDX list, an unknown one refused beside it, and Saved shown", async () => {
  const context = await browser.newContext();
  const page = await openDataset(context);
  await page.evaluate(() => {
    window.notReloaded = true;
  });
  await page.getByText("Edit the name, description, licence and tags").click();
  const licence = page.getByLabel("Licence");
  const list = await licence.getAttribute("list");
  assert.equal(await page.locator(`#${list} option[value="CC-BY-4.0"]`).count(), 1);
  assert.equal(await page.locator(`#${list} option[value="other (see description)"]`).count(), 1);

  await licence.fill("CC-BY-4");
  await page.getByRole("button", { name: "Save" }).click();
  const error = page.locator("#meta-licence-error");
  await error.waitFor();
  assert.match(await error.innerText(), /did you mean CC-BY-4\.0/);
  assert.equal(await licence.getAttribute("aria-invalid"), "true");
  assert.match(await licence.getAttribute("aria-describedby"), /meta-licence-error/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "meta-licence");
  await shot(page, "picker-licence-error");

  await licence.fill("CC-BY-4.0");
  assert.equal(await licence.getAttribute("aria-invalid"), null);
  assert.equal(await error.count(), 0);
  await page.getByLabel("Description").fill("Counts from two sites");
  await page.getByRole("button", { name: "Save" }).click();
  const saved = page.getByRole("status").filter({ hasText: /^Saved at / });
  await saved.waitFor();
  assert.match(await saved.innerText(), /Saved at \d/);
  await page.locator("p.description", { hasText: "Counts from two sites" }).waitFor();
  assert.match(await page.locator("dl.facts").innerText(), /CC-BY-4\.0/);
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  await shot(page, "picker-saved");
  await context.close();
});
