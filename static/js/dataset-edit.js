// The dataset's details, for its editors: name, description, licence and tags, saved through
// PATCH /api/v1/datasets/{id}. The page reloads to show them as everyone else will.

import { csrfToken, errorMessage } from "./http.js";

const details = document.getElementById("edit-details");
const form = document.getElementById("metadata");
const status = document.getElementById("metadata-status");

if (form) {
  details.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const licence = data.get("licence").trim();
    const body = {
      name: data.get("name").trim(),
      description: data.get("description").trim(),
      licence: licence === "" ? null : licence,
      tags: data
        .get("tags")
        .split(",")
        .map((tag) => tag.trim())
        .filter((tag) => tag !== ""),
    };
    status.textContent = "Saving…";
    const response = await fetch(`/api/v1/datasets/${encodeURIComponent(form.dataset.dataset)}`, {
      method: "PATCH",
      headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
      body: JSON.stringify(body),
    });
    if (response.ok) {
      window.location.reload();
    } else {
      status.textContent = `Not saved: ${await errorMessage(response)}`;
    }
  });
}
