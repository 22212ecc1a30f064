// A dataset's page in a real browser: the export dialog (format options from the plugin's
// schema, columns chosen, renamed and reordered, filters, sort, a queued job with its
// manifest in the history), editing the details, and uploading a new version.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { api, base, launch, openTab, shot, signIn, uploadCsv } from "./support.mjs";

let browser;
let datasetId;

const csv = [
  "id,site,score,flag,note",
  "1,North,4.5,true,calm",
  "2,South,7.25,false,\"windy, wet\"",
  "3,East,9,true,",
  "4,West,5,false,Zürich",
  "",
].join("\n");

before(async () => {
  browser = await launch();
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  datasetId = await uploadCsv(page, "trial results.csv", csv);
  await context.close();
});

after(async () => {
  await browser?.close();
});

/** The dataset's page, at one of its parts (the export dialog unless told). */
async function openDataset(context, part = "exports") {
  const page = await context.newPage();
  await signIn(page);
  await page.goto(`${base}/datasets/${datasetId}#${part}`);
  await page.getByRole("heading", { level: 1, name: "trial results" }).waitFor();
  return page;
}

async function downloaded(page, click) {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  assert.equal(await download.failure(), null);
  return { name: download.suggestedFilename(), text: await readFile(await download.path(), "utf8") };
}

test("columns left out, renamed and moved, rows filtered and sorted, the format's own option set", async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await openDataset(context);
  await page.getByText("Columns: include, rename, reorder").click();
  await page.getByLabel("Include note").uncheck();
  await page.getByLabel("Name for score in the export").fill("result");
  await page.getByRole("button", { name: "Move site up" }).click();
  await page.getByText("Rows: filter and sort").click();
  await page.getByRole("button", { name: "Add a condition" }).click();
  const condition = page.locator("#conditions li").first();
  await condition.getByLabel("Column").selectOption("score");
  await condition.getByLabel("is").selectOption(">=");
  await condition.getByLabel("Value").fill("5");
  await page.getByLabel("Sort by").selectOption("score");
  await page.locator("#sort-first-desc").check();
  await page.getByLabel("Format", { exact: true }).selectOption("csv");
  // The CSV plugin's options schema offers a delimiter; other formats' options stay hidden.
  await page.getByText("CSV options").click();
  await page.getByRole("textbox", { name: "Delimiter" }).fill(";");
  assert.equal(await page.getByLabel("Structure").isVisible(), false);
  await shot(page, "dataset-export-dialog");

  const file = await downloaded(page, () => page.getByRole("button", { name: "Download now" }).click());
  assert.ok(file.name.endsWith(".csv"), file.name);
  assert.equal(file.text, "site;id;result;flag\nEast;3;9;true\nSouth;2;7.25;false\nWest;4;5;false\n");
  await page.getByText(/^Downloaded .*\.csv/).waitFor();
  await context.close();
});

