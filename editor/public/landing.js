// The landing page's login form: a file, not an inline script, for the Content-Security-Policy (api/security-headers.ts).
const form = document.getElementById('login');
const status = document.getElementById('status');
const button = form.querySelector('button');

function show(message, isError) {
  status.textContent = message;
  status.className = isError ? 'error' : '';
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  button.disabled = true;
  show('Logging in…', false);
  try {
    const res = await fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: form.email.value, password: form.password.value }),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      show(body?.error?.message ?? `Login failed (HTTP ${res.status})`, true);
      return;
    }
    // The token stays in this page only; the server also set the session cookie for /admin.
    show(`Logged in as ${body.user.email}: workspace “${body.workspace.name}” (${body.role}).`, false);
    form.password.value = '';
  } catch (err) {
    show(`Could not reach the server: ${err.message}`, true);
  } finally {
    button.disabled = false;
  }
});
