// Notification settings: each change saved at once (PUT /api/v1/notifications/preferences),
// channels added from a notifier plugin's settings schema (POST /api/v1/notifications/channels)
// and removed (DELETE /api/v1/notifications/channels/{id}).

import { call, reason } from "./http.js";

const status = document.getElementById("preferences-status");

async function save(kind, channel, cadence, what) {
  const result = await call("PUT", "/api/v1/notifications/preferences", { kind, channel, cadence });
  status.textContent = result.ok ? `Saved: ${what}.` : `Not saved: ${reason(result)}`;
  return result.ok;
}

for (const row of document.querySelectorAll("#preferences tr[data-kind]")) {
  const kind = row.dataset.kind;
  const description = row.querySelector("th").textContent.trim();
  const app = row.querySelector(".app-choice");
  app.addEventListener("change", async () => {
    const ok = await save(kind, "app", app.checked ? "immediate" : "off",
      `${description}, ${app.checked ? "shown" : "not shown"} in the app`);
    if (!ok) app.checked = !app.checked;
  });
  for (const select of row.querySelectorAll(".channel-choice")) {
    let previous = select.value;
    select.addEventListener("change", async () => {
      const label = select.selectedOptions[0].textContent;
      if (await save(kind, select.dataset.channel, select.value, `${description}, ${label.toLowerCase()}`)) {
        previous = select.value;
      } else {
        select.value = previous;
      }
    });
  }
}

for (const item of document.querySelectorAll("#channels [data-channel]")) {
  item.querySelector(".remove-channel").addEventListener("click", async () => {
    const result = await call("DELETE", `/api/v1/notifications/channels/${item.dataset.channel}`);
    if (result.ok) {
      window.location.reload();
    } else {
      status.textContent = `Not removed: ${reason(result)}`;
    }
  });
}

const form = document.getElementById("add-channel");
const plugin = document.getElementById("channel-plugin");
const fields = document.getElementById("channel-settings");

/** One input per property of the plugin's settings schema (strings, numbers, booleans). */
function showFields() {
  fields.replaceChildren();
  let schema = {};
  try {
    schema = JSON.parse(plugin.selectedOptions[0]?.dataset.schema || "{}");
  } catch {
    schema = {};
  }
  const required = new Set(schema.required || []);
  for (const [name, property] of Object.entries(schema.properties || {})) {
    const p = document.createElement("p");
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.id = `setting-${name}`;
    input.name = name;
    input.dataset.type = property.type || "string";
    label.htmlFor = input.id;
    label.textContent = property.title || name;
    if (property.type === "boolean") input.type = "checkbox";
    else if (property.format === "email") input.type = "email";
    else if (property.format === "uri") input.type = "url";
    else if (property.writeOnly || /secret|password/i.test(name)) input.type = "password";
    if (required.has(name)) input.required = true;
    p.append(label, " ", input);
    if (property.description) {
      const hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = ` ${property.description}`;
      p.append(hint);
    }
    fields.append(p);
  }
}

if (form) {
  plugin.addEventListener("change", showFields);
  showFields();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const settings = {};
    for (const input of fields.querySelectorAll("input")) {
      if (input.type === "checkbox") settings[input.name] = input.checked;
      else if (input.value !== "") {
        settings[input.name] = input.dataset.type === "number" || input.dataset.type === "integer"
          ? Number(input.value) : input.value;
      }
    }
    const result = await call("POST", "/api/v1/notifications/channels", {
      plugin: plugin.value,
      label: document.getElementById("channel-label").value,
      settings,
    });
    if (result.ok) {
      window.location.reload();
    } else {
      status.textContent = `Not added: ${reason(result)}`;
    }
  });
}
