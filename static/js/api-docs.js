// Renders the OpenAPI document as a list of operations, grouped by tag.
const container = document.getElementById("ops");
const response = await fetch("/api/v1/openapi.json");
const doc = await response.json();

const byTag = new Map();
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) {
    const tag = (op.tags && op.tags[0]) || "other";
    if (!byTag.has(tag)) byTag.set(tag, []);
    byTag.get(tag).push({ path, method, op });
  }
}

for (const [tag, ops] of byTag) {
  const heading = document.createElement("h2");
  heading.textContent = tag;
  container.append(heading);
  for (const { path, method, op } of ops) {
    const details = document.createElement("details");
    details.className = "op";
    const summary = document.createElement("summary");
    const verb = document.createElement("span");
    verb.className = `method ${method}`;
    verb.textContent = method;
    const code = document.createElement("code");
    code.textContent = path;
    summary.append(verb, code, document.createTextNode(" — " + (op.summary || op.description || "")));
    const body = document.createElement("div");
    body.className = "body";
    body.textContent = op.description || "";
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify({ parameters: op.parameters, requestBody: op.requestBody, responses: op.responses }, null, 2);
    details.append(summary, body, pre);
    container.append(details);
  }
}
