// What an owner does in a dataset's version list (issue 16), through the same API a script
// would use: withdraw a version (its data is no longer served; a reason is asked for in place
// and kept with it), make an older version current again, and pin the links that follow the
// latest version to one. The page reloads to show the list as everyone else will.

import { call, reason, sentence } from "./http.js";

const table = document.getElementById("versions");
const status = document.getElementById("versions-status");
const dataset = table?.dataset.dataset;

for (const actions of table ? table.querySelectorAll(".actions.needs-script") : []) {
  actions.hidden = false;
}

function versionPath(number, action) {
  return `/api/v1/datasets/${encodeURIComponent(dataset)}/versions/${number}/${action}`;
}

/**
 * Asks in place, beside the button, for a confirmation: with `label`, a reason or a note is
 * asked for too (optional); with `question`, only the question is put.
 */
function askInPlace(button, { label, question, confirm, run }) {
  const cell = button.closest("td");
  const form = document.createElement("form");
  form.className = "ask";
  const id = `ask-${button.dataset.withdraw ?? button.dataset.restore ?? button.dataset.pin}-${Date.now()}`;
  const labelled = document.createElement(label ? "label" : "span");
  if (label) labelled.htmlFor = id;
  labelled.textContent = label ?? question;
  const input = document.createElement("input");
  input.id = id;
  input.maxLength = 2000;
  input.hidden = !label;
  const go = document.createElement("button");
  go.type = "submit";
  go.textContent = confirm;
  const cancel = document.createElement("button");
  cancel.type = "button";
  cancel.textContent = "Cancel";
  form.append(labelled, input, go, cancel);
  const actions = button.closest(".actions");
  actions.hidden = true;
  cell.append(form);
  (label ? input : go).focus();
  cancel.addEventListener("click", () => {
    form.remove();
    actions.hidden = false;
    button.focus();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    go.disabled = true;
    await run(input.value.trim());
    go.disabled = false;
  });
}

async function done(result, success) {
  if (result.ok) {
    status.textContent = success(result.json);
    window.location.reload();
  } else {
    status.textContent = sentence(reason(result));
  }
}

table?.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (!button) return;
  if (button.dataset.withdraw) {
    const number = button.dataset.withdraw;
    askInPlace(button, {
      label: `Why is version ${number} withdrawn? (optional, kept with it)`,
      confirm: `Withdraw version ${number}`,
      run: async (text) => {
        const result = await call("POST", versionPath(number, "withdraw"), text ? { reason: text } : {});
        await done(result, () => `Version ${number} is withdrawn; its data is no longer served.`);
      },
    });
  } else if (button.dataset.pin) {
    const number = button.dataset.pin;
    askInPlace(button, {
      question: `Links that follow the latest version will serve version ${number} from now on, whatever is uploaded later.`,
      confirm: `Pin links to version ${number}`,
      run: async () => {
        const result = await call("POST", versionPath(number, "pin-links"));
        await done(result, (made) =>
          made.pinned === 1 ? `1 link is now pinned to version ${number}.` : `${made.pinned} links are now pinned to version ${number}.`,
        );
      },
    });
  } else if (button.dataset.restore) {
    const number = button.dataset.restore;
    askInPlace(button, {
      label: `A note for the change note "Restored version ${number}" (optional)`,
      confirm: `Make version ${number} current`,
      run: async (text) => {
        const result = await call("POST", versionPath(number, "restore"), text ? { note: text } : {});
        await done(result, (made) => `Version ${number} is current again, as version ${made.version}.`);
      },
    });
  }
});
