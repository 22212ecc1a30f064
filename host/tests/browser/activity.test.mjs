// Activity people can look at (issue 17): known events made here (a dataset in a team of its
// own, links viewed and downloaded by someone without an account, a wrong password), then the
// owner's Activity tab and the admin's tracking dashboard chart them, one point a day, with
// the same numbers in the table beneath each chart, and the numbers download as a file made
// by the CSV export plugin. Everything a test needs it makes itself, under names no other file
// uses, so the other files' events do not change these numbers.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { api, base, launch, openTab, shot, signIn } from "./support.mjs";

const unique = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const owner = { email: `olive.${unique}@example.org`, password: `a long password ${unique}` };
const VIEWS = 3;
const DOWNLOADS = 2;

let browser;
let teamId;
let datasetId;
let linkId;
let guardedId;

/** Today in UTC, as the reports count days. */
const today = () => new Date().toISOString().slice(0, 10);

async function signedIn(who) {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  await signIn(page, who);
  return { context, page };
}

before(async () => {
  browser = await launch();
  const admin = await signedIn();
  const made = await api(admin.page, "POST", "/admin/users", { ...owner, name: "Olive Owner" });
  assert.equal(made.status, 201, made.text);
  const team = await api(admin.page, "POST", "/teams", { name: `Activity lab ${unique}` });
  assert.equal(team.status, 201, team.text);
  teamId = team.json.id;
  const joined = await api(admin.page, "POST", `/teams/${teamId}/members`, { user: owner.email });
  assert.ok(joined.status < 300, joined.text);
  await admin.context.close();

  // The owner uploads a dataset into the team and shares it through two links.
  const { context, page } = await signedIn(owner);
  const cookies = await context.cookies(base);
  const csrf = cookies.find((c) => c.name === "tessera_csrf")?.value ?? "";
  const uploaded = await page.request.post(`${base}/api/v1/datasets`, {
    headers: { "x-csrf-token": csrf },
    multipart: {
      file: { name: "plankton counts.csv", mimeType: "text/csv", buffer: Buffer.from("site,count\nA,1\nB,2\nC,3\n") },
      team: teamId,
    },
  });
  assert.equal(uploaded.status(), 201, await uploaded.text());
  datasetId = (await uploaded.json()).id;
  const link = await api(page, "POST", `/datasets/${datasetId}/links`, { level: "download", name: "for the survey" });
  assert.equal(link.status, 201, link.text);
  linkId = link.json.link?.id ?? link.json.id;
  const guarded = await api(page, "POST", `/datasets/${datasetId}/links`, {
    level: "view",
    name: "guarded",
    password: "correct horse",
  });
  assert.equal(guarded.status, 201, guarded.text);
  guardedId = guarded.json.link?.id ?? guarded.json.id;
  // One export, in the background, to its end.
  const queued = await api(page, "POST", `/datasets/${datasetId}/exports`, { format: "csv" });
  assert.ok(queued.status < 300, queued.text);
  let job = null;
  for (let i = 0; i < 200 && !["done", "failed", "cancelled"].includes(job?.status); i += 1) {
    if (i > 0) await page.waitForTimeout(100);
    job = (await api(page, "GET", `/exports/${queued.json.job_id}`)).json;
  }
  assert.equal(job?.status, "done", JSON.stringify(job));
  await context.close();

  // Someone without an account: three views and two downloads, and one wrong password.
  const stranger = await browser.newContext();
  const visitor = await stranger.newPage();
  for (let i = 0; i < VIEWS; i += 1) {
    const opened = await visitor.goto(link.json.url);
    assert.equal(opened.status(), 200);
  }
  for (let i = 0; i < DOWNLOADS; i += 1) {
    const got = await stranger.request.get(`${link.json.url}/download`);
    assert.equal(got.status(), 200, await got.text());
    await got.body();
  }
  const refused = await stranger.request.post(guarded.json.url, { form: { password: "wrong guess" }, maxRedirects: 0 });
  assert.equal(refused.status(), 401);
  await stranger.close();
});

after(async () => {
  await browser?.close();
});

/** The rows of the table beneath a chart: `[period, count, count...]`. */
async function tableRows(page, id) {
  return page.locator(`#${id}-table tbody tr`).evaluateAll((rows) =>
    rows.map((row) => [...row.cells].map((cell) => cell.textContent.trim())),
  );
}

/** The numbers a drawn chart holds, one array per series, and its labels. */
async function chartData(page, id) {
  return page.evaluate((canvasId) => {
    const chart = window.Chart.getChart(document.getElementById(canvasId));
    if (!chart) return null;
    return {
      labels: chart.data.labels,
      series: chart.data.datasets.map((d) => ({ label: d.label, data: d.data, pointStyle: d.pointStyle, dash: d.borderDash })),
    };
  }, id);
}

/** Opens `path` until the link-use table's last row (today) says what is expected: the events
 *  reach the counts within a second or so. */
