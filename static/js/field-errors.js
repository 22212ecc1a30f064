// A refusal that concerns one field is shown beside that field: a `p.error` after it, the
// field marked aria-invalid and described by the sentence, and focused. Editing the field
// clears the mark. The server's 422 sentences are matched to fields by what they name.

/** Marks `field` invalid with `message` beside it, and focuses it. */
export function showFieldError(field, message) {
  clearFieldError(field);
  const error = document.createElement("p");
  error.className = "error";
  error.id = `${field.id}-error`;
  error.textContent = message;
  // After the field's own line (a unit select or help text stays next to the field).
  const box = field.closest("div");
  if (box && field.form?.contains(box)) box.append(error);
  else field.after(error);
  field.setAttribute("aria-invalid", "true");
  const described = (field.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id !== "");
  described.push(error.id);
  field.setAttribute("aria-describedby", described.join(" "));
  field.focus();
  const clear = () => clearFieldError(field);
  field.addEventListener("input", clear, { once: true });
  field.addEventListener("change", clear, { once: true });
}

/** Takes the mark and the sentence off `field`. */
export function clearFieldError(field) {
  const id = `${field.id}-error`;
  document.getElementById(id)?.remove();
  if (field.getAttribute("aria-invalid") === "true") field.removeAttribute("aria-invalid");
  const described = (field.getAttribute("aria-describedby") ?? "").split(" ").filter((d) => d !== "" && d !== id);
  if (described.length > 0) field.setAttribute("aria-describedby", described.join(" "));
  else field.removeAttribute("aria-describedby");
}

/** Clears every field of `form`. */
export function clearFormErrors(form) {
  for (const field of form.querySelectorAll("[aria-invalid='true']")) clearFieldError(field);
}

/**
 * Shows `message` beside the first field whose pattern it matches (`rules`: pairs of a
 * regular expression and a field id); answers whether one did.
 */
export function placeError(message, rules) {
  for (const [pattern, id] of rules) {
    const field = document.getElementById(id);
    if (field && !field.disabled && pattern.test(message)) {
      showFieldError(field, message);
      return true;
    }
  }
  return false;
}
