// Progressive enhancements only: every action works without JavaScript.

// Forms with data-confirm ask before they are sent (removing a member, deleting a topic).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