async function openWhenCounted(page, path, expected) {
  let last = [];
  for (let attempt = 0; attempt < 40; attempt += 1) {
    await page.goto(`${base}${path}`);
    const rows = await tableRows(page, "chart-link-use");
    last = rows.at(-1) ?? [];
    if (last[0] === today() && expected(last)) return rows;
    await page.waitForTimeout(250);
  }
  assert.fail(`the report never counted what was expected; today's row: ${JSON.stringify(last)}`);
}

test("the owner's Activity tab charts views, downloads and visitors, a point a day, with the numbers beneath", async () => {
  const { context, page } = await signedIn(owner);
  const rows = await openWhenCounted(page, `/datasets/${datasetId}#activity`, (row) => row[1] === String(VIEWS) && row[2] === String(DOWNLOADS));
  assert.equal(await page.locator("nav.tabs a[aria-current='true']").innerText(), "Activity");
  // The last 30 days by default: one row and one point for each, today last.
  assert.equal(rows.length, 30);
  assert.deepEqual(rows.at(-1), [today(), String(VIEWS), String(DOWNLOADS), "1"]);
  assert.equal(await page.locator("#chart-link-use").getAttribute("data-drawn"), "30");
  const chart = await chartData(page, "chart-link-use");
  assert.deepEqual(chart.series.map((s) => s.label), ["Views", "Downloads", "Unique visitors"]);
  for (const [index, series] of chart.series.entries()) {
    assert.equal(series.data.length, 30, series.label);
    assert.deepEqual(series.data.map(String), rows.map((row) => row[index + 1]), `${series.label}: the chart holds the table's numbers`);
  }
  assert.deepEqual(chart.labels, rows.map((row) => row[0]));
  // Told apart without colour: each series its own point style and dash.
  assert.equal(new Set(chart.series.map((s) => s.pointStyle)).size, 3);
  assert.equal(new Set(chart.series.map((s) => JSON.stringify(s.dash))).size, 3);
  // The export, by format, with how long it took.
  const [format, started, done, failed, mean] = (await tableRows(page, "chart-exports"))[0];
  assert.deepEqual([format, started, done, failed], ["csv", "1", "1", "0"]);
  assert.match(mean, /^\d+(\.\d)? (ms|s|min)$/);
  assert.deepEqual((await chartData(page, "chart-exports")).series.map((s) => [s.label, s.data]), [["Done", [1]], ["Failed", [0]]]);
  // The wrong password, by reason; the totals.
  assert.deepEqual(await tableRows(page, "chart-refusals"), [["wrong password wrong_password", "1"]]);
  assert.ok((await chartData(page, "chart-refusals")) !== null, "the refusals are charted");
  const totals = await page.locator("dl.activity-totals").innerText();
  assert.match(totals, new RegExp(`Views\\s+${VIEWS}\\s+Downloads\\s+${DOWNLOADS}\\s+Unique visitors\\s+1\\s+Exports\\s+1\\s+Refusals\\s+1`));
  await shot(page, "activity-owner");

  // The last 7 days, by the range picker: seven points.
  await page.getByLabel("Range", { exact: true }).selectOption("7");
  await page.getByRole("button", { name: "Show", exact: true }).click();
  await page.waitForURL(/range=7/);
  await page.locator("#chart-link-use[data-drawn='7']").waitFor();
  assert.equal((await tableRows(page, "chart-link-use")).length, 7);
  assert.equal((await chartData(page, "chart-link-use")).series[0].data.length, 7);
  // Between two dates: their days only; the dates show only for that choice.
  assert.equal(await page.getByLabel("From", { exact: true }).isVisible(), false);
  await page.getByLabel("Range", { exact: true }).selectOption("dates");
  await page.getByLabel("From", { exact: true }).fill(today());
  await page.getByLabel("To", { exact: true }).fill(today());
  await page.getByRole("button", { name: "Show", exact: true }).click();
  await page.locator("#chart-link-use[data-drawn='1']").waitFor();
  assert.deepEqual(await tableRows(page, "chart-link-use"), [[today(), String(VIEWS), String(DOWNLOADS), "1"]]);
  await context.close();
});

