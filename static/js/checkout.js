// Checkout: the card element tokenizes the card in the browser (the card number never reaches
// our server); the server attaches it and confirms the PaymentIntent. Only a `requires_action`
// answer sends the browser to confirmCardPayment (3-D Secure). Access comes from the verified
// webhook; the browser just goes to the page that waits for it.
(function () {
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
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    button.disabled = true;
    errors.textContent = form.dataset.msgWorking;
    const result = await stripe.createToken(card);
    if (result.error) { fail(result.error.message); return; }
    let response;
    try {
      response = await fetch(form.dataset.confirmUrl, {
        method: 'POST',
        headers: {'Content-Type': 'application/json', 'Accept': 'application/json',
                  'X-CSRFToken': form.dataset.csrf},
        body: JSON.stringify({token: result.token.id}),
        credentials: 'same-origin',
      });
    } catch (e) { fail(); return; }
    const body = await response.json().catch(function () { return {}; });
    if (!response.ok) { fail(body.reason); return; }
    if (body.status === 'requires_action') {
      await stripe.confirmCardPayment(body.client_secret);
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
