// The dataset's details, for its editors: name, description, licence and tags, saved through
// PATCH /api/v1/datasets/{id}. Once saved, the page's heading, description and facts show the
// new details without a reload, and "Saved at <time>" beside the button says so (role=status).
// A refusal about one field (the licence not on the SPDX list, a name too long) is shown beside
// that field, which is marked invalid and focused.

import { csrfToken, errorMessage } from "./http.js";
import { clearFormErrors, placeError } from "./field-errors.js";

const details = document.getElementById("edit-details");
const form = document.getElementById("metadata");
const status = document.getElementById("metadata-status");

// The server's sentences name the field they concern.
const fields = [
  [/licen[cs]e/i, "meta-licence"],
  [/description/i, "meta-description"],
  [/\btags?\b/i, "meta-tags"],
  [/\bname\b/i, "meta-name"],
];

/** The fact `term` of the page's list (`dl.facts`), made, changed or removed. */
function setFact(term, value, before) {
  const facts = document.querySelector("dl.facts");
  if (!facts) return;
  const dt = [...facts.querySelectorAll("dt")].find((d) => d.textContent.trim() === term);
  if (value === null || value === "") {
    if (dt) {
      dt.nextElementSibling?.remove();
      dt.remove();
    }
    return;
  }
  if (dt) {
    dt.nextElementSibling.textContent = value;
    return;
  }
  const newTerm = document.createElement("dt");
  newTerm.textContent = term;
  const newValue = document.createElement("dd");
  newValue.textContent = value;
  const next = before ? [...facts.querySelectorAll("dt")].find((d) => d.textContent.trim() === before) : null;
  facts.insertBefore(newTerm, next ?? null);
  facts.insertBefore(newValue, next ?? null);
}

/** Shows `dataset` (the API's answer) in the page's heading, description and facts. */
function showDetails(dataset) {
  const heading = document.querySelector("h1");
  if (heading) heading.textContent = dataset.name;
  document.title = `${dataset.name} · Tessera`;
  let description = document.querySelector("p.description");
  if (dataset.description) {
    if (!description) {
      description = document.createElement("p");
      description.className = "description";
      heading?.after(description);
    }
    description.textContent = dataset.description;
  } else {
    description?.remove();
  }
  setFact("Licence", dataset.licence, "Tags");
  setFact("Tags", dataset.tags.join(", "), null);
  form.elements.name.value = dataset.name;
  form.elements.description.value = dataset.description;
  form.elements.licence.value = dataset.licence ?? "";
  form.elements.tags.value = dataset.tags.join(", ");
}

if (form) {
  details.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormErrors(form);
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
      const dataset = await response.json().catch(() => null);
      if (dataset) showDetails(dataset);
      const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      status.textContent = `Saved at ${time}`;
    } else {
      const message = await errorMessage(response);
      status.textContent = `Not saved: ${message}`;
      if (response.status === 422) placeError(message, fields);
    }
  });
}
