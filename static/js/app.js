// Progressive enhancements only: every action works without JavaScript.

// Submit buttons with data-confirm ask before their form is sent (removing or banning a member).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const question = button && button.dataset && button.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
