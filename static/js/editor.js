// The Markdown toolbar (templates/base/_editor.html): bold, list, link, image and quote insert
// Markdown around the selection; Preview shows the text rendered by the server's own renderer
// and sanitizer. Without this script the toolbar stays hidden and the textarea still works.
(function () {
  function post(url, csrf, text) {
    const body = new FormData();
    body.append('text', text);
    return fetch(url, {method: 'POST', body: body, credentials: 'same-origin',
                       headers: {'Accept': 'application/json', 'X-CSRFToken': csrf}});
  }

  document.querySelectorAll('.md-toolbar').forEach(function (bar) {
    const area = document.getElementById(bar.dataset.target);
    if (!area) return;
    const data = bar.dataset;
    const preview = document.createElement('div');
    preview.className = 'md-preview body';
    preview.hidden = true;
    preview.setAttribute('aria-live', 'polite');
    area.after(preview);
    bar.hidden = false;

    function changed() {
      area.focus();
      area.dispatchEvent(new Event('input', {bubbles: true}));
    }
    function wrap(before, after, sample) {
      const start = area.selectionStart, end = area.selectionEnd;
      const text = area.value.slice(start, end) || sample;
      area.setRangeText(before + text + after, start, end, 'end');
      changed();
    }
    function prefixLines(prefix) {
      const start = area.value.lastIndexOf('\n', area.selectionStart - 1) + 1;
      const end = area.selectionEnd;
      const lines = area.value.slice(start, end).split('\n');
      area.setRangeText(lines.map(function (line) { return prefix + line; }).join('\n'),
                        start, end, 'end');
      changed();
    }
    const actions = {
      bold: function () { wrap('**', '**', data.sampleBold); },
      list: function () { prefixLines('- '); },
      quote: function () { prefixLines('> '); },
      link: function () { wrap('[', '](https://)', data.sampleLink); },
      image: function () { wrap('![', '](https://)', data.sampleImage); },
    };

    async function togglePreview(button) {
      const showing = button.getAttribute('aria-pressed') === 'true';
      if (showing) {
        preview.hidden = true;
        area.hidden = false;
        button.setAttribute('aria-pressed', 'false');
        button.textContent = data.labelPreview;
        area.focus();
        return;
      }
      try {
        const response = await post(data.previewUrl, data.csrf, area.value);
        const body = await response.json();
        if (!response.ok) throw new Error(body.error || response.status);
        preview.innerHTML = body.html;  // rendered and sanitized by the server
      } catch (e) {
        preview.textContent = data.msgFailed;
      }
      preview.hidden = false;
      area.hidden = true;
      button.setAttribute('aria-pressed', 'true');
      button.textContent = data.labelWrite;
    }

    bar.addEventListener('click', function (event) {
      const button = event.target.closest('button[data-md]');
      if (!button) return;
      event.preventDefault();
      if (button.dataset.md === 'preview') { togglePreview(button); return; }
      if (area.hidden) togglePreview(bar.querySelector('[data-md="preview"]'));
      actions[button.dataset.md]();
    });
  });
})();
