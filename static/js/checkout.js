// Checkout: the card element tokenizes the card in the browser (the card number never reaches
// our server); the server attaches it and confirms the PaymentIntent. Only a `requires_action`
// answer sends the browser to confirmCardPayment (3-D Secure). Access comes from the verified
// webhook; the browser just goes to the page that waits for it.
(function () {
  // The payment page of a payment left waiting for 3-D Secure: finish the bank's check.
  const finish = document.getElementById('finish-button');
  if (finish && typeof Stripe !== 'undefined') {
    const data = finish.dataset;
    const stripe = Stripe(data.publishableKey, {locale: data.locale || 'auto'});
    const errors = document.getElementById('card-errors');
    const post = function (url) {
      return fetch(url, {method: 'POST', credentials: 'same-origin',
                         headers: {'Accept': 'application/json', 'X-CSRFToken': data.csrf}});
    };
    finish.addEventListener('click', async function () {
      finish.disabled = true;
      try {
        const body = await (await post(data.resumeUrl)).json();
        if (body.client_secret) {
          const result = await stripe.confirmCardPayment(body.client_secret);
          await post(data.refreshUrl).catch(function () {});
          if (result && result.error) { errors.textContent = data.msgFailed; }
        }
        window.location = body.next || window.location.href;
      } catch (e) {
        errors.textContent = data.msgFailed;
        finish.disabled = false;
      }
    });
  }

  const form = document.getElementById('payment-form');
  if (!form || typeof Stripe === 'undefined') return;
  // The page's language, so Stripe.js's own card-field messages match it.
  const stripe = Stripe(form.dataset.publishableKey, {locale: form.dataset.locale || 'auto'});
  const card = stripe.elements().create('card');
  card.mount('#card-element');
  const errors = document.getElementById('card-errors');
  const button = document.getElementById('pay-button');

  function fail(message) {
    errors.textContent = message || form.dataset.msgFailed;
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }

  // Card numbers typed with spaces, as cards print them, are read without the spaces wherever
  // the card fields are ours to read (the development stack's stand-in for Stripe.js; the real
  // card element lives in the provider's frame and accepts spaces itself).
  function withoutSpaces() {
    form.querySelectorAll('#card-element input').forEach(function (input) {
      const bare = input.value.replace(/\s+/g, '');
      if (bare !== input.value) {
        input.value = bare;
        input.dispatchEvent(new Event('input', {bubbles: true}));
      }
    });
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    errors.textContent = form.dataset.msgWorking;
    withoutSpaces();
    let result;
    try {
      result = await stripe.createToken(card);
    } catch (e) {  // empty or half-typed card fields
      fail(form.dataset.msgCard); return;
    }
    if (!result || result.error || !result.token) { fail(form.dataset.msgCard); return; }
    let response;
    try {
      response = await fetch(form.dataset.confirmUrl, {
        method: 'POST',
        headers: {'Content-Type': 'application/json', 'Accept': 'application/json',
                  'X-CSRFToken': form.dataset.csrf},
        body: JSON.stringify({token: result.token.id}),
        credentials: 'same-origin',
      });
    } catch (e) { fail(form.dataset.msgNetwork); return; }
    const body = await response.json().catch(function () { return {}; });
    if (!response.ok) { fail(body.reason); return; }
    if (body.status === 'requires_action') {
      // A closed or failed check is not lost: the payment's page offers to finish it.
      await stripe.confirmCardPayment(body.client_secret).catch(function () {});
      await fetch(form.dataset.refreshUrl, {
        method: 'POST', credentials: 'same-origin',
        headers: {'Accept': 'application/json', 'X-CSRFToken': form.dataset.csrf},
      }).catch(function () {});
    } else if (body.status === 'failed') {
      fail(body.message); return;  // already translated by the server
    }
    window.location = body.next;
  });
})();
