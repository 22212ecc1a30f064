// Uploads a file from the file picker or a drop, with a progress bar, through the same API a
// script would use: a new dataset (POST /api/v1/datasets, then its page opens) or, on a
// dataset's page, a new version (the drop zone's data-upload-url, then the page reloads). The
// server's message is shown as it is written.

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

function upload(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  if (note && note.value.trim()) form.append("message", note.value.trim());
  const request = new XMLHttpRequest();
  request.open("POST", target);
  request.setRequestHeader("X-CSRF-Token", csrfToken());
  request.responseType = "json";
  bar.hidden = false;
  bar.value = 0;
  status.textContent = `Uploading ${file.name}…`;
  request.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) {
      bar.value = Math.round((event.loaded / event.total) * 100);
    }
  });
  request.upload.addEventListener("load", () => {
    bar.value = 100;
    status.textContent = `Checking and storing ${file.name}…`;
  });
  request.addEventListener("load", () => {
    const body = request.response;
    if (request.status === 201 && body && body.id) {
      if (reloadWhenDone) {
        status.textContent = `${file.name} is now version ${body.version}.`;
        window.location.reload();
      } else {
        status.textContent = `${file.name} is uploaded.`;
        window.location.assign(`/datasets/${encodeURIComponent(body.id)}`);
      }
    } else {
      bar.hidden = true;
      const message = body && body.error ? body.error.message : `the server answered ${request.status}`;
      status.textContent = `The upload failed: ${message}`;
    }
  });
  request.addEventListener("error", () => {
    bar.hidden = true;
    status.textContent = "The upload failed: the connection to the server broke. Try again.";
  });
  request.send(form);
}

input.addEventListener("change", () => {
  if (input.files.length > 0) upload(input.files[0]);
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
  if (event.dataTransfer.files.length > 0) upload(event.dataTransfer.files[0]);
});
