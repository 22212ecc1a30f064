// The admin pages in a real browser: users, groups, plugins and the audit log, as a site admin
// uses them. Everything a test needs it makes itself, under names no other file uses.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { api, base, email as adminEmail, launch, shot, signIn } from "./support.mjs";

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

const unique = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const password = `a long password ${unique}`;

async function adminPage() {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page);
  return { context, page };
}

/** The link of the admin navigation marked as the current page. */
async function currentAdminLink(page) {
  return page.locator('nav[aria-label="Administration"] a[aria-current="page"]').innerText();
}

/** Signs in through the form and returns the page it lands on, whatever happens. */
async function trySignIn(who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForLoadState("load");
  return { context, page };
}

test("an admin creates a user who can sign in, then disables and enables them", async () => {
  const { context, page } = await adminPage();
  await page.getByRole("link", { name: "Admin", exact: true }).click();
  await page.waitForURL(/\/admin\/users$/);
  assert.equal(await currentAdminLink(page), "Users");
  assert.equal(
    await page.locator('header nav a[aria-current="page"]').innerText(),
    "Admin",
    "the header marks the admin section",
  );
  await shot(page, "admin-users");

  const who = { email: `una.user.${unique}@example.org`, password };
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Name", { exact: true }).fill("Una User");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByRole("button", { name: "Create user" }).click();
  await page.getByText(/^Not created: the password must be at least 8 characters/).waitFor();

  await page.getByLabel("Password", { exact: true }).fill(who.password);
  await page.getByRole("button", { name: "Create user" }).click();
  await page.getByText(`${who.email} is created and may sign in.`).waitFor();
  const row = page.locator("#users tbody tr", { hasText: who.email });
  assert.match(await row.innerText(), /Una User\s+una\.user.*\s+member\s+active/);
  await shot(page, "admin-users-created");

  // The new person signs in in a browser of their own, and is no admin.
  const first = await trySignIn(who);
  await first.page.waitForURL(/\/datasets$/);
  assert.equal(await first.page.getByRole("link", { name: "Admin", exact: true }).count(), 0);
  const refused = await first.page.goto(`${base}/admin/users`);
  assert.equal(refused.status(), 403);
  await first.page.getByText("This page is for site admins.").waitFor();
  await shot(first.page, "admin-refused-to-member");

  // Disabled: the open session ends and signing in again is refused with a sentence.
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: `Disable: ${who.email}` }).click();
  await page.getByText(`${who.email} is disabled and can no longer sign in.`).waitFor();
  assert.equal(await row.locator("td.state").innerText(), "disabled");
  await shot(page, "admin-users-disabled");
  await first.page.goto(`${base}/datasets`);
  await first.page.waitForURL(/\/login/);
  await first.context.close();

  const second = await trySignIn(who);
  const alert = second.page.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.innerText(), "This account is disabled. Ask a site admin to enable it again.");
  await shot(second.page, "admin-disabled-sign-in");
  await second.context.close();

  // Enabled again and made an admin, as the reloaded page confirms.
  await row.getByRole("button", { name: `Enable: ${who.email}` }).click();
  await page.getByText(`${who.email} may sign in again.`).waitFor();
  await row.getByRole("button", { name: `Make admin: ${who.email}` }).click();
  await page.getByText(`${who.email} is now a site admin.`).waitFor();
  await page.reload();
  const reloaded = page.locator("#users tbody tr", { hasText: who.email });
  assert.match(await reloaded.innerText(), /site admin\s+active/);
  const third = await trySignIn(who);
  await third.page.waitForURL(/\/datasets$/);
  await third.page.getByRole("link", { name: "Admin", exact: true }).waitFor();
  await third.context.close();
  // A member again, from the row the server drew, so no other test meets an extra admin.
  await reloaded.getByRole("button", { name: `Make member: ${who.email}` }).click();
  await page.getByText(`${who.email} is now a member.`).waitFor();
  assert.match(await reloaded.locator("td.role").innerText(), /^member$/);

  // Nobody can lock themselves out from this page: their own row has no buttons.
  const own = page.locator("#users tbody tr", { hasText: adminEmail });
  assert.equal(await own.getByRole("button").count(), 0);
  await context.close();
});

