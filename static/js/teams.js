// Teams, for everyone: creates a team (POST /api/v1/teams), renames it (PATCH
// /api/v1/teams/{id}), adds a member or changes a role (POST /api/v1/teams/{id}/members),
// removes a member or leaves (DELETE /api/v1/teams/{id}/members/{user}), and moves a dataset
// the reader owns to a team or out of one (PATCH /api/v1/datasets/{id} with "team"). A change
// to who belongs redraws the page from the server, with what was done said once it is back.

import { call, reason } from "./http.js";

const status = document.getElementById("teams-status");
const SAID = "tessera-teams-said";

const said = sessionStorage.getItem(SAID);
if (said) {
  status.textContent = said;
  sessionStorage.removeItem(SAID);
}

/** Reloads the page to show what the server stored, saying `message` once it is back. */
function redraw(message) {
  sessionStorage.setItem(SAID, message);
  window.location.reload();
}

for (const element of document.querySelectorAll(".team-actions")) element.hidden = false;
for (const button of document.querySelectorAll("button.remove-member")) button.hidden = false;

document.getElementById("create-team").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const result = await call("POST", "/api/v1/teams", {
    name: form.elements.name.value,
    description: form.elements.description.value,
  });
  if (result.ok) {
    redraw(`Team ${result.json.name} created; you are its owner.`);
  } else {
    status.textContent = `Not created: ${reason(result)}`;
  }
});

for (const section of document.querySelectorAll("section.team")) {
  const team = encodeURIComponent(section.dataset.team);
  const teamName = section.dataset.name;

  const rename = section.querySelector("form.rename-team");
  rename?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await call("PATCH", `/api/v1/teams/${team}`, {
      name: rename.elements.name.value,
      description: rename.elements.description.value,
    });
    if (result.ok) {
      redraw(`Team ${teamName} is now ${result.json.name}.`);
    } else {
      status.textContent = `Not renamed: ${reason(result)}`;
    }
  });

  const add = section.querySelector("form.add-member");
  add?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const person = add.elements.user.value.trim();
    const role = add.elements.role.value;
    const result = await call("POST", `/api/v1/teams/${team}/members`, { user: person, role });
    if (result.ok) {
      redraw(`${person} is in ${teamName} as ${role}.`);
    } else {
      status.textContent = `Not added: ${reason(result)}`;
    }
  });

  for (const row of section.querySelectorAll("tbody tr")) {
    const user = row.dataset.user;
    const name = row.dataset.name;
    const select = row.querySelector("select.member-role");
    select?.addEventListener("change", async () => {
      const result = await call("POST", `/api/v1/teams/${team}/members`, { user, role: select.value });
      if (result.ok) {
        redraw(`${name} is now ${select.value} of ${teamName}.`);
      } else {
        select.value = select.dataset.role;
        status.textContent = `Role not changed: ${reason(result)}`;
      }
    });
    const remove = row.querySelector("button.remove-member");
    remove?.addEventListener("click", async () => {
      const leaving = remove.textContent.trim() === "Leave";
      const question = leaving
        ? `Leave ${teamName}? You lose what the team gives you at once.`
        : `Remove ${name} from ${teamName}? They lose what the team gives them at once.`;
      if (!window.confirm(question)) return;
      const result = await call("DELETE", `/api/v1/teams/${team}/members/${encodeURIComponent(user)}`);
      if (result.ok) {
        redraw(leaving ? `You left ${teamName}.` : `${name} is no longer in ${teamName}.`);
      } else {
        status.textContent = `Not removed: ${reason(result)}`;
      }
    });
  }
}

// A dataset's team changes in place; a refusal puts the team back and says why.
for (const select of document.querySelectorAll("select.dataset-team")) {
  const row = select.closest("tr");
  select.addEventListener("change", async () => {
    const team = select.value === "" ? null : select.value;
    const result = await call("PATCH", `/api/v1/datasets/${encodeURIComponent(row.dataset.dataset)}`, { team });
    if (result.ok) {
      select.dataset.team = select.value;
      const where = team === null ? "in no team" : `in ${select.selectedOptions[0].textContent}`;
      status.textContent = `${row.dataset.name} is now ${where}.`;
    } else {
      select.value = select.dataset.team;
      status.textContent = `Not moved: ${reason(result)}`;
    }
  });
}
