// "My links": revokes a link through DELETE /api/v1/links/{id} and shows the outcome in words.

import { csrfToken } from "./http.js";

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