test("one link's activity, opened from the link list, and the numbers downloaded as CSV", async () => {
  const { context, page } = await signedIn(owner);
  await page.goto(`${base}/datasets/${datasetId}`);
  await openTab(page, "Share");
  await page.locator(`tr[data-link="${guardedId}"]`).getByRole("link", { name: "Activity" }).click();
  await page.waitForURL(new RegExp(`link=${guardedId}`));
  await page.getByRole("heading", { name: "Activity of the link “guarded”" }).waitFor();
  assert.equal(await page.getByLabel("Link", { exact: true }).inputValue(), guardedId);
  const rows = await tableRows(page, "chart-link-use");
  // Refused, never viewed: the one who tried is a visitor of the day all the same.
  assert.deepEqual(rows.at(-1), [today(), "0", "0", "1"]);
  assert.deepEqual(await tableRows(page, "chart-refusals"), [["wrong password wrong_password", "1"]]);

  // The other link, chosen in the form.
  await page.getByLabel("Link", { exact: true }).selectOption(linkId);
  await page.getByRole("button", { name: "Show", exact: true }).click();
  await page.getByRole("heading", { name: "Activity of the link “for the survey”" }).waitFor();
  assert.deepEqual((await tableRows(page, "chart-link-use")).at(-1), [today(), String(VIEWS), String(DOWNLOADS), "1"]);

  // The same numbers as a file, made by the CSV export plugin.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "CSV", exact: true }).click()]);
  assert.equal(await download.failure(), null);
  assert.match(download.suggestedFilename(), /^plankton-counts-activity-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
  const lines = (await readFile(await download.path(), "utf8")).trim().split(/\r?\n/);
  assert.equal(lines[0], "start,views,downloads,unique_visitors,bytes_downloaded,exports,export_failures,refusals,shares_granted,links_created,versions_added,sign_ins");
  assert.equal(lines.length, 31);
  assert.match(lines.at(-1), new RegExp(`^${today()},${VIEWS},${DOWNLOADS},1,\\d+,0,0,0,`));
  await shot(page, "activity-owner-link");
  await context.close();
});

test("the Activity tab is for those who may read the report, not for a viewer", async () => {
  const admin = await signedIn();
  const viewer = { email: `vera.${unique}@example.org`, password: `a long password ${unique}` };
  const made = await api(admin.page, "POST", "/admin/users", { ...viewer, name: "Vera Viewer" });
  assert.equal(made.status, 201, made.text);
  await admin.context.close();
  const ownerPage = await signedIn(owner);
  const shared = await api(ownerPage.page, "POST", `/datasets/${datasetId}/shares`, { user: viewer.email, level: "view" });
  assert.equal(shared.status, 201, shared.text);
  await ownerPage.context.close();
  const { context, page } = await signedIn(viewer);
  await page.goto(`${base}/datasets/${datasetId}#activity`);
  await page.locator("nav.tabs").waitFor();
  assert.equal(await page.locator("nav.tabs").getByRole("link", { name: "Activity" }).count(), 0);
  assert.equal(await page.locator("#activity").count(), 0);
  await context.close();
});

test("the admin's dashboard charts a team's activity with known numbers", async () => {
  const { context, page } = await signedIn();
  await page.goto(`${base}/admin/users`);
  await page.locator('nav[aria-label="Administration"]').getByRole("link", { name: "Activity" }).click();
  await page.waitForURL(/\/admin\/activity$/);
  await page.locator("#chart-link-use[data-drawn='30']").waitFor();
  await page.getByLabel("Team", { exact: true }).selectOption(teamId);
  await page.getByRole("button", { name: "Show", exact: true }).click();
  await page.waitForURL(new RegExp(`team=${teamId}`));
  const rows = await tableRows(page, "chart-link-use");
  assert.equal(rows.length, 30);
  assert.deepEqual(rows.at(-1), [today(), String(VIEWS), String(DOWNLOADS), "1"]);
  const chart = await chartData(page, "chart-link-use");
  for (const [index, series] of chart.series.entries()) {
    assert.deepEqual(series.data.map(String), rows.map((row) => row[index + 1]), series.label);
  }
  // The work over time, the datasets and links used most, the refusals, storage by team.
  assert.equal(await page.locator("#chart-work").getAttribute("data-drawn"), "30");
  assert.deepEqual(await tableRows(page, "chart-top-datasets"), [["plankton counts", String(VIEWS), String(DOWNLOADS), "1"]]);
  assert.equal((await chartData(page, "chart-top-datasets")).series.length, 3);
  assert.deepEqual(await page.locator("#top-links-table tbody tr").first().locator("th, td").allInnerTexts(), [
    "for the survey",
    String(VIEWS),
    String(DOWNLOADS),
  ]);
  assert.deepEqual(await tableRows(page, "chart-refusals"), [["wrong password wrong_password", "1"]]);
  const storage = await tableRows(page, "chart-storage");
  assert.equal(storage.length, 1);
  assert.equal(storage[0][0], `Activity lab ${unique}`);
  assert.equal(storage[0][1], "1");
  assert.equal(await page.locator("#chart-storage").getAttribute("data-drawn"), "1");
  await shot(page, "activity-admin-team");

  // One person: what they did (the owner signed in and made the dataset and two links).
  await page.getByLabel("Team", { exact: true }).selectOption("");
  await page.getByLabel("Person", { exact: true }).fill("Olive");
  await page.getByRole("option", { name: /Olive Owner/ }).click();
  assert.equal(await page.getByLabel("Person", { exact: true }).inputValue(), owner.email);
  await page.getByRole("button", { name: "Show", exact: true }).click();
  await page.getByRole("heading", { name: /by Olive Owner/ }).waitFor();
  const work = await tableRows(page, "chart-work");
  const [, signIns, , , linksMade] = work.at(-1);
  assert.ok(Number(signIns) >= 1, `sign-ins: ${signIns}`);
  assert.equal(linksMade, "2");
  await shot(page, "activity-admin-person");
  await context.close();
});
