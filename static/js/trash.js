// Deleting datasets and the trash they go to. On the datasets list, Delete (on the rows the
// reader owns) asks to be confirmed in place, then moves the dataset to the trash through
// DELETE /api/v1/datasets/{id}. On the trash page, Restore brings a dataset back
// (POST /api/v1/datasets/{id}/restore) and Delete for good, confirmed in place the same way,
// removes it (DELETE /api/v1/trash/{id}).

import { call, reason } from "./http.js";

const status = document.getElementById("trash-status");

/**
 * Makes `button` ask to be confirmed: the first press arms it ("Confirm: …") and shows a
 * button to keep things as they are; the second runs `act`, which answers whether it worked.
 */
function confirmInPlace(button, { confirmLabel, keepLabel, kept, armed, act }) {
  const label = button.textContent;
  const name = button.getAttribute("aria-label");
  const keep = document.createElement("button");
  keep.type = "button";
  keep.textContent = keepLabel;
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
    status.textContent = kept;
    button.focus();
  });
  button.hidden = false;
  button.addEventListener("click", async () => {
    if (!button.dataset.armed) {
      button.dataset.armed = "1";
      button.textContent = confirmLabel;
      button.setAttribute("aria-label", `${confirmLabel}: ${name}`);
      keep.hidden = false;
      status.textContent = armed;
      return;
    }
    button.disabled = true;
    const worked = await act();
    button.disabled = false;
    if (!worked) disarm();
  });
}

// The datasets list.
for (const button of document.querySelectorAll("button.delete-dataset")) {
  const row = button.closest("tr");
  const name = row.dataset.name;
  confirmInPlace(button, {
    confirmLabel: "Confirm: move to trash",
    keepLabel: "Keep it",
    kept: `${name} is kept.`,
    armed: `Press again to move ${name} to the trash (it can be restored from there), or keep it.`,
    act: async () => {
      const result = await call("DELETE", `/api/v1/datasets/${encodeURIComponent(row.dataset.dataset)}`);
      if (result.ok) {
        row.remove();
        status.textContent = `${name} is in the trash; it can be restored from there.`;
        return true;
      }
      status.textContent = `Not deleted: ${reason(result)}`;
      return false;
    },
  });
}

// The trash page.
for (const row of document.querySelectorAll("#trash tbody tr")) {
  const name = row.dataset.name;
  const id = encodeURIComponent(row.dataset.dataset);
  const restore = row.querySelector("button.restore-dataset");
  restore.hidden = false;
  restore.addEventListener("click", async () => {
    restore.disabled = true;
    const result = await call("POST", `/api/v1/datasets/${id}/restore`);
    restore.disabled = false;
    if (result.ok) {
      row.remove();
      status.textContent = `${name} is restored, as it was.`;
    } else {
      status.textContent = `Not restored: ${reason(result)}`;
    }
  });
  confirmInPlace(row.querySelector("button.purge-dataset"), {
    confirmLabel: "Confirm: delete for good",
    keepLabel: "Keep in trash",
    kept: `${name} stays in the trash.`,
    armed: `Press again to delete ${name} for good; this cannot be undone.`,
    act: async () => {
      const result = await call("DELETE", `/api/v1/trash/${id}`);
      if (result.ok) {
        row.remove();
        status.textContent = `${name} is deleted for good.`;
        return true;
      }
      status.textContent = `Not deleted: ${reason(result)}`;
      return false;
    },
  });
}
