// The reading room's entry: asks for a reviewer token once (kept for the tab's session), then routes
// by the URL hash between the worklist (#/) and the viewer (#/view/UID).
import { ApiError, apiFetch, forgetToken, setUnauthorizedHandler, storeToken, storedToken } from './api.js';
import { el } from './dom.js';
import { showViewer } from './viewer-page.js';
import { showWorklist } from './worklist-page.js';
import { showLocal } from './local-page.js';

const root = document.getElementById('app')!;
let leave: () => void = () => {};

function showLogin(message = ''): void {
  leave();
  leave = () => {};
  const input = el('input', { type: 'password', id: 'token', autocomplete: 'off', required: true, size: 60 });
  const error = el('p', { class: 'error', role: 'alert' }, message);
  const form = el(
    'form',
    { class: 'login' },
    el('h1', {}, 'pneumo reading room'),
    el('label', { for: 'token' }, 'Reviewer token (pneumo serve token create --role reviewer)'),
    input,
    el('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    try {
      await apiFetch('/api/worklist?limit=1', {}, token);
      storeToken(token);
      route();
    } catch (err) {
      error.textContent =
        err instanceof ApiError && (err.status === 401 || err.status === 403)
          ? 'The service refused this token (it must be a reviewer or admin token).'
          : `Cannot reach the service: ${(err as Error).message}`;
    }
  });
  root.replaceChildren(form);
  input.focus();
}

function route(): void {
  if (!storedToken()) return showLogin();
  leave();
  const view = /^#\/view\/([0-9.]{1,64})$/.exec(location.hash);
  const open = (uid: string) => (location.hash = `#/view/${uid}`);
  const logout = () => {
    forgetToken();
    showLogin();
  };
  if (location.hash === '#/local') {
    leave = showLocal(root, { back: () => (location.hash = '#/') });
    return;
  }
  leave = view
    ? showViewer(root, view[1], { open, back: () => (location.hash = '#/') })
    : showWorklist(root, open, logout);
}

setUnauthorizedHandler(() => {
  forgetToken();
  showLogin('The service no longer accepts the token; paste it again.');
});
window.addEventListener('hashchange', route);
route();
