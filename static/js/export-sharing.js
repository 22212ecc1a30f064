// The dataset page's export: besides the plain "Download now" form (no script needed), a
// queued export whose progress arrives as server-sent events, with cancel and the download
// when done, through POST /api/v1/datasets/{id}/exports and /api/v1/exports/{job}/events.

const form = document.getElementById("export");
const queueButton = document.getElementById("queue");
const job = document.getElementById("job");
const bar = document.getElementById("job-progress");
const status = document.getElementById("job-status");
const cancelButton = document.getElementById("job-cancel");
const download = document.getElementById("job-download");

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)tessera_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function rowsText(view) {
  const done = view.rows_done.toLocaleString();
  return view.total_rows == null ? `${done} rows` : `${done} of ${view.total_rows.toLocaleString()} rows`;
}

function show(view) {
  if (view.progress != null) bar.value = Math.round(view.progress * 100);
  switch (view.status) {
    case "queued":
      status.textContent = "Waiting for a free worker…";
      break;
    case "running":
      status.textContent = `Exporting: ${rowsText(view)}.`;
      break;
    case "done":
      bar.value = 100;
      status.textContent = `Done: ${rowsText(view)}, ${view.bytes_done.toLocaleString()} bytes.`;
      download.href = view.download_url;
      download.hidden = false;
      cancelButton.hidden = true;
      break;
    case "failed":
      status.textContent = `The export failed: ${view.error?.message ?? "no reason given"}`;
      cancelButton.hidden = true;
      break;
    case "cancelled":
      status.textContent = "The export was cancelled.";
      cancelButton.hidden = true;
      break;
    default:
      status.textContent = `The export is ${view.status}.`;
  }
}

let current = null;

if (form) {
  queueButton.hidden = false;
  queueButton.addEventListener("click", async () => {
    const format = new FormData(form).get("format");
    job.hidden = false;
    download.hidden = true;
    cancelButton.hidden = false;
    bar.value = 0;
    status.textContent = "Starting the export…";
    const response = await fetch(`/api/v1/datasets/${encodeURIComponent(form.dataset.dataset)}/exports`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
      body: JSON.stringify({ format }),
    });
    const body = await response.json().catch(() => null);
    if (response.status !== 202 || !body?.job_id) {
      status.textContent = `The export could not start: ${body?.error?.message ?? response.status}`;
      cancelButton.hidden = true;
      return;
    }
    current = body.job_id;
    const events = new EventSource(`/api/v1/exports/${encodeURIComponent(current)}/events`);
    for (const name of ["progress", "done", "failed", "cancelled", "expired"]) {
      events.addEventListener(name, (event) => {
        show(JSON.parse(event.data));
        if (name !== "progress") events.close();
      });
    }
    events.onerror = () => {
      if (events.readyState === EventSource.CLOSED) return;
      status.textContent = "Lost contact with the server; the export goes on. Reload to see it.";
      events.close();
    };
  });
  cancelButton.addEventListener("click", async () => {
    if (!current) return;
    await fetch(`/api/v1/exports/${encodeURIComponent(current)}/cancel`, {
      method: "POST",
      headers: { "x-csrf-token": csrfToken() },
    });
  });
}

// Sharing, for those who administer the dataset: with people, groups and teams, and links.
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
  const json = response.status === 204 ? null : await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, json };
}

if (shareForm) {
  const dataset = encodeURIComponent(shareForm.dataset.dataset);
  shareForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(shareForm);
    const body = { level: data.get("level") };
    body[data.get("kind")] = data.get("who").trim();
    const days = Number(data.get("days"));
    if (days > 0) body.expires_in = days * 86400;
    const result = await send("POST", `/api/v1/datasets/${dataset}/shares`, body);
    if (result.ok) {
      window.location.reload();
    } else {
      shareStatus.textContent = `Not shared: ${result.json?.error?.message ?? result.status}`;
    }
  });
  for (const button of document.querySelectorAll("button.revoke-share")) {
    button.addEventListener("click", async () => {
      const result = await send("DELETE", `/api/v1/datasets/${dataset}/shares/${encodeURIComponent(button.dataset.share)}`);
      if (result.ok) {
        button.closest("tr").remove();
        shareStatus.textContent = "Sharing stopped; it takes effect at once.";
      } else {
        shareStatus.textContent = `Could not stop sharing: ${result.json?.error?.message ?? result.status}`;
      }
    });
  }
}

if (linkForm) {
  const dataset = encodeURIComponent(linkForm.dataset.dataset);
  linkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(linkForm);
    const body = { level: data.get("level"), self_destruct: data.get("self_destruct") === "on" };
    const hours = Number(data.get("hours"));
    if (hours > 0) body.expires_in = hours * 3600;
    const max = Number(data.get("max_downloads"));
    if (max > 0) body.max_downloads = max;
    if (data.get("password")) body.password = data.get("password");
    const result = await send("POST", `/api/v1/datasets/${dataset}/links`, body);
    if (result.ok) {
      document.getElementById("link-url").value = result.json.url;
      document.getElementById("link-token").value = result.json.token;
      document.getElementById("link-made").hidden = false;
      linkStatus.textContent = "Link created. Copy it now: it is not shown again. It is listed in My links.";
    } else {
      linkStatus.textContent = `No link made: ${result.json?.error?.message ?? result.status}`;
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
