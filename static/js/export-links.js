// A list of share links (My links, and a dataset's Share tab; templates/components/link_list.html):
// revokes a link (DELETE /api/v1/links/{id}); copies its address again or shows it as a QR
// code (GET /api/v1/links/{id}/address, with the vendored qrcode-generator); extends it,
// changes its download limit, or changes or removes its password (PATCH /api/v1/links/{id}),
// each with the outcome in words. The forms are made from the list's templates when opened,
// and every handler listens on the document, so a list fetched again (after a link is made
// on the dataset page) works the same.

import { call, csrfToken, reason, sentence } from "./http.js";

const status = () => document.getElementById("links-status");
const say = (text) => {
  const line = status();
  if (line) line.textContent = text;
};
const rowOf = (element) => element.closest("tr[data-link]");
/** What the list says of the row's link: its name, level, limit, expiry and password. */
const facts = (row) => row.querySelector("td.link-actions").dataset;
const linkPath = (row) => `/api/v1/links/${encodeURIComponent(row.dataset.link)}`;

/** Shows what needs a script in the list at `root`. */
function prepare(root) {
  for (const element of root.querySelectorAll(".needs-script")) element.hidden = false;
}

/** The link's address, fetched once per row and shown in its field. */
async function addressOf(row) {
  if (row.dataset.url) return row.dataset.url;
  const result = await call("GET", `${linkPath(row)}/address`);
  if (!result.ok) throw new Error(reason(result));
  row.dataset.url = result.json.url;
  const box = row.querySelector(".link-address");
  box.querySelector("input.address").value = result.json.url;
  box.hidden = false;
  return result.json.url;
}

async function revoke(button) {
  const row = rowOf(button);
  const name = facts(row).name;
  if (!window.confirm(`Revoke ${name}? Its address and every token made from it stop working at once.`)) {
    return;
  }
  button.disabled = true;
  const response = await fetch(linkPath(row), {
    method: "DELETE",
    headers: { "X-CSRF-Token": csrfToken() },
  });
  if (response.status === 204) {
    say(`${name} is revoked.`);
    const state = row.querySelector(".state");
    state.textContent = "revoked";
    state.className = "state state-revoked";
    // A revoked link has nothing left to copy, show or change.
    for (const gone of row.querySelectorAll(".link-actions > :not(a)")) gone.remove();
  } else {
    const body = await response.json().catch(() => null);
    say(`Could not revoke ${name}: ${body?.error?.message ?? `the server answered ${response.status}`}`);
    button.disabled = false;
  }
}

async function copyAddress(button) {
  const row = rowOf(button);
  let url;
  try {
    url = await addressOf(row);
  } catch (error) {
    say(`Cannot show the address of ${facts(row).name}: ${sentence(error.message)}`);
    return;
  }
  const field = row.querySelector("input.address");
  field.select();
  try {
    await navigator.clipboard.writeText(url);
    say(`Copied the address of ${facts(row).name}.`);
  } catch {
    say("The address is selected beside the link: copy it from there.");
  }
}

async function toggleQr(button) {
  const row = rowOf(button);
  const figure = row.querySelector("figure.qr");
  if (button.getAttribute("aria-expanded") === "true") {
    figure.hidden = true;
    button.setAttribute("aria-expanded", "false");
    return;
  }
  let url;
  try {
    url = await addressOf(row);
  } catch (error) {
    say(`Cannot show the address of ${facts(row).name}: ${sentence(error.message)}`);
    return;
  }
  if (!figure.firstChild) {
    // Error correction M: a phone's camera reads it from a screen or a printout.
    const code = window.qrcode(0, "M");
    code.addData(url);
    code.make();
    const image = document.createElement("img");
    image.src = code.createDataURL(4, 16);
    image.alt = `QR code of the address ${url}`;
    const caption = document.createElement("figcaption");
    caption.textContent = url;
    figure.append(image, caption);
  }
  figure.hidden = false;
  button.setAttribute("aria-expanded", "true");
}