test("a value that does not fit its column, and an option the plugin refuses, read as sentences", async () => {
  const context = await browser.newContext();
  const page = await openDataset(context);
  await page.getByText("Rows: filter and sort").click();
  await page.getByRole("button", { name: "Add a condition" }).click();
  const condition = page.locator("#conditions li").first();
  await condition.getByLabel("Column").selectOption("score");
  await condition.getByLabel("Value").fill("high");
  await page.getByRole("button", { name: "Download now" }).click();
  await page.getByText("“high” is not a number, and score holds numbers.").waitFor();

  await condition.getByRole("button", { name: "Remove" }).click();
  await page.getByLabel("Format", { exact: true }).selectOption("csv");
  await page.getByText("CSV options").click();
  await page.getByRole("textbox", { name: "Delimiter" }).fill("\"");
  await page.getByRole("button", { name: "Download now" }).click();
  const status = page.locator("#export-status");
  await page.waitForFunction(() => document.getElementById("export-status").textContent.startsWith("The export was refused"));
  assert.match(await status.innerText(), /^The export was refused: the option “Delimiter”: "\\"" is not accepted \(The character between fields/);
  await shot(page, "dataset-export-refused");
  await context.close();
});

test("a queued NDJSON export reaches 100% and joins the history with its manifest", async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await openDataset(context);
  await page.getByLabel("Format", { exact: true }).selectOption("json");
  await page.getByText("JSON options").click();
  await page.getByLabel("Structure").selectOption("ndjson");
  await page.getByLabel("At most this many rows").fill("3");
  await page.getByRole("button", { name: "Export in the background" }).click();
  await page.waitForFunction(() => document.getElementById("job-status").textContent.startsWith("Done"), null, {
    timeout: 60_000,
  });
  assert.equal(await page.locator("#job-progress").getAttribute("value"), "100");
  const file = await downloaded(page, () => page.locator("#job-download").click());
  const lines = file.text.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((row) => row.site), ["North", "South", "East"]);

  // The history, as a reload shows it to the same person, with the manifest's settings.
  await page.reload();
  const row = page.locator("#export-history tbody tr").first();
  assert.match(await row.innerText(), /json[\s\S]*done[\s\S]*3/);
  await row.getByText("Manifest").click();
  const manifest = JSON.parse(await row.locator("pre").innerText());
  assert.equal(manifest.export.options.structure, "ndjson");
  assert.equal(manifest.rows, 3);
  assert.match(manifest.output.sha256, /^[0-9a-f]{64}$/);
  await shot(page, "dataset-export-history");
  await context.close();
});

test("an editor changes the details and uploads a new version", async () => {
  const context = await browser.newContext();
  const page = await openDataset(context, "history");
  await page.getByText("Edit the name, description, licence and tags").click();
  await page.getByLabel("Description").fill("Field trial, spring season");
  await page.getByLabel("Licence").fill("CC-BY-4.0");
  await page.getByLabel("Tags").fill("field, spring");
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator("p.description", { hasText: "Field trial, spring season" }).waitFor();
  const facts = await page.locator("dl.facts").innerText();
  assert.match(facts, /CC-BY-4\.0/);
  assert.match(facts, /field, spring/);

  await page.setInputFiles("#file", {
    name: "trial results v2.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`${csv}5,Centre,6.5,true,added\n`),
  });
  await page.waitForFunction(() => document.querySelectorAll("#versions tbody tr").length === 2, null, {
    timeout: 30_000,
  });
  const versions = await page.locator("#versions").innerText();
  assert.match(versions, /trial results v2\.csv\s+5/);
  assert.equal(await page.getByLabel("Version", { exact: true }).first().inputValue(), "2");
  await shot(page, "dataset-new-version");
  await context.close();
});

