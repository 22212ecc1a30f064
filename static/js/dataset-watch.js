// Following or muting the dataset: Follow tells the reader of each new version, Mute stops
// every notification about it but shares (GET and PUT /api/v1/datasets/{id}/watch).

import { call, reason } from "./http.js";

const control = document.getElementById("watch-control");
const select = document.getElementById("watch");
const status = document.getElementById("watch-status");

const said = {
  none: "Saved: as your settings say.",
  follow: "Saved: you will be told of each new version.",
  mute: "Saved: you will be told nothing about this dataset but shares.",
};

if (control && select) {
  const path = `/api/v1/datasets/${control.dataset.dataset}/watch`;
  const current = await call("GET", path);
  if (current.ok) {
    select.value = current.json.watch;
    control.hidden = false;
    let saved = select.value;
    select.addEventListener("change", async () => {
      const result = await call("PUT", path, { watch: select.value });
      if (result.ok) {
        saved = select.value;
        status.textContent = said[saved];
      } else {
        select.value = saved;
        status.textContent = `Not saved: ${reason(result)}`;
      }
    });
  }
}