/** A form from the list's template `id`, its fields named for `row`'s link. */
function formFor(row, id) {
  const form = document.getElementById(id).content.firstElementChild.cloneNode(true);
  for (const field of form.querySelectorAll("[data-id]")) field.id = `${field.dataset.id}-${row.dataset.link}`;
  for (const label of form.querySelectorAll("label[data-for]")) label.htmlFor = `${label.dataset.for}-${row.dataset.link}`;
  return form;
}

function openChange(details) {
  const row = rowOf(details);
  const form = formFor(row, "link-change-form");
  form.elements.hours.placeholder = facts(row).expires ? "unchanged" : "never";
  if (facts(row).level === "download") {
    form.elements.max_downloads.value = facts(row).max;
  } else {
    form.querySelector(".for-downloads").remove();
  }
  details.append(form);
}

function openPassword(details) {
  const row = rowOf(details);
  const form = formFor(row, "link-password-form");
  if (facts(row).password !== "yes") form.querySelector(".remove-password").remove();
  details.append(form);
}

/** The refusal beside the password field, which is marked and focused; none clears it. */
function passwordError(form, message) {
  const field = form.elements.password;
  const error = form.querySelector(".error");
  if (message) {
    error.textContent = message;
    error.hidden = false;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", error.id);
    field.focus();
  } else {
    error.textContent = "";
    error.hidden = true;
    field.removeAttribute("aria-invalid");
    field.setAttribute("aria-describedby", "");
  }
}

async function changePassword(form, password) {
  const row = rowOf(form);
  const result = await call("PATCH", linkPath(row), { password });
  if (result.ok) {
    passwordError(form, null);
    say(password === null ? `${facts(row).name} has no password now.` : `The password of ${facts(row).name} is changed.`);
    await refresh();
  } else if (result.status === 422 && password !== null) {
    passwordError(form, sentence(reason(result)));
  } else {
    say(`Could not change ${facts(row).name}: ${reason(result)}`);
  }
}

async function saveChange(form) {
  const row = rowOf(form);
  const data = new FormData(form);
  const changes = {};
  const hours = Number(data.get("hours"));
  if (hours > 0) changes.expires_in = Math.round(hours * 3600);
  if (form.elements.max_downloads) {
    const max = data.get("max_downloads");
    changes.max_downloads = max === "" ? null : Number(max);
  }
  const result = await call("PATCH", linkPath(row), changes);
  if (result.ok) {
    await refresh();
  } else {
    say(`Could not change ${facts(row).name}: ${reason(result)}`);
  }
}

/** The list as the server renders it now, in place of the one shown (keeping the status). */
export async function refresh() {
  const list = document.getElementById("link-list");
  if (!list) return;
  const response = await fetch(window.location.pathname + window.location.search, { headers: { accept: "text/html" } });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("link-list");
  if (!fresh) return;
  const said = status()?.textContent ?? "";
  const adopted = document.importNode(fresh, true);
  list.replaceWith(adopted);
  prepare(adopted);
  say(said);
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button || !button.closest("#link-list")) return;
  if (button.classList.contains("revoke")) revoke(button);
  else if (button.classList.contains("copy-address")) copyAddress(button);
  else if (button.classList.contains("show-qr")) toggleQr(button);
  else if (button.classList.contains("remove-password")) changePassword(button.form, null);
});

document.addEventListener(
  "toggle",
  (event) => {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open || details.querySelector("form")) return;
    if (details.classList.contains("change")) openChange(details);
    else if (details.classList.contains("change-password")) openPassword(details);
  },
  true,
);

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.classList.contains("change-link")) {
    event.preventDefault();
    saveChange(form);
  } else if (form.classList.contains("change-password")) {
    event.preventDefault();
    const password = form.elements.password.value;
    if (password === "") {
      passwordError(form, "Type the new password, or remove the password.");
      return;
    }
    changePassword(form, password);
  }
});

// A link made on the dataset page joins the list.
document.addEventListener("link-created", () => refresh());

const list = document.getElementById("link-list");
if (list) prepare(list);