test("a different schema is shown and confirmed; an older version made current; one withdrawn", async () => {
  const context = await browser.newContext();
  const page = await openDataset(context, "history");
  const rows = () => page.locator("#versions tbody tr");
  const before = await rows().count();
  // Without the note column: the check says so, with both row counts, and asks first.
  await page.setInputFiles("#file", {
    name: "trial results v3.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("id,site,score,flag\n1,North,4.5,true\n"),
  });
  const check = page.locator("#version-check");
  await check.getByRole("button", { name: "Upload anyway" }).waitFor({ timeout: 30_000 });
  const said = await check.innerText();
  assert.match(said, /has 1 rows; version \d+, the current one, has 5/);
  assert.match(said, /Columns removed: note\./);
  await shot(page, "dataset-version-check");
  await check.getByRole("button", { name: "Upload anyway" }).click();
  await page.waitForFunction((n) => document.querySelectorAll("#versions tbody tr").length === n, before + 1, {
    timeout: 30_000,
  });

  // The version before it comes back as a new version, its note saying so.
  const previous = before;
  await page.getByRole("button", { name: "Make current" }).first().waitFor();
  await rows().filter({ hasText: `trial results v2.csv` }).getByRole("button", { name: "Make current" }).click();
  await page.getByLabel(/A note for the change note/).fill("the note column is needed");
  await page.getByRole("button", { name: `Make version ${previous} current` }).click();
  await page.waitForFunction((n) => document.querySelectorAll("#versions tbody tr").length === n, before + 2, {
    timeout: 30_000,
  });
  assert.match(await rows().first().innerText(), new RegExp(`Restored version ${previous}: the note column is needed`));

  // The schema-changing version is withdrawn, with a reason, and marked so.
  const third = rows().filter({ hasText: "trial results v3.csv" });
  await third.getByRole("button", { name: "Withdraw" }).click();
  await page.getByLabel(/Why is version \d+ withdrawn/).fill("uploaded by mistake");
  await third.getByRole("button", { name: /Withdraw version \d+/ }).click();
  await rows().filter({ hasText: "uploaded by mistake" }).waitFor({ timeout: 30_000 });
  assert.match(await rows().filter({ hasText: "trial results v3.csv" }).innerText(), /Withdrawn on .* by .*: uploaded by mistake/);
  await shot(page, "dataset-versions-withdrawn");
  await context.close();
});

test("without JavaScript the export form still downloads", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, acceptDownloads: true });
  const page = await openDataset(context);
  await page.getByLabel("Format", { exact: true }).selectOption("csv");
  const file = await downloaded(page, () => page.getByRole("button", { name: "Download now" }).click());
  assert.match(file.text, /^id,site,score,flag,note\n/);
  await context.close();
});

test("the dataset page fits a phone: wide tables scroll inside their box, not the page", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await openDataset(context);
  await page.getByText("Columns: include, rename, reorder").click();
  await page.getByText("Rows: filter and sort").click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await shot(page, "dataset-phone");
  await context.close();
});

test("who has access: a group share reaches its members, shown with the way it does", async () => {
  const context = await browser.newContext();
  const page = await openDataset(context, "sharing");
  const member = await api(page, "POST", "/admin/users", {
    email: "field.member@example.org",
    name: "Fiona Field",
    password: "a long enough password",
  });
  assert.equal(member.status, 201, member.text);
  const group = await api(page, "POST", "/groups", { name: "Field team" });
  assert.equal(group.status, 201, group.text);
  const joined = await api(page, "POST", `/groups/${group.json.id}/members`, { user: "field.member@example.org" });
  assert.ok(joined.status < 300, joined.text);
  await page.reload();
  assert.equal(await page.locator("#holders tr", { hasText: "field.member@example.org" }).count(), 0);

  await page.getByLabel("With a").selectOption("group");
  await page.getByLabel("Email or name").fill("Field team");
  await page.getByLabel("Level").selectOption("edit");
  await page.getByRole("button", { name: "Share", exact: true }).click();
  const holder = page.locator("#holders tr", { hasText: "field.member@example.org" });
  await holder.waitFor();
  assert.deepEqual((await holder.locator("td").allInnerTexts()).slice(1), ["edit", "a share, through group Field team"]);
  await shot(page, "dataset-who-has-access");
  await context.close();
});

