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
