// What every browser test file shares: the server started by scripts/test-browser, Debian's
// Chromium, signing in, screenshots, and calls to /api/v1 as the signed-in page would make
// them (session cookie plus the CSRF header), for setting up what a test needs.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const base = process.env.TESSERA_URL;
export const email = process.env.TESSERA_EMAIL;
export const password = process.env.TESSERA_PASSWORD;
const shots = process.env.TESSERA_SCREENSHOTS ?? "target/browser-screenshots";
mkdirSync(shots, { recursive: true });

/** Debian's Chromium, headless. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves the whole page as `<name>.png` among the CI artifacts. */
export async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** Signs in through the form, as the admin account unless told otherwise. */
export async function signIn(page, who = { email, password }) {
  await page.goto(`${base}/`);
  await page.waitForURL(/\/login/);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/datasets$/);
}

/** Calls the API with the page's session, as the page's own scripts do. */
export async function api(page, method, path, body) {
  const cookies = await page.context().cookies(base);
  const csrf = cookies.find((c) => c.name === "tessera_csrf")?.value ?? "";
  const options = { method, headers: { "x-csrf-token": csrf } };
  if (body instanceof Buffer || typeof body === "string") options.data = body;
  else if (body !== undefined) options.data = body;
  const response = await page.request.fetch(`${base}/api/v1${path}`, options);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: response.status(), json, text };
}

/** Uploads `csv` as a new dataset named after `fileName` and returns its id. */
export async function uploadCsv(page, fileName, csv) {
  const cookies = await page.context().cookies(base);
  const csrf = cookies.find((c) => c.name === "tessera_csrf")?.value ?? "";
  const response = await page.request.post(`${base}/api/v1/datasets`, {
    headers: { "x-csrf-token": csrf },
    multipart: { file: { name: fileName, mimeType: "text/csv", buffer: Buffer.from(csv) } },
  });
  if (response.status() !== 201) throw new Error(`upload: ${response.status()} ${await response.text()}`);
  return (await response.json()).id;
}

/** Opens a part of the dataset page by its tab ("Data", "Columns", "Versions", "Export",
 *  "Share"), as a reader clicks it. */
export async function openTab(page, name) {
  await page.locator("nav.tabs").getByRole("link", { name, exact: true }).click();
  await page.locator("nav.tabs a[aria-current='true']", { hasText: name }).waitFor();
}
