// Uploads a dataset from the file picker or a drop, with a progress bar, through the same
// POST /api/v1/datasets the API offers; the server's message is shown as it is written.

const drop = document.getElementById("drop");
const input = document.getElementById("file");
const bar = document.getElementById("upload-progress");
const status = document.getElementById("upload-status");

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)tessera_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function upload(file) {
  const form = new FormData();
  form.append("file", file, file.name);
  const request = new XMLHttpRequest();
  request.open("POST", "/api/v1/datasets");
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
      status.textContent = `${file.name} is uploaded.`;
      window.location.assign(`/datasets/${encodeURIComponent(body.id)}`);
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
