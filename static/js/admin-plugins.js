// Plugins, for site admins: installs a plugin (its manifest and component, uploaded as
// multipart/form-data to POST /api/v1/admin/plugins), approves what one asks for and enables
// it, disables it, removes an installed one. A refused install shows the server's reason.

import { call, reason } from "./http.js";

const status = document.getElementById("plugins-status");
const table = document.getElementById("plugins");
const form = document.getElementById("install");
const FLASH = "tessera-plugins-status";

function pluginPath(id) {
  return `/api/v1/admin/plugins/${encodeURIComponent(id)}`;
}

/** The same words the server uses for a plugin's state. */
function stateOf(plugin) {
  if (plugin.enabled && plugin.loaded) return ["enabled", "enabled"];
  if (plugin.enabled) return ["failed", `enabled, but not loaded: ${plugin.load_error ?? "unknown reason"}`];
  if (!plugin.access_approved) return ["pending", "pending approval"];
  return ["disabled", "disabled"];
}

function buttons(row) {
  const name = row.querySelector(".plugin-name").textContent.trim();
  const enable = row.querySelector("button.enable");
  const disable = row.querySelector("button.disable");
  const remove = row.querySelector("button.remove");
  const enabled = row.dataset.enabled === "true";
  enable.textContent = row.dataset.approved === "true" ? "Enable" : "Approve and enable";
  enable.hidden = enabled;
  disable.hidden = !enabled;
  for (const button of [enable, disable, remove]) {
    if (button) button.setAttribute("aria-label", `${button.textContent.trim()} ${name}`);
  }
  if (remove) remove.hidden = false;
}

/** Brings a row in line with the plugin as the API describes it. */
function show(row, plugin) {
  row.dataset.enabled = String(plugin.enabled);
  row.dataset.approved = String(plugin.access_approved);
  const [name, text] = stateOf(plugin);
  const state = row.querySelector(".state");
  state.textContent = text;
  state.className = `state state-${name}`;
  row.querySelector(".approved").textContent =
    plugin.access_requests.length === 0 ? "nothing to approve" : plugin.access_approved ? "all of it" : "nothing yet";
  buttons(row);
}

function wire(row) {
  const id = row.dataset.plugin;
  const name = row.querySelector(".plugin-name").textContent.trim();
  const all = () => row.querySelectorAll("button");
  const act = async (method, path, body, done, failed) => {
    for (const button of all()) button.disabled = true;
    const result = await call(method, path, body);
    for (const button of all()) button.disabled = false;
    if (result.ok) {
      done(result);
    } else {
      status.textContent = `${failed}: ${reason(result)}`;
    }
  };

  row.querySelector("button.enable").addEventListener("click", () => {
    const approve = row.dataset.approved !== "true";
    if (approve) {
      const asks = [...row.querySelectorAll(".requests strong")].map((s) => s.textContent).join(", ");
      if (!window.confirm(`Approve what ${name} asks for (${asks}) and enable it?`)) return;
    }
    act("POST", `${pluginPath(id)}/enable`, { approve }, (result) => {
      show(row, result.json);
      status.textContent = approve ? `${name} is approved and enabled.` : `${name} is enabled.`;
    }, "Not enabled");
  });

  row.querySelector("button.disable").addEventListener("click", () => {
    act("POST", `${pluginPath(id)}/disable`, undefined, (result) => {
      show(row, result.json);
      status.textContent = `${name} is disabled: nobody can start an export with it.`;
    }, "Not disabled");
  });

  row.querySelector("button.remove")?.addEventListener("click", () => {
    if (!window.confirm(`Remove ${name}? Exports cannot use it until it is installed again.`)) return;
    act("DELETE", pluginPath(id), undefined, () => {
      row.remove();
      status.textContent = `${name} is removed.`;
    }, "Not removed");
  });

  buttons(row);
}

if (table) {
  for (const row of table.tBodies[0].rows) wire(row);
}
document.getElementById("plugin-actions").hidden = false;

// What an install said, carried over the reload that shows the new row.
const flash = sessionStorage.getItem(FLASH);
if (flash) {
  sessionStorage.removeItem(FLASH);
  status.textContent = flash;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const choices = new FormData(form);
  const upload = new FormData();
  upload.append("manifest", choices.get("manifest"));
  upload.append("component", choices.get("component"));
  const query = new URLSearchParams({
    enable: String(choices.get("enable") === "on"),
    approve: String(choices.get("approve") === "on"),
  });
  status.textContent = "Checking the component…";
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  const result = await call("POST", `/api/v1/admin/plugins?${query}`, upload);
  submit.disabled = false;
  if (result.status !== 201) {
    status.textContent = `Not installed: ${reason(result)}`;
    return;
  }
  const [, text] = stateOf(result.json);
  sessionStorage.setItem(FLASH, `${result.json.name} ${result.json.version} is installed (${text}).`);
  window.location.reload();
});
