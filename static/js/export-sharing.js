// Sharing on a dataset's page, for those who administer it: with people, groups and teams
// (POST/PATCH/DELETE /api/v1/datasets/{id}/shares: a level changed in place, stopping asked to
// be confirmed), the person, group or team picked from suggestions as one types
// (GET /api/v1/people, which answers only the people around the sharer) or an email address
// typed in full, and links with expiry, download limit, password,
// self-destruct and a pinned version (POST /api/v1/datasets/{id}/links), whose link and token
// are shown once to copy.

import { csrfToken, errorMessage } from "./http.js";
import { combobox } from "./combobox.js";
import { clearFormErrors, placeError } from "./field-errors.js";

const shareForm = document.getElementById("share");
const shareStatus = document.getElementById("share-status");
const linkForm = document.getElementById("link");
const linkStatus = document.getElementById("link-status");

async function send(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) return { ok: false, status: response.status, message: await errorMessage(response) };
  const json = response.status === 204 ? null : await response.json().catch(() => null);
  return { ok: true, json };
}

// The server's refusals, by the field they concern.
const shareFields = [
  [/expir/i, "share-days"],
  [/email address|called|no group|no team|whom to share|user|group|team/i, "share-who"],
];
const linkFields = [
  [/password/i, "link-password"],
  [/expir/i, "link-expiry"],
  [/max_downloads|downloads/i, "link-max"],
  [/version/i, "link-version"],
];

if (shareForm) {
  const dataset = encodeURIComponent(shareForm.dataset.dataset);
  const who = document.getElementById("share-who");
  const kind = document.getElementById("share-kind");
  // The suggestion picked: its id is sent while the field still shows its name.
  let picked = null;
  combobox(who, {
    suggest: async (text) => {
      const response = await fetch(`/api/v1/people?q=${encodeURIComponent(text)}&limit=8`);
      if (!response.ok) return [];
      const found = await response.json();
      return found.map((p) => ({
        ...p,
        label: p.name,
        detail: p.kind === "user" ? p.email : p.kind,
      }));
    },
    pick: (option) => {
      picked = option;
      who.value = option.name;
      kind.value = option.kind;
    },
  });
  shareForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormErrors(shareForm);
    const data = new FormData(shareForm);
    const body = { level: data.get("level") };
    const named = data.get("who").trim();
    const chosen = picked !== null && picked.name === named && picked.kind === data.get("kind");
    body[data.get("kind")] = chosen ? picked.id : named;
    const days = Number(data.get("days"));
    if (days > 0) body.expires_in = days * 86400;
    const result = await send("POST", `/api/v1/datasets/${dataset}/shares`, body);
    if (result.ok) {
      window.location.reload();
    } else {
      shareStatus.textContent = `Not shared: ${result.message}`;
      if (result.status === 422) placeError(result.message, shareFields);
    }
  });
  // A share's level changes in place; a refusal puts the level back and says why.
  for (const select of document.querySelectorAll("select.share-level")) {
    select.addEventListener("change", async () => {
      const path = `/api/v1/datasets/${dataset}/shares/${encodeURIComponent(select.dataset.share)}`;
      const result = await send("PATCH", path, { level: select.value });
      if (result.ok) {
        select.dataset.level = select.value;
        shareStatus.textContent = `Level changed to ${select.value}; it takes effect at once.`;
      } else {
        select.value = select.dataset.level;
        shareStatus.textContent = `Level not changed: ${result.message}`;
      }
    });
  }
  // Stopping a share asks to be confirmed, in place: the first press arms the button and
  // offers to keep the share; the second stops it.
  for (const button of document.querySelectorAll("button.revoke-share")) {
    const label = button.textContent;
    const name = button.getAttribute("aria-label");
    const keep = document.createElement("button");
    keep.type = "button";
    keep.textContent = "Keep sharing";
    keep.hidden = true;
    button.after(keep);
    const disarm = () => {
      delete button.dataset.armed;
      button.textContent = label;
      button.setAttribute("aria-label", name);
      keep.hidden = true;
    };
    keep.addEventListener("click", () => {
      disarm();
      shareStatus.textContent = "Still shared.";
      button.focus();
    });
    button.addEventListener("click", async () => {
      if (!button.dataset.armed) {
        button.dataset.armed = "1";
        button.textContent = "Confirm: stop sharing";
        button.setAttribute("aria-label", `Confirm: ${name.toLowerCase()}`);
        keep.hidden = false;
        shareStatus.textContent = "Press again to stop sharing, or keep sharing.";
        return;
      }
      const result = await send("DELETE", `/api/v1/datasets/${dataset}/shares/${encodeURIComponent(button.dataset.share)}`);
      if (result.ok) {
        button.closest("tr").remove();
        shareStatus.textContent = "Sharing stopped; it takes effect at once.";
      } else {
        disarm();
        shareStatus.textContent = `Could not stop sharing: ${result.message}`;
      }
    });
  }
}

