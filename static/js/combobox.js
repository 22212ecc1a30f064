// An accessible combobox (WAI-ARIA Authoring Practices, "Editable Combobox With List
// Autocomplete"): a text input with role=combobox whose suggestions, fetched as one types,
// are a listbox below it. Arrow keys move through them, Enter picks one, Escape closes the
// list; the input keeps whatever was typed when nothing is picked.

let count = 0;

/**
 * Turns `input` into a combobox. `suggest(text)` answers the options, each
 * `{label, detail, value}`; `pick(option)` is called with the one chosen.
 */
export function combobox(input, { suggest, pick, delay = 150 }) {
  count += 1;
  const list = document.createElement("ul");
  list.id = `${input.id || "combobox"}-options-${count}`;
  list.setAttribute("role", "listbox");
  list.className = "suggestions";
  list.hidden = true;
  // Its own short name: one taken from the field's label would give two controls that name.
  list.setAttribute("aria-label", "Suggestions");
  input.after(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");

  let options = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (index) => {
    active = index;
    for (const [i, item] of [...list.children].entries()) {
      item.setAttribute("aria-selected", i === index ? "true" : "false");
    }
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };
  const choose = (index) => {
    const option = options[index];
    if (!option) return;
    close();
    pick(option);
    input.focus();
  };
  const show = (found) => {
    options = found;
    list.replaceChildren(
      ...found.map((option, i) => {
        const item = document.createElement("li");
        item.id = `${list.id}-${i}`;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = option.label;
        if (option.detail) {
          const detail = document.createElement("span");
          detail.className = "help";
          detail.textContent = ` ${option.detail}`;
          item.append(detail);
        }
        // mousedown, not click: the input must not lose focus (and close the list) first.
        item.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(i);
        });
        return item;
      }),
    );
    if (found.length === 0) {
      close();
      return;
    }
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(-1);
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (text === "") {
      close();
      return;
    }
    timer = setTimeout(async () => {
      asked += 1;
      const mine = asked;
      const found = await suggest(text).catch(() => []);
      // An older answer arriving late must not replace a newer one.
      if (mine === asked && input.value.trim() === text) show(found);
    }, delay);
  });
  input.addEventListener("keydown", (event) => {
    const open = !list.hidden;
    if (event.key === "ArrowDown") {
      if (!open && options.length > 0) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      if (options.length > 0) highlight((active + 1) % options.length);
      event.preventDefault();
    } else if (event.key === "ArrowUp") {
      if (open && options.length > 0) highlight(active <= 0 ? options.length - 1 : active - 1);
      event.preventDefault();
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
  return { close };
}
