// Users, for site admins: creates an account through POST /api/v1/admin/users, changes a
// role or disables and enables an account through PATCH /api/v1/admin/users/{id}, and makes a
// password-reset link through POST /api/v1/admin/users/{id}/password-reset, shown once to
// pass on. Each row is redrawn from the server's answer, so the page shows what was stored.

import { call, reason } from "./http.js";

const status = document.getElementById("users-status");
const table = document.getElementById("users");
const form = document.getElementById("create-user");
const rowTemplate = document.getElementById("user-row");

/** Brings a row in line with a user as the API describes them. */
function show(row, user) {
  row.dataset.admin = String(user.is_admin);
  row.dataset.active = String(user.is_active);
  row.querySelector(".role").textContent = user.is_admin ? "site admin" : "member";
  const state = row.querySelector(".state");
  state.textContent = user.is_active ? "active" : "disabled";
  state.className = `state ${user.is_active ? "state-active" : "state-disabled"}`;
  const role = row.querySelector("button.role-change");
  const active = row.querySelector("button.active-change");
  if (role) role.textContent = user.is_admin ? "Make member" : "Make admin";
  if (active) active.textContent = user.is_active ? "Disable" : "Enable";
  label(row);
}

/** Names each button after its row's person, for those who hear the page. */
function label(row) {
  const email = row.querySelector(".email").textContent.trim();
  for (const button of row.querySelectorAll("button")) {
    button.setAttribute("aria-label", `${button.textContent.trim()}: ${email}`);
  }
}

async function change(row, changes, done) {
  const buttons = row.querySelectorAll("button");
  for (const button of buttons) button.disabled = true;
  const result = await call("PATCH", `/api/v1/admin/users/${encodeURIComponent(row.dataset.user)}`, changes);
  for (const button of buttons) button.disabled = false;
  if (result.ok) {
    show(row, result.json);
    status.textContent = done(result.json);
  } else {
    status.textContent = `Not changed: ${reason(result)}`;
  }
}

const resetSection = document.getElementById("reset-link");

/** Makes a password-reset link for the row's person and shows it, once. */
async function resetLink(row, button) {
  const email = row.querySelector(".email").textContent.trim();
  button.disabled = true;
  const result = await call("POST", `/api/v1/admin/users/${encodeURIComponent(row.dataset.user)}/password-reset`);
  button.disabled = false;
  if (result.status !== 201) {
    status.textContent = `No link made: ${reason(result)}`;
    return;
  }
  const until = `${result.json.expires_at.slice(0, 10)} ${result.json.expires_at.slice(11, 16)} UTC`;
  document.getElementById("reset-link-for").textContent =
    `For ${result.json.email}, working once until ${until}. Any link made before for them no longer works.`;
  const url = document.getElementById("reset-link-url");
  url.value = result.json.url;
  resetSection.hidden = false;
  url.focus();
  url.select();
  status.textContent = `A password-reset link for ${email} is shown below; pass it on to them.`;
}

function wire(row) {
  const reset = row.querySelector("button.reset-link");
  if (reset) {
    reset.hidden = false;
    reset.addEventListener("click", () => resetLink(row, reset));
  }
  const role = row.querySelector("button.role-change");
  const active = row.querySelector("button.active-change");
  if (role) {
    role.hidden = false;
    role.addEventListener("click", () => {
      const admin = row.dataset.admin !== "true";
      change(row, { is_admin: admin }, (user) =>
        admin ? `${user.email} is now a site admin.` : `${user.email} is now a member.`,
      );
    });
  }
  if (active) {
    active.hidden = false;
    active.addEventListener("click", () => {
      const enable = row.dataset.active !== "true";
      const email = row.querySelector(".email").textContent.trim();
      if (!enable && !window.confirm(`Disable ${email}? Their sessions and API tokens stop working at once.`)) {
        return;
      }
      change(row, { is_active: enable }, (user) =>
        enable ? `${user.email} may sign in again.` : `${user.email} is disabled and can no longer sign in.`,
      );
    });
  }
}

for (const row of table.tBodies[0].rows) {
  wire(row);
  label(row);
}
document.getElementById("user-actions").hidden = false;

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const body = {
    email: data.get("email").trim(),
    name: data.get("name").trim(),
    password: data.get("password"),
    is_admin: data.get("is_admin") === "on",
  };
  status.textContent = "";
  const result = await call("POST", "/api/v1/admin/users", body);
  if (result.status !== 201) {
    status.textContent = `Not created: ${reason(result)}`;
    return;
  }
  const user = result.json;
  const row = rowTemplate.content.firstElementChild.cloneNode(true);
  row.dataset.user = user.id;
  row.querySelector(".name").textContent = user.name;
  row.querySelector(".email").textContent = user.email;
  const created = row.querySelector(".created");
  created.dateTime = user.created_at;
  created.textContent = `${user.created_at.slice(0, 10)} ${user.created_at.slice(11, 16)} UTC`;
  show(row, user);
  wire(row);
  table.tBodies[0].prepend(row);
  const count = table.caption?.textContent.trim().match(/^(\d+) users?$/);
  if (count) table.caption.textContent = `${Number(count[1]) + 1} users`;
  status.textContent = `${user.email} is created and may sign in.`;
  form.reset();
});