test("a finished export's file shared through a link, downloaded by someone without an account", async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await openDataset(context);
  await page.getByLabel("Format", { exact: true }).selectOption("csv");
  await page.getByRole("button", { name: "Export in the background" }).click();
  await page.waitForFunction(() => document.getElementById("job-status").textContent.startsWith("Done"), null, {
    timeout: 60_000,
  });
  await page.reload();
  await openTab(page, "Share");
  const item = page.getByLabel("Shares");
  const fileOption = await item.locator("option", { hasText: /the exported file .*\.csv/ }).first().getAttribute("value");
  await item.selectOption(fileOption);
  assert.equal(await page.getByLabel("Lets people").isDisabled(), true);
  await page.getByLabel("Downloads allowed").fill("1");
  await page.getByRole("button", { name: "Create link" }).click();
  await page.waitForFunction(() => document.getElementById("link-status").textContent !== "");
  assert.match(await page.locator("#link-status").innerText(), /^Link created/);
  const url = await page.getByLabel("Link (shown once)").inputValue();
  assert.match(url, /\/s\/[A-Za-z0-9_-]{22}$/);

  const stranger = await browser.newContext({ acceptDownloads: true });
  const visitor = await stranger.newPage();
  await visitor.goto(url);
  const file = await downloaded(visitor, () => visitor.getByRole("link", { name: "Download" }).click());
  assert.ok(file.name.endsWith(".csv"), file.name);
  assert.match(file.text, /^id,site,score,flag,note\n/);
  await shot(visitor, "dataset-export-link-visitor");
  await stranger.close();
  await context.close();
});

test("the link form offers what the API can: formats, columns and an expiry in days, then resets", async () => {
  const context = await browser.newContext();
  const page = await openDataset(context, "sharing");
  await page.getByLabel("Expires after").fill("3");
  await page.getByLabel("Expiry unit").selectOption("86400");
  await page.getByLabel("Downloads allowed").fill("2");
  const formats = page.locator("#link-formats");
  await formats.getByLabel("csv", { exact: true }).check();
  const columns = page.locator("#link-columns");
  for (const column of ["id", "site", "score"]) {
    await columns.getByLabel(column, { exact: true }).check();
  }
  await page.getByRole("button", { name: "Create link" }).click();
  await page.waitForFunction(() => document.getElementById("link-status").textContent.startsWith("Link created"));
  // The form is ready for the next link.
  assert.equal(await page.getByLabel("Downloads allowed").inputValue(), "");
  assert.equal(await formats.getByLabel("csv", { exact: true }).isChecked(), false);
  await shot(page, "dataset-link-form");

  const listed = await api(page, "GET", `/datasets/${datasetId}/links`);
  assert.equal(listed.status, 200);
  const made = listed.json.find((link) => link.max_downloads === 2 && link.columns);
  assert.ok(made, JSON.stringify(listed.json));
  assert.deepEqual(made.formats, ["csv"]);
  assert.deepEqual(made.columns, ["id", "site", "score"]);
  const days = (Date.parse(made.expires_at) - Date.parse(made.created_at)) / 86_400_000;
  assert.ok(Math.abs(days - 3) < 0.01, `expires after ${days} days`);
  await context.close();
});

test("a link that expires on a date, at the end of that day; a date and a number of days are one too many", async () => {
  const context = await browser.newContext({ timezoneId: "Pacific/Auckland" });
  const page = await openDataset(context, "sharing");
  const day = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("or on this date").fill(day);
  await page.getByLabel("Expires after").fill("2");
  await page.getByRole("button", { name: "Create link" }).click();
  const dateField = page.getByLabel("or on this date");
  await page.locator("#link-expires-on[aria-invalid='true']").waitFor();
  assert.match(await page.locator("#link-status").innerText(), /or a date, not both/);

  await page.getByLabel("Expires after").fill("");
  await dateField.fill(day);
  await page.getByLabel("Downloads allowed").fill("7");
  await page.getByRole("button", { name: "Create link" }).click();
  await page.waitForFunction(() => document.getElementById("link-status").textContent.startsWith("Link created"));
  const listed = await api(page, "GET", `/datasets/${datasetId}/links`);
  const made = listed.json.find((link) => link.max_downloads === 7);
  assert.ok(made, JSON.stringify(listed.json));
  // The end of that day in Auckland (UTC+12 or +13), as the instant the server keeps.
  const local = new Date(made.expires_at).toLocaleString("sv-SE", { timeZone: "Pacific/Auckland" });
  assert.equal(local, `${day} 23:59:59`);
  await context.close();
});
