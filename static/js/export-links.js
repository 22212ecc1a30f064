// "My links": revokes a link through DELETE /api/v1/links/{id}, and extends it or changes its
// download limit through PATCH /api/v1/links/{id}, with the outcome in words.

import { call, csrfToken, reason } from "./http.js";

const status = document.getElementById("links-status");

for (const button of document.querySelectorAll("button.revoke")) {
  button.addEventListener("click", async () => {
    const id = button.dataset.link;
    const row = document.querySelector(`tr[data-link="${CSS.escape(id)}"]`);
    const name = row ? row.cells[0].textContent.trim() : "the link";
    if (!window.confirm(`Revoke ${name}? Its address and every token made from it stop working at once.`)) {
      return;
    }
    button.disabled = true;
    const response = await fetch(`/api/v1/links/${encodeURIComponent(id)}`, {
      method: "DELETE",
      headers: { "X-CSRF-Token": csrfToken() },
    });
    if (response.status === 204) {
      status.textContent = `${name} is revoked.`;
      if (row) {
        const state = row.querySelector(".state");
        state.textContent = "revoked";
        state.className = "state state-revoked";
      }
      button.remove();
    } else {
      const body = await response.json().catch(() => null);
      status.textContent = `Could not revoke ${name}: ${body?.error?.message ?? `the server answered ${response.status}`}`;
      button.disabled = false;
    }
  });
}

for (const form of document.querySelectorAll("form.change-link")) {
  form.closest("details").hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const row = form.closest("tr");
    const name = row.cells[0].textContent.trim();
    const data = new FormData(form);
    const changes = {};
    const hours = Number(data.get("hours"));
    if (hours > 0) changes.expires_in = Math.round(hours * 3600);
    if (form.elements.max_downloads) {
      const max = data.get("max_downloads");
      changes.max_downloads = max === "" ? null : Number(max);
    }
    const result = await call("PATCH", `/api/v1/links/${encodeURIComponent(form.dataset.link)}`, changes);
    if (result.ok) {
      window.location.reload();
    } else {
      status.textContent = `Could not change ${name}: ${reason(result)}`;
    }
  });
}