test("a group is created, gains a member by email, loses them, and is deleted", async () => {
  const { context, page } = await adminPage();
  const member = { email: `gus.group.${unique}@example.org`, password };
  const made = await api(page, "POST", "/admin/users", { ...member, name: "Gus Group" });
  assert.equal(made.status, 201, made.text);
  const groupName = `reef divers ${unique}`;

  await page.goto(`${base}/admin/groups`);
  assert.equal(await currentAdminLink(page), "Groups");
  await page.getByLabel("Name", { exact: true }).fill(groupName);
  await page.getByLabel("Description").fill("Everyone who dives the north reef");
  await page.getByRole("button", { name: "Create group" }).click();
  await page.getByText(`The group ${groupName} is created.`, { exact: false }).waitFor();
  const row = page.locator("#groups tbody tr", { hasText: groupName });
  assert.equal(await row.locator("td.count").innerText(), "0");

  // The same name twice is refused with the server's reason.
  await page.getByLabel("Name", { exact: true }).fill(groupName);
  await page.getByRole("button", { name: "Create group" }).click();
  await page.getByText(`Not created: a group named '${groupName}' already exists`).waitFor();

  await row.getByRole("link", { name: groupName }).click();
  await page.waitForURL(/\?group=/);
  await page.getByRole("heading", { name: `Members of ${groupName}` }).waitFor();
  await page.getByText(`${groupName} has no members yet.`).waitFor();

  await page.getByLabel("Email").fill(`nobody.${unique}@example.org`);
  await page.getByRole("button", { name: "Add member" }).click();
  await page.getByText(`Not added: there is no user 'nobody.${unique}@example.org'`).waitFor();

  await page.getByLabel("Email").fill(member.email);
  await page.getByRole("button", { name: "Add member" }).click();
  await page.getByText(`${member.email} is in ${groupName}.`).waitFor();
  const chosen = page.locator("#groups tbody tr", { hasText: groupName });
  assert.equal(await chosen.locator("td.count").innerText(), "1");
  assert.match(await page.locator("#member-list").innerText(), /Gus Group <gus\.group\./);
  await shot(page, "admin-groups");

  // What the server renders agrees.
  await page.reload();
  assert.equal(await page.locator("#groups tbody tr", { hasText: groupName }).locator("td.count").innerText(), "1");
  const item = page.locator("#member-list li", { hasText: member.email });
  assert.match(await item.innerText(), /added \d{4}-\d\d-\d\d/);

  await item.getByRole("button", { name: `Remove ${member.email} from ${groupName}` }).click();
  await page.getByText(`Gus Group <${member.email}> is no longer in ${groupName}.`).waitFor();
  assert.equal(await page.locator("#groups tbody tr", { hasText: groupName }).locator("td.count").innerText(), "0");
  await page.getByText(`${groupName} has no members yet.`).waitFor();

  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: `Delete ${groupName}` }).click();
  await page.getByText(`The group ${groupName} is deleted.`).waitFor();
  assert.equal(await page.locator("#groups tbody tr", { hasText: groupName }).count(), 0);
  await page.goto(`${base}/admin/groups`);
  assert.equal(await page.locator("#groups tbody tr", { hasText: groupName }).count(), 0);
  await context.close();
});

test("the csv plugin is listed; disabled, nobody is offered it; enabled again, it is back", async () => {
  const { context, page } = await adminPage();
  const formats = async () => (await api(page, "GET", "/plugins")).json.map((p) => p.id);
  try {
    await page.goto(`${base}/admin/plugins`);
    assert.equal(await currentAdminLink(page), "Plugins");
    const row = page.locator('#plugins tr[data-plugin="csv"]');
    const text = await row.innerText();
    assert.match(text, /CSV\s+csv\s+exporter by Tessera/);
    assert.match(text, /0\.1\.0\s+enabled/);
    assert.match(text, /MiB of memory/);
    assert.match(text, /nothing to approve/);
    await shot(page, "admin-plugins");

    await row.getByRole("button", { name: "Disable CSV" }).click();
    await page.getByText("CSV is disabled: nobody can start an export with it.").waitFor();
    assert.equal(await row.locator("td.state").innerText(), "disabled");
    assert.ok(!(await formats()).includes("csv"));
    await page.reload();
    assert.equal(await page.locator('#plugins tr[data-plugin="csv"] td.state').innerText(), "disabled");
    await shot(page, "admin-plugins-disabled");

    await page.getByRole("button", { name: "Enable CSV" }).click();
    await page.getByText("CSV is enabled.").waitFor();
    assert.equal(await page.locator('#plugins tr[data-plugin="csv"] td.state').innerText(), "enabled");
    assert.ok((await formats()).includes("csv"));
  } finally {
    // Other files export CSV: leave it on whatever happened here.
    await api(page, "POST", "/admin/plugins/csv/enable", {});
    await context.close();
  }
});

