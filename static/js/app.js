// Progressive enhancements only: every action works without JavaScript.

// Submit buttons with data-confirm ask before their form is sent (removing or banning a member).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
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