if (linkForm) {
  const dataset = encodeURIComponent(linkForm.dataset.dataset);
  // An exported file is fixed: it can only be downloaded, and has no version to choose.
  const item = document.getElementById("link-item");
  // An export's file also has its one format and its columns fixed.
  const fixedByFile = () => {
    const file = item !== null && item.value !== "";
    const level = document.getElementById("link-level");
    const version = document.getElementById("link-version");
    if (file) level.value = "download";
    level.disabled = file;
    version.disabled = file;
    for (const id of ["link-formats", "link-columns"]) {
      const fieldset = document.getElementById(id);
      if (fieldset) fieldset.disabled = file;
    }
  };
  item?.addEventListener("change", fixedByFile);
  linkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormErrors(linkForm);
    const data = new FormData(linkForm);
    const body = { level: data.get("level"), self_destruct: data.get("self_destruct") === "on" };
    const expiry = Number(data.get("expiry"));
    const expiresOn = data.get("expires_on");
    if (expiry > 0 && expiresOn) {
      const message = "Give an expiry after some hours or days, or a date, not both.";
      linkStatus.textContent = `No link made: ${message}`;
      placeError(message, [[/./, "link-expires-on"]]);
      return;
    }
    if (expiry > 0) body.expires_in = expiry * Number(data.get("expiry_unit"));
    // The end of the chosen day where the reader is, as the instant the server keeps.
    if (expiresOn) body.expires_at = new Date(`${expiresOn}T23:59:59`).toISOString();
    const formats = data.getAll("formats");
    if (formats.length > 0) body.formats = formats;
    const columns = data.getAll("columns");
    if (columns.length > 0) body.columns = columns;
    const max = Number(data.get("max_downloads"));
    if (max > 0) body.max_downloads = max;
    if (data.get("password")) body.password = data.get("password");
    const version = Number(data.get("version"));
    if (version > 0) body.version = version;
    const job = data.get("item");
    if (job) body.level = "download";
    const target = job ? `/api/v1/exports/${encodeURIComponent(job)}/links` : `/api/v1/datasets/${dataset}/links`;
    const result = await send("POST", target, body);
    if (result.ok) {
      document.getElementById("link-url").value = result.json.url;
      document.getElementById("link-token").value = result.json.token;
      document.getElementById("link-made").hidden = false;
      // Ready for the next link; this one joins the list of links below (export-links.js).
      linkForm.reset();
      fixedByFile();
      linkStatus.textContent =
        "Link created. Copy the token now: it is not shown again. The link is listed under Links below, where its address can be copied again.";
      document.dispatchEvent(new CustomEvent("link-created", { detail: { id: result.json.id } }));
    } else {
      linkStatus.textContent = `No link made: ${result.message}`;
      if (result.status === 422) placeError(result.message, linkFields);
    }
  });
  for (const button of document.querySelectorAll("button.copy")) {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        linkStatus.textContent = "Copied.";
      } catch {
        linkStatus.textContent = "Select the text and copy it.";
      }
    });
  }
}