const scratchDir = fileURLToPath(new URL("../../../plugins/dist-test/scratch/", import.meta.url));

test("installing: a component that is no plugin is refused with the server's reason", async () => {
  const { context, page } = await adminPage();
  await page.goto(`${base}/admin/plugins`);
  const manifest = [
    `id = "bogus-${unique}"`,
    'name = "Bogus"',
    'version = "0.1.0"',
    'kind = "exporter"',
    'api_version = "0.1.0"',
    'component = "bogus.wasm"',
    "",
  ].join("\n");
  await page.getByLabel("Manifest (plugin.toml)").setInputFiles({
    name: "plugin.toml",
    mimeType: "text/plain",
    buffer: Buffer.from(manifest),
  });
  await page.getByLabel("Component (.wasm)").setInputFiles({
    name: "bogus.wasm",
    mimeType: "application/wasm",
    buffer: Buffer.from("this is not WebAssembly"),
  });
  await page.getByRole("button", { name: "Install" }).click();
  const status = page.locator("#plugins-status");
  await page.waitForFunction(() => document.getElementById("plugins-status").textContent.startsWith("Not installed"));
  assert.match(await status.innerText(), /^Not installed: \S.{10,}/);
  await shot(page, "admin-plugins-install-refused");
  assert.equal(await page.locator(`#plugins tr[data-plugin="bogus-${unique}"]`).count(), 0);
  await context.close();
});

test(
  "installing: a plugin asking for a scratch folder waits for approval, then is enabled and removed",
  { skip: !existsSync(scratchDir) && "the test plugins are not built (scripts/build-plugins)" },
  async () => {
    const { context, page } = await adminPage();
    await page.goto(`${base}/admin/plugins`);
    const files = async () => {
      await page.getByLabel("Manifest (plugin.toml)").setInputFiles(`${scratchDir}plugin.toml`);
      await page.getByLabel("Component (.wasm)").setInputFiles(`${scratchDir}scratch.wasm`);
    };
    // Enabling at once without approving is refused, in words.
    await files();
    await page.getByRole("button", { name: "Install" }).click();
    await page.getByText(/^Not installed: plugin 'scratch' asks for a scratch folder of 1 MiB/).waitFor();

    await page.getByLabel("enable it").uncheck();
    await page.getByRole("button", { name: "Install" }).click();
    await page.waitForURL(/\/admin\/plugins$/);
    await page.getByText("Hostile: scratch 0.1.0 is installed (pending approval).").waitFor();
    const row = page.locator('#plugins tr[data-plugin="scratch"]');
    assert.match(await row.locator("td.state").innerText(), /pending approval/);
    assert.match(await row.locator("td.requests").innerText(), /a scratch folder of 1 MiB/);
    assert.equal(await row.locator("td.approved").innerText(), "nothing yet");
    await shot(page, "admin-plugins-pending");

    let asked = "";
    page.once("dialog", (dialog) => {
      asked = dialog.message();
      dialog.accept();
    });
    await row.getByRole("button", { name: "Approve and enable Hostile: scratch" }).click();
    await page.getByText("Hostile: scratch is approved and enabled.").waitFor();
    assert.match(asked, /scratch folder of 1 MiB/, "the admin is told what they approve");
    assert.equal(await row.locator("td.approved").innerText(), "all of it");
    assert.ok((await api(page, "GET", "/plugins")).json.some((p) => p.id === "scratch"));

    page.once("dialog", (dialog) => dialog.accept());
    await row.getByRole("button", { name: "Remove Hostile: scratch" }).click();
    await page.getByText("Hostile: scratch is removed.").waitFor();
    assert.equal(await page.locator('#plugins tr[data-plugin="scratch"]').count(), 0);
    const left = await api(page, "GET", "/admin/plugins");
    assert.ok(!left.json.some((p) => p.id === "scratch"));
    // A plugin of the server's folder can only be disabled.
    assert.equal(await page.locator('#plugins tr[data-plugin="csv"]').getByRole("button", { name: /Remove/ }).count(), 0);
    await context.close();
  },
);

