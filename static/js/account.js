// Your account: creates a personal API token through POST /api/v1/tokens and shows its secret
// once, with a Copy button; revokes one through DELETE /api/v1/tokens/{id}. The list itself is
// rendered by the server.

import { call, reason } from "./http.js";

const actions = document.getElementById("token-actions");
const form = document.getElementById("new-token");
const status = document.getElementById("token-status");
const table = document.getElementById("tokens");
const empty = document.getElementById("no-tokens");
const rowTemplate = document.getElementById("token-row");
const secretBox = document.getElementById("new-secret");
const secretField = document.getElementById("new-secret-value");
const copyButton = document.getElementById("copy-secret");

function readable(rfc3339) {
  // The server's own form: 2026-11-26 10:04 UTC.
  return `${rfc3339.slice(0, 10)} ${rfc3339.slice(11, 16)} UTC`;
}

function revoke(button) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const row = button.closest("tr");
    const name = row.cells[0].textContent.trim();
    if (!window.confirm(`Revoke ${name}? Scripts using it stop working at once.`)) return;
    button.disabled = true;
    const result = await call("DELETE", `/api/v1/tokens/${encodeURIComponent(row.dataset.token)}`);
    if (result.status === 204) {
      row.remove();
      status.textContent = `${name} is revoked.`;
      if (table.tBodies[0].rows.length === 0) {
        table.hidden = true;
        empty.hidden = false;
      }
    } else {
      status.textContent = `Not revoked: ${reason(result)}`;
      button.disabled = false;
    }
  });
}

function addRow(token) {
  const row = rowTemplate.content.firstElementChild.cloneNode(true);
  row.dataset.token = token.id;
  row.querySelector(".name").textContent = token.name;
  row.querySelector(".prefix").textContent = `${token.prefix}…`;
  row.querySelector(".scopes").textContent = token.scopes.join(", ");
  const created = row.querySelector(".created");
  created.dateTime = token.created_at;
  created.textContent = readable(token.created_at);
  const expires = row.querySelector(".expires");
  if (token.expires_at) {
    const time = document.createElement("time");
    time.dateTime = token.expires_at;
    time.textContent = readable(token.expires_at);
    expires.append(time);
  } else {
    expires.textContent = "never";
  }
  const button = row.querySelector("button.revoke");
  button.dataset.token = token.id;
  button.setAttribute("aria-label", `Revoke ${token.name}`);
  revoke(button);
  table.tBodies[0].prepend(row);
  table.hidden = false;
  empty.hidden = true;
}

for (const button of document.querySelectorAll("button.revoke")) revoke(button);
actions.hidden = false;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const body = { name: data.get("name").trim(), scopes: data.getAll("scope") };
  const days = data.get("days").trim();
  if (days !== "") body.expires_in = Number(days) * 24 * 3600;
  status.textContent = "";
  const result = await call("POST", "/api/v1/tokens", body);
  if (result.status !== 201) {
    status.textContent = `Not created: ${reason(result)}`;
    return;
  }
  addRow(result.json);
  secretField.value = result.json.token;
  secretBox.hidden = false;
  status.textContent = `${result.json.name} is created. Copy its secret below now; it will not be shown again.`;
  form.reset();
  secretField.focus();
  secretField.select();
});

copyButton.addEventListener("click", async () => {
  secretField.select();
  try {
    await navigator.clipboard.writeText(secretField.value);
    status.textContent = "The token is copied.";
  } catch {
    status.textContent = "Copying was not allowed here: the token is selected, copy it with your keyboard.";
  }
});
