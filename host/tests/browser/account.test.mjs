// The account page in a real browser: who you are, and personal API tokens made, copied, used
// and revoked from the page. Each test makes its own account, so no other file's tokens show.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, base, launch, shot, signIn } from "./support.mjs";

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

const unique = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A member account made by the admin, for this file only. */
async function newMember(name) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  const who = {
    email: `${name.toLowerCase().replace(/\W+/g, ".")}.${unique}@example.org`,
    password: `a long password ${unique}`,
  };
  const made = await api(page, "POST", "/admin/users", { ...who, name });
  assert.equal(made.status, 201, made.text);
  await context.close();
  return who;
}

async function me(secret) {
  return fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
}

test("a token made on the account page is shown once, works, and stops when revoked there", async () => {
  const who = await newMember("Tina Tokens");
  const context = await browser.newContext();
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  await signIn(page, who);

  // The name in the header leads to the account.
  await page.getByRole("link", { name: "Tina Tokens" }).click();
  await page.waitForURL(/\/account$/);
  await page.getByRole("heading", { level: 1, name: "Your account" }).waitFor();
  const facts = await page.locator("dl.facts").innerText();
  assert.match(facts, new RegExp(who.email.replace(/\./g, "\\.")));
  assert.match(facts, /Role\s+Member/);
  assert.equal(await page.getByRole("link", { name: "Admin", exact: true }).count(), 0);
  await page.getByText("You have no API tokens.").waitFor();
  await shot(page, "account");

  // Nothing may be asked of a token: refused with the server's reason, as a sentence.
  await page.getByLabel("Name", { exact: true }).fill("nothing at all");
  await page.getByLabel("read", { exact: true }).uncheck();
  await page.getByRole("button", { name: "Create token" }).click();
  await page.getByText(/^Not created: scopes must name at least one/).waitFor();
  assert.equal(await page.locator("#new-secret").isVisible(), false);

  await page.getByLabel("Name", { exact: true }).fill("nightly backup");
  await page.getByLabel("read", { exact: true }).check();
  await page.getByLabel("Expires after (days)").fill("30");
  await page.getByRole("button", { name: "Create token" }).click();
  const secretField = page.getByLabel("Token", { exact: true });
  await secretField.waitFor();
  const secret = await secretField.inputValue();
  assert.match(secret, /^tsr_\S{20,}$/);
  assert.equal(await secretField.getAttribute("readonly"), "");
  await page.getByText("will not show it again").waitFor();
  const row = page.locator("#tokens tbody tr", { hasText: "nightly backup" });
  assert.equal(await row.count(), 1);
  assert.match(await row.innerText(), /read/);
  assert.match(await row.locator("td").nth(4).innerText(), /UTC/, "it expires in 30 days");
  await page.getByRole("button", { name: "Copy" }).click();
  await page.getByText("The token is copied.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await shot(page, "account-token-created");

  // The token is the person, for a script.
  const answer = await me(secret);
  assert.equal(answer.status, 200);
  assert.equal((await answer.json()).email, who.email);

  // Shown once: after a reload the token is listed, its secret gone, its use recorded.
  await page.reload();
  assert.equal(await page.locator("#new-secret").isVisible(), false);
  assert.equal(await page.getByText(secret).count(), 0);
  const listed = page.locator("#tokens tbody tr", { hasText: "nightly backup" });
  assert.match(await listed.innerText(), new RegExp(secret.slice(0, 10)));
  assert.match(await listed.locator("td").nth(5).innerText(), /UTC/, "last used");
  await shot(page, "account-tokens");

  page.once("dialog", (dialog) => dialog.accept());
  await listed.getByRole("button", { name: "Revoke nightly backup" }).click();
  await page.getByText("nightly backup is revoked.").waitFor();
  assert.equal(await page.locator("#tokens tbody tr", { hasText: "nightly backup" }).count(), 0);
  await page.getByText("You have no API tokens.").waitFor();
  await shot(page, "account-token-revoked");

  assert.equal((await me(secret)).status, 401);
  await page.reload();
  await page.getByText("You have no API tokens.").waitFor();
  await context.close();
});

test("the account page reads without JavaScript, and fits a phone", async () => {
  const who = await newMember("Pia Phone");
  const setup = await browser.newContext();
  const setupPage = await setup.newPage();
  await signIn(setupPage, who);
  const made = await api(setupPage, "POST", "/tokens", { name: "field laptop" });
  assert.equal(made.status, 201, made.text);
  await setup.close();

  const plain = await browser.newContext({ javaScriptEnabled: false });
  const page = await plain.newPage();
  await signIn(page, who);
  await page.goto(`${base}/account`);
  assert.match(await page.locator("#tokens").innerText(), /field laptop/);
  assert.equal(await page.getByRole("button", { name: "Create token" }).isVisible(), false);
  await plain.close();

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const small = await phone.newPage();
  await signIn(small, who);
  await small.goto(`${base}/account`);
  await small.getByRole("button", { name: "Create token" }).waitFor();
  await shot(small, "account-phone");
  const width = await small.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page is ${width}px wide`);
  await phone.close();
});