test("the audit log filtered by action, exported as CSV with the same filter, its chain verified", async () => {
  const { context, page } = await adminPage();
  const audited = `ada.audit.${unique}@example.org`;
  const made = await api(page, "POST", "/admin/users", { email: audited, name: "Ada Audit", password });
  assert.equal(made.status, 201, made.text);

  await page.goto(`${base}/admin/audit`);
  assert.equal(await currentAdminLink(page), "Audit log");
  await page.getByLabel("Action").fill("admin.user.create");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/action=admin\.user\.create/);
  const actions = await page.locator("table.audit td.action").allInnerTexts();
  assert.ok(actions.length >= 1);
  assert.deepEqual([...new Set(actions)], ["admin.user.create"]);
  const entry = page.locator("table.audit tbody tr", { hasText: audited });
  assert.equal(await entry.count(), 1, "the target is shown by email");
  assert.match(await entry.locator("td.actor").innerText(), new RegExp(adminEmail.replace(/\./g, "\\.")));
  assert.equal(await entry.locator("td.outcome").innerText(), "ok");
  await shot(page, "admin-audit");

  // The export carries the filter and is CSV with a header row.
  const link = page.getByRole("link", { name: "Export as CSV" });
  assert.match(await link.getAttribute("href"), /format=csv.*action=admin\.user\.create/);
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  assert.equal(await download.failure(), null);
  const csv = readFileSync(await download.path(), "utf8").trim().split(/\r?\n/);
  assert.equal(csv[0], "seq,at,actor,action,target,outcome,detail,address,hash");
  assert.ok(csv.length >= 2);
  for (const line of csv.slice(1)) assert.match(line, /,admin\.user\.create,/);
  assert.ok(csv.some((line) => line.includes(made.json.id)));

  await page.getByRole("button", { name: "Verify the chain" }).click();
  await page.getByText(/^The chain is intact: all \d+ entries are as they were written\.$/).waitFor();
  await shot(page, "admin-audit-verified");

  // An actor's entries, by clicking one; an unreadable date is refused in words.
  await entry.locator("td.actor a").click();
  await page.waitForURL(/actor=user(%3A|:)/);
  const actors = await page.locator("table.audit td.actor").allInnerTexts();
  assert.deepEqual([...new Set(actors)], [adminEmail]);
  await page.goto(`${base}/admin/audit?since=last+tuesday`);
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /“From” must be a date such as 2030-01-31/);
  assert.equal(await page.locator("table.audit").count(), 0);
  await context.close();
});

test("admin pages read without JavaScript, and fit a phone", async () => {
  const plain = await browser.newContext({ javaScriptEnabled: false });
  const page = await plain.newPage();
  await signIn(page);
  const pages = [
    ["/admin/users", "Users", "#users tbody tr"],
    ["/admin/groups", "Groups", "h1"],
    ["/admin/policies", "Policies", "h1"],
    ["/admin/plugins", "Plugins", '#plugins tr[data-plugin="csv"]'],
    ["/admin/audit", "Audit log", "table.audit tbody tr"],
  ];
  for (const [path, current, content] of pages) {
    await page.goto(`${base}${path}`);
    assert.equal(await currentAdminLink(page), current);
    assert.ok((await page.locator(content).count()) >= 1, `${path} shows ${content}`);
  }
  // The filter is a plain form.
  await page.goto(`${base}/admin/audit`);
  await page.getByLabel("Outcome").selectOption("granted");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/outcome=granted/);
  const outcomes = await page.locator("table.audit td.outcome").allInnerTexts();
  assert.deepEqual([...new Set(outcomes)], ["granted"]);
  assert.equal(await page.getByRole("button", { name: "Create user" }).count(), 0);
  await plain.close();

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const small = await phone.newPage();
  await signIn(small);
  for (const [path, name] of [
    ["/admin/users", "admin-users-phone"],
    ["/admin/audit", "admin-audit-phone"],
    ["/admin/plugins", "admin-plugins-phone"],
  ]) {
    await small.goto(`${base}${path}`);
    await shot(small, name);
    const width = await small.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${path} is ${width}px wide`);
  }
  await phone.close();
});
