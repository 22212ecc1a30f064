// Access policies: preview a proposed rule with the dry run (who would gain or lose which
// access), then save it, through /api/v1/admin/policies. Save stays off until a preview.

import { csrfToken } from "./http.js";

const form = document.getElementById("propose");
const previewButton = document.getElementById("preview");
const saveButton = document.getElementById("save");
const region = document.getElementById("dry-run");
const summary = document.getElementById("dry-run-summary");
const rows = document.getElementById("dry-run-rows");
const status = document.getElementById("policy-status");

function rule() {
  const data = new FormData(form);
  return {
    ptype: data.get("ptype"),
    v0: data.get("v0").trim(),
    v1: data.get("v1").trim(),
    v2: data.get("ptype") === "p" ? data.get("v2") : "",
  };
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
    body: JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  return { ok: response.ok, json, status: response.status };
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

form.addEventListener("input", () => {
  saveButton.disabled = true;
});

previewButton.addEventListener("click", async () => {
  status.textContent = "";
  const result = await post("/api/v1/admin/policies/dry-run", { add: [rule()], remove: [] });
  if (!result.ok) {
    region.hidden = true;
    status.textContent = `This rule cannot be used: ${result.json?.error?.message ?? result.status}`;
    return;
  }
  const { gained, lost, pairs_checked } = result.json;
  rows.replaceChildren();
  for (const [sign, list] of [["gains", gained], ["loses", lost]]) {
    for (const delta of list) {
      const tr = document.createElement("tr");
      tr.append(
        cell(`${delta.user_email} ${sign}`),
        cell(delta.dataset_name),
        cell(delta.before ?? "no access"),
        cell(delta.after ?? "no access"),
      );
      rows.append(tr);
    }
  }
  summary.textContent =
    `${gained.length} would gain access and ${lost.length} would lose it ` +
    `(${pairs_checked} person–dataset pairs compared). Nothing is changed until you save.`;
  region.hidden = false;
  saveButton.disabled = false;
});

saveButton.addEventListener("click", async () => {
  const body = { ...rule(), note: new FormData(form).get("note") };
  const result = await post("/api/v1/admin/policies", body);
  if (result.ok) {
    window.location.reload();
  } else {
    status.textContent = `The rule was not saved: ${result.json?.error?.message ?? result.status}`;
  }
});
