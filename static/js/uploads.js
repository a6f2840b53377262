// Image inputs say what is wrong before anything is sent (planet/images.py:input_attrs): a file
// over data-max-bytes, a type outside the input's accept, more files than data-max-files. The
// reason (in the page's language, from the data attributes) shows beside the field and the
// choice is cleared, so the typed text stays and nothing large is uploaded. The server checks
// the same again; without JavaScript its answer is the form with the reason.
(() => {
  const accepted = (input, file) => {
    const accept = (input.getAttribute("accept") || "")
      .split(",")
      .map((item) => item.trim().toLowerCase())
      .filter(Boolean);
    if (!accept.length) return true;
    const type = (file.type || "").toLowerCase();
    const name = (file.name || "").toLowerCase();
    return accept.some((item) => {
      if (item.startsWith(".")) return name.endsWith(item);
      if (item.endsWith("/*")) return type.startsWith(item.slice(0, -1));
      return type === item;
    });
  };

  const show = (input, message) => {
    const field = input.closest(".field") || input.parentElement;
    let note = field.querySelector("small.error[data-upload-error]");
    if (!message) {
      if (note) note.remove();
    } else {
      if (!note) {
        note = document.createElement("small");
        note.className = "error";
        note.dataset.uploadError = "";
        note.setAttribute("role", "alert");
        input.insertAdjacentElement("afterend", note);
      }
      note.textContent = message;
    }
    if (field.classList.contains("field")) field.classList.toggle("has-error", Boolean(message));
  };

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
    if (!input.dataset.maxBytes) return;
    const files = Array.from(input.files || []);
    const limit = Number(input.dataset.maxBytes);
    const most = Number(input.dataset.maxFiles || 1);
    let problem = "";
    if (files.length > most) problem = input.dataset.tooMany;
    else if (files.some((file) => !accepted(input, file))) problem = input.dataset.wrongType;
    else if (files.some((file) => file.size > limit)) problem = input.dataset.tooLarge;
    show(input, problem);
    if (problem) input.value = "";
  });
})();
