// Access policies: a change (a proposed rule, or removing one) is first previewed with the dry
// run (who would gain or lose which access), and only then saved, through
// /api/v1/admin/policies. Save stays off until a preview of that exact change. The check form
// asks the server who may do what, and which rule decides.

import { call, reason } from "./http.js";

const form = document.getElementById("propose");
const previewButton = document.getElementById("preview");
const saveButton = document.getElementById("save");
const discardButton = document.getElementById("discard");
const region = document.getElementById("dry-run");
const changeText = document.getElementById("dry-run-change");
const summary = document.getElementById("dry-run-summary");
const rows = document.getElementById("dry-run-rows");
const status = document.getElementById("policy-status");

// The change the preview shows, and how to apply it once confirmed.
let pending = null;

function proposedRule() {
  const data = new FormData(form);
  return {
    ptype: data.get("ptype"),
    v0: data.get("v0").trim(),
    v1: data.get("v1").trim(),
    v2: data.get("ptype") === "p" ? data.get("v2") : "",
  };
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function forget() {
  pending = null;
  saveButton.disabled = true;
}

/** Says whom the dry run did not compare, so that "no one" is not read as "no one ever". */
function leftOut({ disabled_users, site_admins }) {
  const parts = [];
  if (disabled_users > 0) {
    parts.push(`${disabled_users} disabled account${disabled_users === 1 ? "" : "s"} ` +
      "(the change applies to them if they are enabled again)");
  }
  if (site_admins > 0) {
    parts.push(`${site_admins} site admin${site_admins === 1 ? "" : "s"} ` +
      "(they manage every dataset either way)");
  }
  return parts.length ? `Not compared: ${parts.join(" and ")}. ` : "";
}

async function preview(change, description, apply, saveLabel) {
  status.textContent = "";
  forget();
  const result = await call("POST", "/api/v1/admin/policies/dry-run", change);
  if (!result.ok) {
    region.hidden = true;
    status.textContent = `This rule cannot be used: ${reason(result)}`;
    return;
  }
  const { gained, lost, pairs_checked, left_out } = result.json;
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
  changeText.textContent = description;
  summary.textContent =
    `${gained.length} would gain access and ${lost.length} would lose it ` +
    `(${pairs_checked} person–dataset pairs compared). ${leftOut(left_out)}` +
    "Nothing is changed until you save.";
  saveButton.textContent = saveLabel;
  region.hidden = false;
  pending = apply;
  saveButton.disabled = false;
  region.scrollIntoView({ block: "nearest" });
}

form.addEventListener("input", forget);

previewButton.addEventListener("click", () => {
  const rule = proposedRule();
  const note = new FormData(form).get("note");
  const text = [rule.ptype, rule.v0, rule.v1, rule.v2].filter((part) => part !== "").join(", ");
  preview(
    { add: [rule], remove: [] },
    `Adding the rule ${text}.`,
    () => call("POST", "/api/v1/admin/policies", { ...rule, note }),
    "Save",
  );
});

for (const button of document.querySelectorAll("button.remove-rule")) {
  button.hidden = false;
  button.addEventListener("click", () => {
    const id = button.dataset.rule;
    preview(
      { add: [], remove: [id] },
      `Removing the rule ${button.dataset.text}.`,
      () => call("DELETE", `/api/v1/admin/policies/${encodeURIComponent(id)}`),
      "Remove the rule",
    );
  });
}

saveButton.addEventListener("click", async () => {
  if (!pending) return;
  const result = await pending();
  if (result.ok) {
    window.location.reload();
  } else {
    status.textContent = `Nothing was changed: ${reason(result)}`;
  }
});

discardButton.addEventListener("click", () => {
  forget();
  region.hidden = true;
  status.textContent = "Nothing was changed.";
});

const checkForm = document.getElementById("check");
const answer = document.getElementById("check-answer");

checkForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(checkForm);
  const body = { subject: data.get("subject").trim(), action: data.get("action"), object: data.get("object") };
  const result = await call("POST", "/api/v1/admin/policies/check", body);
  answer.replaceChildren();
  const verdict = document.createElement("p");
  if (!result.ok) {
    verdict.textContent = `The check could not run: ${reason(result)}`;
    answer.append(verdict);
    return;
  }
  const dataset = checkForm.querySelector("#check-object").selectedOptions[0]?.textContent ?? body.object;
  const view = result.json;
  verdict.className = view.allowed ? "verdict allowed" : "verdict denied";
  verdict.textContent = view.allowed
    ? `Yes: ${body.subject} may ${body.action} ${dataset}.`
    : `No: ${body.subject} may not ${body.action} ${dataset}${view.held ? ` (they hold ${view.held})` : ""}.`;
  const why = document.createElement("p");
  why.textContent = `Deciding rule: ${view.rule}`;
  const path = document.createElement("p");
  path.textContent = `Path: ${view.path.join(" → ")}`;
  answer.append(verdict, why, path);
});
