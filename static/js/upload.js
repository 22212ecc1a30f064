// Uploads a file from the file picker or a drop, with a progress bar, through the same API a
// script would use: a new dataset (POST /api/v1/datasets, then its page opens) or, on a
// dataset's page, a new version (the drop zone's data-upload-url, then the page reloads). The
// server's message is shown as it is written.
//
// A new version is checked first (issue 16): the file goes to the API with dry_run=true, which
// stores nothing and answers how its columns differ from the current version's and both row
// counts. Those are shown; the same columns upload at once, different ones only after "Upload
// anyway" (confirm_schema_change=true).

import { csrfToken } from "./http.js";

const drop = document.getElementById("drop");
const target = drop.dataset.uploadUrl ?? "/api/v1/datasets";
const reloadWhenDone = drop.dataset.then === "reload";
drop.closest("[hidden].needs-script")?.removeAttribute("hidden");
const input = document.getElementById("file");
const bar = document.getElementById("upload-progress");
const status = document.getElementById("upload-status");
// A new version's change note, where the page offers one.
const note = document.getElementById("version-message");
// Where a new version's check is shown, with its confirmation.
const check = document.getElementById("version-check");

/** Posts `file` to `url`, showing progress; calls `done(status, body)` with the answer. */
function send(file, url, verb, done) {
  const form = new FormData();
  form.append("file", file, file.name);
  if (note && note.value.trim()) form.append("message", note.value.trim());
  const request = new XMLHttpRequest();
  request.open("POST", url);
  request.setRequestHeader("X-CSRF-Token", csrfToken());
  request.responseType = "json";
  bar.hidden = false;
  bar.value = 0;
  status.textContent = `${verb} ${file.name}…`;
  request.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) {
      bar.value = Math.round((event.loaded / event.total) * 100);
    }
  });
  request.upload.addEventListener("load", () => {
    bar.value = 100;
    status.textContent = `Reading ${file.name}…`;
  });
  request.addEventListener("load", () => {
    bar.hidden = true;
    done(request.status, request.response);
  });
  request.addEventListener("error", () => {
    bar.hidden = true;
    status.textContent = "The upload failed: the connection to the server broke. Try again.";
  });
  request.send(form);
}

function failed(code, body) {
  const message = body && body.error ? body.error.message : `the server answered ${code}`;
  status.textContent = `The upload failed: ${message}`;
}

function upload(file, url = target) {
  send(file, url, "Uploading", (code, body) => {
    if (code === 201 && body && body.id) {
      if (reloadWhenDone) {
        status.textContent = `${file.name} is now version ${body.version}.`;
        window.location.reload();
      } else {
        status.textContent = `${file.name} is uploaded.`;
        window.location.assign(`/datasets/${encodeURIComponent(body.id)}`);
      }
    } else {
      failed(code, body);
    }
  });
}

/** "a, b and c" */
function listed(words) {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** The check's answer, as sentences: both row counts, then each kind of change. */
function showCheck(file, found) {
  const change = found.schema_change;
  const lines = [
    `${file.name} has ${found.rows} rows; version ${found.current_version}, the current one, has ${found.current_rows}.`,
  ];
  if (change.added.length > 0) {
    lines.push(`Columns added: ${listed(change.added.map((c) => `${c.name} (${c.type})`))}.`);
  }
  if (change.removed.length > 0) {
    lines.push(`Columns removed: ${listed(change.removed.map((c) => c.name))}.`);
  }
  for (const retyped of change.retyped) {
    lines.push(`Column ${retyped.column} changes from ${retyped.from} to ${retyped.to}.`);
  }
  const list = check.querySelector("#version-check-lines");
  list.replaceChildren(
    ...lines.map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }),
  );
  check.hidden = false;
}

/** A new version: checked by a dry run first, then uploaded, confirmed when its columns differ. */
function checkThenUpload(file) {
  const separator = target.includes("?") ? "&" : "?";
  check.hidden = true;
  send(file, `${target}${separator}dry_run=true`, "Checking", (code, body) => {
    if (code !== 200 || !body || !body.schema_change) {
      failed(code, body);
      return;
    }
    showCheck(file, body);
    const change = body.schema_change;
    const differs = change.added.length + change.removed.length + change.retyped.length > 0;
    const question = check.querySelector("#version-check-question");
    question.hidden = !differs;
    if (!differs) {
      upload(file);
      return;
    }
    status.textContent = "The columns differ from the current version's. Upload it anyway, or cancel.";
    const confirm = check.querySelector("#version-confirm");
    const cancel = check.querySelector("#version-cancel");
    const settle = () => {
      confirm.onclick = null;
      cancel.onclick = null;
      question.hidden = true;
    };
    confirm.onclick = () => {
      settle();
      upload(file, `${target}${separator}confirm_schema_change=true`);
    };
    cancel.onclick = () => {
      settle();
      check.hidden = true;
      input.value = "";
      status.textContent = "Nothing was uploaded.";
    };
    confirm.focus();
  });
}

function start(file) {
  if (reloadWhenDone && check) checkThenUpload(file);
  else upload(file);
}

input.addEventListener("change", () => {
  if (input.files.length > 0) start(input.files[0]);
});
for (const name of ["dragenter", "dragover"]) {
  drop.addEventListener(name, (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
}
for (const name of ["dragleave", "drop"]) {
  drop.addEventListener(name, () => drop.classList.remove("over"));
}
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  if (event.dataTransfer.files.length > 0) start(event.dataTransfer.files[0]);
});
