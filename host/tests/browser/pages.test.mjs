// Every page, as a phone (390 px) and a desktop (1280 px) show it: nothing scrolls sideways but
// the boxes made to (a wide table's), nothing is clipped at 1280 px, and each page passes the
// automated accessibility check (axe-core, WCAG 2 A and AA rules) in Chromium.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { api, base, launch, shot, signIn, uploadCsv } from "./support.mjs";

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

let browser;
let datasetId;
let linkUrl;
let passwordLinkUrl;
let linkId;

before(async () => {
  browser = await launch();
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  const rows = ["id,station,temperature_c,observed_at,remarks"];
  for (let i = 1; i <= 60; i += 1) {
    rows.push(`${i},Station ${i % 4},${(i * 1.7).toFixed(1)},2024-05-${String(1 + (i % 28)).padStart(2, "0")},"a long remark about observation ${i}, with words that wrap"`);
  }
  datasetId = await uploadCsv(page, "weather stations.csv", `${rows.join("\n")}\n`);
  const link = await api(page, "POST", `/datasets/${datasetId}/links`, { level: "view", name: "for the audit" });
  assert.equal(link.status, 201, link.text);
  linkUrl = link.json.url;
  linkId = link.json.id;
  const guarded = await api(page, "POST", `/datasets/${datasetId}/links`, {
    level: "download",
    name: "with a password",
    password: "correct horse",
  });
  assert.equal(guarded.status, 201, guarded.text);
  passwordLinkUrl = guarded.json.url;
  await context.close();
});

after(async () => {
  await browser?.close();
});

// The signed-in pages, each with what to wait for.
const pages = () => [
  ["datasets", "/datasets"],
  ["dataset-data", `/datasets/${datasetId}#data`],
  ["dataset-columns", `/datasets/${datasetId}#columns`],
  ["dataset-versions", `/datasets/${datasetId}#history`],
  ["dataset-export", `/datasets/${datasetId}#exports`],
  ["dataset-share", `/datasets/${datasetId}#sharing`],
  ["dataset-activity", `/datasets/${datasetId}#activity`],
  ["shared-with-me", "/shared"],
  ["my-links", "/links"],
  ["link-log", `/links/${linkId}/log`],
  ["teams", "/teams"],
  ["trash", "/trash"],
  ["account", "/account"],
  ["notifications", "/notifications"],
  ["notification-settings", "/account/notifications"],
  ["admin-users", "/admin/users"],
  ["admin-groups", "/admin/groups"],
  ["admin-policies", "/admin/policies"],
  ["admin-plugins", "/admin/plugins"],
  ["admin-audit", "/admin/audit"],
  ["admin-activity", "/admin/activity"],
];

// What a visitor without an account sees.
const publicPages = () => [
  ["sign-in", "/login"],
  ["link-visitor", linkUrl],
  ["link-password", passwordLinkUrl],
];

/** Elements wider than the page, outside the boxes that scroll on purpose. */
async function overflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const sideways = document.documentElement.scrollWidth - width;
    const out = [];
    for (const element of document.querySelectorAll("body *")) {
      if (element.closest(".scroll, canvas, .chart-box")) continue;
      const box = element.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 1) {
        out.push(`${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ""}.${element.className} ends at ${Math.round(box.right)}px`);
      }
    }
    return { sideways, out: out.slice(0, 5) };
  });
}

/** What is cut off at 1280 px: a table wider than its box, or a box that scrolls though the
 *  screen has room (a dataset's rows may be wider than any screen and scroll on purpose). */
async function clipped(page) {
  return page.evaluate(() => {
    const tables = [...document.querySelectorAll("table")]
      .filter((t) => t.closest(".scroll") === null && t.scrollWidth > t.clientWidth + 1);
    const boxes = [...document.querySelectorAll(".scroll")]
      .filter((box) => box.querySelector("table.preview") === null && box.scrollWidth > box.clientWidth + 1);
    return [...tables, ...boxes].map((e) => `${e.tagName.toLowerCase()}#${e.id || e.querySelector("table")?.id || ""}.${e.className}`);
  });
}

async function axe(page) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
  });
}

async function visit(page, name, path, width) {
  await page.goto(path.startsWith("http") ? path : `${base}${path}`);
  await page.waitForLoadState("load");
  // The dataset page's charts are drawn by its script; give it a frame.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done())));
  const problems = [];
  const { sideways, out } = await overflow(page);
  if (sideways > 0 || out.length > 0) problems.push(`${name} at ${width}px scrolls sideways by ${sideways}px: ${out.join("; ")}`);
  if (width >= 1280) {
    const cut = await clipped(page);
    if (cut.length > 0) problems.push(`${name} at ${width}px clips ${cut.join(", ")}`);
  }
  for (const violation of await axe(page)) problems.push(`${name} at ${width}px: ${violation}`);
  await shot(page, `page-${name}-${width}`);
  return problems;
}

for (const [width, height] of [[390, 844], [1280, 900]]) {
  test(`every signed-in page at ${width} px fits, and passes the accessibility check`, async () => {
    // The check's script is injected into the page, which the pages' own policy would refuse.
    const context = await browser.newContext({ viewport: { width, height }, isMobile: width < 500, bypassCSP: true });
    const page = await context.newPage();
    await signIn(page);
    // The check finds what it is there to find: an image without a text alternative.
    await page.evaluate(() => document.querySelector("main").insertAdjacentHTML("beforeend", '<img src="data:," id="probe">'));
    assert.match((await axe(page)).join("\n"), /image-alt.*#probe/);
    const problems = [];
    for (const [name, path] of pages()) problems.push(...(await visit(page, name, path, width)));
    assert.deepEqual(problems, []);
    await context.close();
  });

  test(`every page a visitor without an account sees at ${width} px fits, and passes the accessibility check`, async () => {
    const context = await browser.newContext({ viewport: { width, height }, isMobile: width < 500, bypassCSP: true });
    const page = await context.newPage();
    const problems = [];
    for (const [name, path] of publicPages()) problems.push(...(await visit(page, name, path, width)));
    assert.deepEqual(problems, []);
    await context.close();
  });
}
