// Progressive enhancements only: every action works without JavaScript.

// Submit buttons with data-confirm ask before their form is sent (removing or banning a member).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A page served from the visitors' cache (planet/web/anoncache.py) carries no CSRF token: its
// forms name where to fetch this browser's own token, and get it when they are sent. (Without
// JavaScript the server answers "reload the page"; the page it answers with has a token.)
document.addEventListener("submit", async (event) => {
  const form = event.target;
  const field = form.querySelector("input[name=csrf_token]");
  if (!form.dataset.csrfUrl || !field || field.value) return;
  event.preventDefault();
  const submitter = event.submitter;
  try {
    const answer = await fetch(form.dataset.csrfUrl, { credentials: "same-origin" });
    field.value = (await answer.json()).token;
  } catch (error) {
    field.value = "-";  // the server then explains, in the visitor's language
  }
  form.requestSubmit(submitter);
});

// Tell the server the browser's time zone (a `tz` cookie, planet/web/clock.py), so deadlines
// and paid-until dates show in local time; without it the planet's time zone is used.
(() => {
  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  const current = document.cookie.split("; ").find((item) => item.startsWith("tz="));
  // IANA names (Asia/Shanghai, America/Argentina/Buenos_Aires) are cookie-safe as they are.
  if (/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone) && current !== `tz=${zone}`) {
    document.cookie = `tz=${zone}; path=/; max-age=31536000; samesite=lax`;
  }
})();

// The account menu is a <details> (it opens without JavaScript); close it on a click elsewhere
// or on Escape, as a menu does.
document.addEventListener("click", (event) => {
  for (const menu of document.querySelectorAll("details.account-menu[open]")) {
    if (!menu.contains(event.target)) menu.open = false;
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.account-menu[open]")) {
    menu.open = false;
    menu.querySelector("summary").focus();
  }
});

// Copy buttons (the referral link): shown only when JavaScript can copy; the field they name
// stays selectable by hand without it.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.querySelector(button.dataset.copy);
  if (!field) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
    } catch (error) {
      document.execCommand("copy");
    }
    button.lastChild.textContent = " " + button.dataset.copied;
  });
}

// Copy protection (a planet's leak protection setting, <body data-no-copy>): no copying, right
// click or dragging of the planet's content; typing in forms is untouched.
if (document.body.hasAttribute("data-no-copy")) {
  const inField = (node) => {
    const element = node instanceof Element ? node : node && node.parentElement;
    return Boolean(element && element.closest("input, textarea, select, [contenteditable]"));
  };
  for (const type of ["copy", "cut"]) {
    document.addEventListener(type, (event) => {
      const selection = document.getSelection();
      if (!inField(document.activeElement) && !(selection && inField(selection.anchorNode))) {
        event.preventDefault();
      }
    });
  }
  for (const type of ["contextmenu", "dragstart"]) {
    document.addEventListener(type, (event) => {
      if (event.target instanceof Element && event.target.closest("main") && !inField(event.target)) {
        event.preventDefault();
      }
    });
  }
}
