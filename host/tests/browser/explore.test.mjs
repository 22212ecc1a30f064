// The dataset page puts the data first: the table sorted by a click on its header, filtered by
// a facet or a typed condition, searched, paged without losing the place, a row jumped to;
// each column's summary with its chart; the view's address reopening it, and the export
// dialog exporting exactly the rows the table shows.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { base, launch, openTab, shot, signIn, uploadCsv } from "./support.mjs";

let browser;
let datasetId;

// 130 measurements at five lakes: a facet (lake), numbers (depth_m), dates and text.
const lakes = ["Étang de Thau", "Lake Tahoe", "琵琶湖", "Loch Ness", "Lac Léman"];
const lines = ["id,lake,depth_m,measured_on,observer"];
for (let i = 1; i <= 130; i += 1) {
  const day = String(1 + (i % 28)).padStart(2, "0");
  lines.push(`${i},${lakes[i % 5]},${((i * 37) % 200) / 4},2024-03-${day},Observer ${i % 7}`);
}
const csv = `${lines.join("\n")}\n`;

before(async () => {
  browser = await launch();
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  datasetId = await uploadCsv(page, "lake depths.csv", csv);
  await context.close();
});

after(async () => {
  await browser?.close();
});

async function open(context, query = "") {
  const page = await context.newPage();
  await signIn(page);
  await page.goto(`${base}/datasets/${datasetId}${query}`);
  await page.locator("table.preview").waitFor();
  return page;
}

const caption = (page) => page.locator("#preview-caption").innerText();
const column = (page, index) =>
  page.$$eval(`#preview tbody tr td:nth-child(${index})`, (cells) => cells.map((c) => c.textContent));

test("a researcher sorts, facets, searches, pages and jumps to a row, and the address keeps the view", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await open(context);
  // The table comes first; the export dialog waits behind its tab.
  assert.equal(await page.locator("#export").isVisible(), false);
  assert.match(await caption(page), /^Rows 1 to 50 of 130$/);

  // Sort by depth: ascending, then descending, said by aria-sort.
  await page.locator("#preview thead").getByRole("link", { name: "depth_m" }).click();
  await page.waitForURL(/sort=depth_m/);
  const header = page.locator("#preview th", { hasText: "depth_m" });
  assert.equal(await header.getAttribute("aria-sort"), "ascending");
  const ascending = (await column(page, 3)).map(Number);
  assert.deepEqual(ascending, [...ascending].sort((a, b) => a - b));
  await page.locator("#preview thead").getByRole("link", { name: "depth_m" }).click();
  await page.waitForURL(/sort=-depth_m/);
  assert.equal(await header.getAttribute("aria-sort"), "descending");
  assert.equal(Number((await column(page, 3))[0]), 49.75);

  // A facet: the lake's count, then only its rows, the sort kept.
  const facet = page.locator(".facets li", { hasText: "Loch Ness" });
  assert.match(await facet.innerText(), /26/);
  await facet.getByRole("link").click();
  await page.waitForURL(/filter=/);
  assert.match(await caption(page), /of 26 kept \(130 in all\)/);
  assert.deepEqual([...new Set(await column(page, 2))], ["Loch Ness"]);
  assert.match(await page.locator(".conditions-active").innerText(), /lake is “Loch Ness”/);
  assert.equal(await header.getAttribute("aria-sort"), "descending");

  // The address is the view: opened afresh, it shows the same rows.
  const address = page.url();
  const again = await context.newPage();
  await again.goto(address);
  assert.match(await caption(again), /of 26 kept/);
  await again.close();

  // Taking the condition off; searching the text, whatever the case.
  await page.getByRole("link", { name: /Remove the filter: lake is/ }).click();
  await page.getByLabel("Find text").fill("LÉMAN");
  await page.getByRole("button", { name: "Show" }).click();
  await page.waitForURL(/q=L%C3%89MAN|q=LÉMAN/);
  assert.match(await caption(page), /of 26 kept/);
  assert.deepEqual([...new Set(await column(page, 2))], ["Lac Léman"]);
  await page.getByRole("link", { name: /Stop finding/ }).click();

  // Paging keeps the place: the table is where the reader was, not the top of the page.
  await page.getByRole("link", { name: "Next rows" }).click();
  await page.waitForURL(/offset=50/);
  assert.match(await caption(page), /^Rows 51 to 100 of 130$/);
  assert.ok(await page.evaluate(() => window.scrollY > 0), "the page jumped to its top");

  // Going to a row shows it first, marked.
  await page.getByLabel("Go to row").fill("120");
  await page.getByRole("button", { name: "Go", exact: true }).click();
  await page.waitForURL(/row=120/);
  assert.match(await caption(page), /^Rows 120 to 130 of 130$/);
  assert.equal(await page.locator("#preview tbody tr.jumped").count(), 1);
  await shot(page, "explore-table");
  await context.close();
});

