// The export dialog on a dataset's page. Without this script the form still downloads directly
// (format, version, first row, row limit). With it: the chosen format's options (rendered on
// the server from the plugin's options schema), columns to include, rename and reorder, row
// filters and sort; "Download now" fetches the file so that a refusal reads as a sentence on
// the page instead of replacing it, and "Export in the background" queues a job
// (POST /api/v1/datasets/{id}/exports) whose progress arrives as server-sent events, with
// cancel, the download when done, and the job added to the history with its manifest.

import { csrfToken, errorMessage, sentence } from "./http.js";

const form = document.getElementById("export");

if (form) {
  const dataset = encodeURIComponent(form.dataset.dataset);
  const status = document.getElementById("export-status");
  const formatSelect = document.getElementById("format");
  const columnRows = document.querySelector("#export-columns tbody");
  const conditions = document.getElementById("conditions");
  const conditionTemplate = document.getElementById("condition-template");

  for (const element of form.querySelectorAll(".needs-script")) element.hidden = false;
  document.getElementById("queue").hidden = false;

  // Only the chosen format's options are shown, and sent.
  function showOptions() {
    for (const fieldset of form.querySelectorAll(".options[data-format]")) {
      fieldset.hidden = fieldset.dataset.format !== formatSelect.value;
    }
  }
  formatSelect.addEventListener("change", showOptions);
  showOptions();

  // Columns: moving a row moves it in the export; focus stays on the button pressed.
  columnRows.addEventListener("click", (event) => {
    const button = event.target.closest("button.move");
    if (!button) return;
    const row = button.closest("tr");
    if (button.dataset.move === "up" && row.previousElementSibling) {
      row.parentElement.insertBefore(row, row.previousElementSibling);
    } else if (button.dataset.move === "down" && row.nextElementSibling) {
      row.parentElement.insertBefore(row.nextElementSibling, row);
    }
    button.focus();
  });

  document.getElementById("add-condition").addEventListener("click", () => {
    const item = conditionTemplate.content.firstElementChild.cloneNode(true);
    conditions.append(item);
    item.querySelector("select").focus();
  });
  conditions.addEventListener("click", (event) => {
    if (event.target.closest("button.remove-condition")) {
      event.target.closest("li").remove();
      document.getElementById("add-condition").focus();
    }
  });
  conditions.addEventListener("change", (event) => {
    if (!event.target.classList.contains("condition-op")) return;
    const needsValue = !["is_null", "is_not_null"].includes(event.target.value);
    event.target.closest("li").querySelector(".condition-value").disabled = !needsValue;
  });

  // A value typed for a column of `type`, as the filter language wants it.
  function typed(text, type, column) {
    const value = text.trim();
    if (type === "integer" || type === "float") {
      const number = Number(value);
      if (value === "" || Number.isNaN(number)) throw new Error(`“${value}” is not a number, and ${column} holds numbers.`);
      return number;
    }
    if (type === "boolean") {
      if (/^(true|yes)$/i.test(value)) return true;
      if (/^(false|no)$/i.test(value)) return false;
      throw new Error(`${column} holds true or false, not “${value}”.`);
    }
    return value;
  }

  function filter() {
    const parts = [];
    for (const item of conditions.querySelectorAll("li")) {
      const select = item.querySelector(".condition-column");
      const column = select.value;
      const type = select.selectedOptions[0].dataset.type;
      const op = item.querySelector(".condition-op").value;
      const text = item.querySelector(".condition-value").value;
      if (op === "is_null" || op === "is_not_null") {
        parts.push({ column, op });
      } else if (op === "in" || op === "not_in") {
        const values = text.split(",").filter((v) => v.trim() !== "");
        if (values.length === 0) throw new Error(`Give at least one value for ${column}, separated by commas.`);
        parts.push({ column, op, value: values.map((v) => typed(v, type, column)) });
      } else {
        if (text.trim() === "" && type !== "string") throw new Error(`Give a value to compare ${column} with.`);
        parts.push({ column, op, value: typed(text, type, column) });
      }
    }
    if (parts.length === 0) return null;
    if (parts.length === 1) return parts[0];
    return { [document.getElementById("filter-match").value]: parts };
  }

  function options() {
    const fieldset = form.querySelector(`.options[data-format="${CSS.escape(formatSelect.value)}"]`);
    const chosen = {};
    for (const control of fieldset?.querySelectorAll("[data-option]") ?? []) {
      const name = control.dataset.option;
      const fallback = control.dataset.default;
      switch (control.dataset.kind) {
        case "flag":
          if (String(control.checked) !== fallback) chosen[name] = control.checked;
          break;
        case "integer":
        case "number":
          if (control.value !== "" && control.value !== fallback) chosen[name] = Number(control.value);
          break;
        default:
          if (control.value !== fallback) chosen[name] = control.value;
      }
    }
    return Object.keys(chosen).length > 0 ? chosen : null;
  }

  // The export as the API takes it; throws with a sentence when something is not right.
  function spec() {
    const rows = [...columnRows.querySelectorAll("tr")];
    const included = rows.filter((row) => row.querySelector(".include").checked);
    if (included.length === 0) throw new Error("Tick at least one column to export.");
    const names = included.map((row) => row.dataset.column);
    const reordered = rows.some((row, i) => row.dataset.column !== columnRows.dataset.original?.split("\u0000")[i]);
    const rename = {};
    for (const row of included) {
      const name = row.querySelector(".rename").value.trim();
      if (name !== "" && name !== row.dataset.column) rename[row.dataset.column] = name;
    }
    const sort = [];
    for (const id of ["sort-first", "sort-second"]) {
      const column = document.getElementById(id).value;
      if (column) sort.push({ column, descending: document.getElementById(`${id}-desc`).checked });
    }
    const result = { format: formatSelect.value };
    const version = Number(document.getElementById("export-version").value);
    if (version > 0) result.version = version;
    if (included.length < rows.length || reordered) result.columns = names;
    if (Object.keys(rename).length > 0) result.rename = rename;
    // The table's view, when kept, narrows the rows further and orders them unless the
    // dialog sorts.
    const viewOnly = document.getElementById("export-view-only")?.checked;
    const viewFilter = viewOnly ? document.getElementById("export-view-filter")?.value : "";
    const viewSort = viewOnly ? document.getElementById("export-view-sort")?.value : "";
    let rowFilter = filter();
    if (viewFilter) rowFilter = rowFilter ? { and: [JSON.parse(viewFilter), rowFilter] } : JSON.parse(viewFilter);
    if (rowFilter) result.filter = rowFilter;
    if (sort.length === 0 && viewSort) {
      for (const key of viewSort.split(",")) {
        sort.push(key.startsWith("-") ? { column: key.slice(1), descending: true } : { column: key, descending: false });
      }
    }
    if (sort.length > 0) result.sort = sort;
    const offset = document.getElementById("export-offset").value;
    const limit = document.getElementById("export-limit").value;
    if (offset !== "") result.offset = Number(offset);
    if (limit !== "") result.limit = Number(limit);
    const chosen = options();
    if (chosen) result.options = chosen;
    return result;
  }
  // The export as the API takes it, or nothing, with the reason said on the page.
  function checkedSpec() {
    try {
      return spec();
    } catch (error) {
      status.textContent = error.message;
      return null;
    }
  }

  columnRows.dataset.original = [...columnRows.querySelectorAll("tr")].map((row) => row.dataset.column).join("\u0000");

  // The server names a refused option by its label and key ("“Text for empty cells”
  // (options/null_text)"), or by its key alone; say it as the form does, once.
  function optionLabels(message) {
    const labelled = message.replace(/“([^”]*)” \(options\/[A-Za-z0-9_-]+\)/g, "the option “$1”");
    return labelled.replace(/options\/([A-Za-z0-9_-]+)/gi, (whole, name) => {
      const control = form.querySelector(
        `.options[data-format="${CSS.escape(formatSelect.value)}"] [data-option="${CSS.escape(name)}"]`,
      );
      const label = control?.labels?.[0]?.textContent.trim();
      return label ? `the option “${label}”` : whole;
    });
  }

  function query(wanted) {
    const params = new URLSearchParams({ format: wanted.format });
    if (wanted.version) params.set("version", wanted.version);
    if (wanted.columns) params.set("columns", wanted.columns.join(","));
    if (wanted.rename) params.set("rename", JSON.stringify(wanted.rename));
    if (wanted.filter) params.set("filter", JSON.stringify(wanted.filter));
    if (wanted.sort) params.set("sort", wanted.sort.map((k) => (k.descending ? "-" : "") + k.column).join(","));
    if (wanted.offset != null) params.set("offset", wanted.offset);
    if (wanted.limit != null) params.set("limit", wanted.limit);
    if (wanted.options) params.set("options", JSON.stringify(wanted.options));
    return params.toString();
  }

  function fileName(response, fallback) {
    const header = response.headers.get("content-disposition") ?? "";
    const encoded = header.match(/filename\*=UTF-8''([^;]+)/i);
    if (encoded) return decodeURIComponent(encoded[1]);
    const plain = header.match(/filename="?([^";]+)"?/i);
    return plain ? plain[1] : fallback;
  }

  // Sizes as the server writes them (host/src/human.rs): binary units, one decimal.
  function readableSize(bytes) {
    const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const wanted = checkedSpec();
    if (!wanted) return;
    status.textContent = "Preparing the export…";
    const response = await fetch(`${form.action}?${query(wanted)}`);
    if (!response.ok) {
      status.textContent = `The export was refused: ${optionLabels(await errorMessage(response))}`;
      return;
    }
    const reader = response.body.getReader();
    const parts = [];
    let received = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        received += value.length;
        status.textContent = `Downloading… ${readableSize(received)}`;
      }
    } catch {
      status.textContent = "The export broke off before the end; nothing was saved. Try again, or export in the background.";
      return;
    }
    const blob = new Blob(parts, { type: response.headers.get("content-type") ?? "application/octet-stream" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = fileName(response, `export.${wanted.format}`);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    status.textContent = `Downloaded ${link.download} (${readableSize(received)}).`;
  });

  // The queued export.
  const job = document.getElementById("job");
  const bar = document.getElementById("job-progress");
  const jobStatus = document.getElementById("job-status");
  const cancelButton = document.getElementById("job-cancel");
  const download = document.getElementById("job-download");
  let current = null;

  function rowsText(view) {
    const done = view.rows_done.toLocaleString();
    return view.total_rows == null ? `${done} rows` : `${done} of ${view.total_rows.toLocaleString()} rows`;
  }

  function addToHistory(view) {
    const table = document.getElementById("export-history");
    if (!table) return;
    // The first export of the dataset: the empty table shows, its notice goes.
    table.closest("[role=region]").hidden = false;
    document.getElementById("export-history-empty").hidden = true;
    if (table.querySelector(`tr[data-job="${CSS.escape(view.id)}"]`)) return;
    const row = table.tBodies[0].insertRow(0);
    row.dataset.job = view.id;
    for (const text of [view.created_at, view.format, String(view.version), view.status, String(view.rows_done), readableSize(view.bytes_done)]) {
      row.insertCell().textContent = text;
    }
    const cell = row.insertCell();
    const link = document.createElement("a");
    link.href = view.download_url;
    link.download = "";
    link.textContent = view.file_name ?? "Download";
    cell.append(link);
    if (view.manifest) {
      const details = document.createElement("details");
      details.className = "manifest";
      const summary = document.createElement("summary");
      summary.textContent = "Manifest";
      const pre = document.createElement("pre");
      pre.textContent = JSON.stringify(view.manifest, null, 2);
      details.append(summary, pre);
      cell.append(details);
    }
  }

  function show(view) {
    if (view.progress != null) bar.value = Math.round(view.progress * 100);
    switch (view.status) {
      case "queued":
        jobStatus.textContent = "Waiting for a free worker…";
        break;
      case "running":
        jobStatus.textContent = `Exporting: ${rowsText(view)}.`;
        break;
      case "done":
        bar.value = 100;
        jobStatus.textContent = `Done: ${rowsText(view)}, ${readableSize(view.bytes_done)}.`;
        download.href = view.download_url;
        download.textContent = view.file_name ? `Download ${view.file_name}` : "Download the file";
        download.hidden = false;
        cancelButton.hidden = true;
        addToHistory(view);
        break;
      case "failed":
        jobStatus.textContent = `The export failed: ${sentence(optionLabels(view.error?.message ?? "no reason given"))}`;
        cancelButton.hidden = true;
        break;
      case "cancelled":
        jobStatus.textContent = "The export was cancelled.";
        cancelButton.hidden = true;
        break;
      default:
        jobStatus.textContent = `The export is ${view.status}.`;
    }
  }

  document.getElementById("queue").addEventListener("click", async () => {
    const wanted = checkedSpec();
    if (!wanted) return;
    status.textContent = "";
    job.hidden = false;
    download.hidden = true;
    cancelButton.hidden = false;
    bar.value = 0;
    jobStatus.textContent = "Starting the export…";
    const response = await fetch(`/api/v1/datasets/${dataset}/exports`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
      body: JSON.stringify(wanted),
    });
    if (response.status !== 202) {
      jobStatus.textContent = `The export could not start: ${optionLabels(await errorMessage(response))}`;
      cancelButton.hidden = true;
      return;
    }
    current = (await response.json()).job_id;
    const events = new EventSource(`/api/v1/exports/${encodeURIComponent(current)}/events`);
    for (const name of ["progress", "done", "failed", "cancelled", "expired"]) {
      events.addEventListener(name, (event) => {
        show(JSON.parse(event.data));
        if (name !== "progress") events.close();
      });
    }
    events.onerror = () => {
      if (events.readyState === EventSource.CLOSED) return;
      jobStatus.textContent = "Lost contact with the server; the export goes on. Reload to see it in the history.";
      events.close();
    };
  });

  cancelButton.addEventListener("click", async () => {
    if (!current) return;
    const response = await fetch(`/api/v1/exports/${encodeURIComponent(current)}/cancel`, {
      method: "POST",
      headers: { "x-csrf-token": csrfToken() },
    });
    if (!response.ok) jobStatus.textContent = `Could not cancel: ${await errorMessage(response)}`;
  });
}
