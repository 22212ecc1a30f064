// The audit log, for site admins: "Verify the chain" walks the whole hash chain through
// GET /api/v1/admin/audit/verify and says in words whether it is intact. Filtering, paging and
// the CSV export are plain links and a GET form.

const button = document.getElementById("verify");
const status = document.getElementById("audit-status");

if (button) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Checking every entry…";
    const response = await fetch("/api/v1/admin/audit/verify");
    const json = await response.json().catch(() => null);
    button.disabled = false;
    if (!response.ok) {
      status.textContent = `Not verified: ${json?.error?.message ?? `the server answered ${response.status}`}`;
      return;
    }
    const entries = json.entries === 1 ? "1 entry" : `${json.entries} entries`;
    if (json.intact) {
      status.textContent = `The chain is intact: all ${entries} are as they were written.`;
    } else {
      status.textContent = `The chain is broken (${entries} checked): ${json.problems.join("; ")}.`;
    }
  });
}