test("a filter typed beside the table, and a value that does not fit said beside its control", async () => {
  const context = await browser.newContext();
  const page = await open(context);
  await page.getByText("Add a filter").click();
  await page.getByLabel("Column", { exact: true }).selectOption("depth_m");
  await page.getByLabel("Keeps rows where it").selectOption(">=");
  await page.getByLabel("Value", { exact: true }).fill("deep");
  await page.getByRole("button", { name: "Add the filter" }).click();
  const value = page.getByLabel("Value", { exact: true });
  assert.equal(await value.getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("#add-error").innerText(), /“deep” is not a number, and depth_m holds numbers/);
  // The field takes the focus once the page's script has run.
  await page.waitForFunction(() => document.activeElement?.id === "add-value");
  await shot(page, "explore-filter-refused");

  await value.fill("40");
  await page.getByRole("button", { name: "Add the filter" }).click();
  await page.waitForURL(/filter=/);
  const depths = (await column(page, 3)).map(Number);
  assert.ok(depths.length > 0 && depths.every((d) => d >= 40), `${depths}`);
  assert.match(await page.locator(".conditions-active").innerText(), /depth_m ≥ 40/);
  await context.close();
});

test("the export dialog exports exactly the table's view", async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const filter = JSON.stringify({ column: "lake", op: "=", value: "琵琶湖" });
  const page = await open(context, `?filter=${encodeURIComponent(filter)}&sort=-depth_m`);
  await page.locator("#export-view").click();
  await page.locator("#export").waitFor();
  assert.match(await page.locator("#export-view-rows").innerText(), /lake is “琵琶湖”.*sorted by -depth_m \(26 rows\)/);
  await page.getByLabel("Format", { exact: true }).selectOption("csv");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download now" }).click(),
  ]);
  const rows = (await readFile(await download.path(), "utf8")).trim().split("\n").slice(1);
  assert.equal(rows.length, 26);
  assert.ok(rows.every((r) => r.split(",")[1] === "琵琶湖"));
  const depths = rows.map((r) => Number(r.split(",")[2]));
  assert.deepEqual(depths, [...depths].sort((a, b) => b - a));
  await context.close();
});

test("each column's summary with its chart, and the numbers beneath it", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await open(context);
  await openTab(page, "Columns");
  const depth = page.locator("article.summary", { has: page.getByRole("heading", { name: /depth_m/ }) });
  const facts = await depth.locator("dl.summary-facts").innerText();
  assert.match(facts, /Values\s+130/);
  assert.match(facts, /Empty\s+0/);
  // A histogram of 20 bars for the depths, drawn by the charting library.
  await depth.locator("canvas[data-drawn]").waitFor();
  assert.equal(await depth.locator("canvas").getAttribute("data-drawn"), "20");
  const bars = await depth.locator(".chart-numbers tbody tr").count();
  assert.equal(bars, 20);
  // The lakes' most frequent values, with their counts.
  const lake = page.locator("article.summary", { has: page.getByRole("heading", { name: /^lake/ }) });
  await lake.locator("canvas[data-drawn]").waitFor();
  assert.equal(await lake.locator("canvas").getAttribute("data-drawn"), "5");
  await lake.getByText("The most frequent values").click();
  assert.match(await lake.locator(".chart-numbers").innerText(), /Loch Ness\s+26/);
  await shot(page, "explore-columns");
  await context.close();
});

test("at 390 px the table and the summaries fit the phone", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await open(context);
  for (const tab of ["Data", "Columns"]) {
    await openTab(page, tab);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${tab}: the page is ${overflow}px wider than the phone`);
    await shot(page, `explore-phone-${tab.toLowerCase()}`);
  }
  await context.close();
});
