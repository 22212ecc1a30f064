// Groups, for site admins: creates and deletes groups through /api/v1/groups, and adds members
// by email and removes them through /api/v1/groups/{id}/members. The lists are rendered by the
// server; this keeps them in line with each change.

import { call, reason } from "./http.js";

const status = document.getElementById("groups-status");
const table = document.getElementById("groups");
const noGroups = document.getElementById("no-groups");
const groupTemplate = document.getElementById("group-row");
const memberTemplate = document.getElementById("member-item");
const members = document.getElementById("members");

function groupPath(id) {
  return `/api/v1/groups/${encodeURIComponent(id)}`;
}

function wireDelete(row) {
  const button = row.querySelector("button.delete");
  button.hidden = false;
  button.addEventListener("click", async () => {
    const name = row.querySelector(".name a").textContent.trim();
    if (!window.confirm(`Delete the group ${name}? Whatever was shared with it is no longer shared with its members.`)) {
      return;
    }
    button.disabled = true;
    const result = await call("DELETE", groupPath(row.dataset.group));
    if (result.status === 204) {
      row.remove();
      if (members?.dataset.group === row.dataset.group) members.remove();
      status.textContent = `The group ${name} is deleted.`;
      if (table.tBodies[0].rows.length === 0) {
        table.hidden = true;
        noGroups.hidden = false;
      }
    } else {
      status.textContent = `Not deleted: ${reason(result)}`;
      button.disabled = false;
    }
  });
}

for (const row of table.tBodies[0].rows) wireDelete(row);
document.getElementById("group-actions").hidden = false;

document.getElementById("create-group").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  // Groups made here are admin-managed: only site admins change them, and policy rules may
  // name them.
  const body = { name: data.get("name").trim(), description: data.get("description").trim(), managed: true };
  status.textContent = "";
  const result = await call("POST", "/api/v1/groups", body);
  if (result.status !== 201) {
    status.textContent = `Not created: ${reason(result)}`;
    return;
  }
  const group = result.json;
  const row = groupTemplate.content.firstElementChild.cloneNode(true);
  row.dataset.group = group.id;
  const link = row.querySelector(".name a");
  link.href = `?group=${encodeURIComponent(group.id)}#members-title`;
  link.textContent = group.name;
  row.querySelector(".description").textContent = group.description;
  row.querySelector(".creator").textContent = document.querySelector("header .who")?.textContent.trim() ?? "";
  const created = row.querySelector(".created");
  created.dateTime = group.created_at;
  created.textContent = `${group.created_at.slice(0, 10)} ${group.created_at.slice(11, 16)} UTC`;
  row.querySelector("button.delete").setAttribute("aria-label", `Delete ${group.name}`);
  wireDelete(row);
  table.tBodies[0].prepend(row);
  table.hidden = false;
  noGroups.hidden = true;
  status.textContent = `The group ${group.name} is created. Open it to add members.`;
  form.reset();
});

if (members) {
  const groupId = members.dataset.group;
  const list = document.getElementById("member-list");
  const none = document.getElementById("no-members");
  const groupName = members.querySelector("h2").textContent.replace(/^Members of /, "");
  const count = table.querySelector(`tr[data-group="${CSS.escape(groupId)}"] .count`);

  const showCount = () => {
    const n = list.children.length;
    if (count) count.textContent = String(n);
    list.hidden = n === 0;
    none.hidden = n !== 0;
  };

  const wireRemove = (item) => {
    const button = item.querySelector("button.remove");
    button.hidden = false;
    button.addEventListener("click", async () => {
      const who = item.querySelector(".member").textContent.trim();
      button.disabled = true;
      const result = await call("DELETE", `${groupPath(groupId)}/members/${encodeURIComponent(item.dataset.user)}`);
      if (result.status === 204) {
        item.remove();
        showCount();
        status.textContent = `${who} is no longer in ${groupName}.`;
      } else {
        status.textContent = `Not removed: ${reason(result)}`;
        button.disabled = false;
      }
    });
  };

  for (const item of list.children) wireRemove(item);

  const form = document.getElementById("add-member");
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = new FormData(form).get("user").trim();
    status.textContent = "";
    const added = await call("POST", `${groupPath(groupId)}/members`, { user: email });
    if (added.status !== 204) {
      status.textContent = `Not added: ${reason(added)}`;
      return;
    }
    // The answer is empty: the group itself says who is in it now.
    const group = await call("GET", groupPath(groupId));
    if (!group.ok) {
      window.location.reload();
      return;
    }
    const present = new Set([...list.children].map((item) => item.dataset.user));
    for (const [index, member] of group.json.members.entries()) {
      if (present.has(member.id)) continue;
      const item = memberTemplate.content.firstElementChild.cloneNode(true);
      item.dataset.user = member.id;
      item.querySelector(".member").textContent = `${member.name} <${member.email}>`;
      item.querySelector(".muted").textContent = "added just now";
      item.querySelector("button.remove").setAttribute("aria-label", `Remove ${member.email} from ${groupName}`);
      wireRemove(item);
      list.insertBefore(item, list.children[index] ?? null);
    }
    showCount();
    status.textContent = `${email} is in ${groupName}.`;
    form.reset();
  });
}
