// Existing answers while a member types a question (templates/content/ask.html): after a
// pause in typing, the server's FAQ search (content.faq_suggest) returns up to five answers,
// shown under the question with a button that says one of them answers it. Without this
// script the page still shows suggestions for what it was opened with (?q=).
(function () {
  const box = document.querySelector('[data-faq-suggest]');
  if (!box) return;
  const area = document.getElementById(box.dataset.for);
  if (!area) return;
  let timer = null;
  let asked = area.value.trim();
  let latest = 0;

  async function suggest() {
    const typed = area.value.trim().slice(0, 300);
    if (typed === asked) return;
    asked = typed;
    const mine = ++latest;
    if (typed.length < 2) {
      box.innerHTML = '';
      return;
    }
    try {
      const url = box.dataset.url + '?q=' + encodeURIComponent(typed);
      const response = await fetch(url, {credentials: 'same-origin',
                                         headers: {'Accept': 'application/json'}});
      if (!response.ok || mine !== latest) return;
      const data = await response.json();
      if (mine !== latest) return;
      box.innerHTML = data.html;
      box.dataset.count = String(data.items.length);
    } catch (error) {
      // Offline or a slow network: asking still works without suggestions.
    }
  }

  area.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(suggest, 350);
  });
})();
