// The reading room's entry: a session opened by a login link (#/login/CODE, then a cookie every tab of
// the browser shares) or a reviewer token pasted once (kept for the tab), then routes by the URL hash
// between the worklist (#/), the viewer (#/view/UID) and monitoring (#/monitoring).
import {
  ApiError,
  apiFetch,
  currentSession,
  endSession,
  forgetToken,
  redeemLoginCode,
  setUnauthorizedHandler,
  storeToken,
} from './api.js';
import { el } from './dom.js';
import { showViewer } from './viewer-page.js';
import { showWorklist } from './worklist-page.js';
import { showLocal } from './local-page.js';
import { showMonitoring } from './monitoring-page.js';

const root = document.getElementById('app')!;
let leave: () => void = () => {};
/** True once the service accepted this browser's session cookie (or the tab's token). */
let signedIn = false;

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
      const who = await currentSession(token);
      if (who?.role === 'uploader') {
        error.textContent =
          'The service refused this token: it is an uploader token; the reading room needs a reviewer or admin.';
        return;
      }
      await apiFetch('/api/worklist?limit=1', {}, token);
      storeToken(token);
      signedIn = true;
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

async function start(): Promise<void> {
  const login = /^#\/login\/([A-Za-z0-9_-]{1,200})$/.exec(location.hash);
  if (login) {
    // The code is spent whatever happens: take it out of the address bar and the history.
    history.replaceState(null, '', `${location.pathname}#/`);
    try {
      await redeemLoginCode(login[1]);
    } catch (err) {
      return showLogin(`The login link did not open a session: ${(err as Error).message}`);
    }
  }
  const session = await currentSession().catch(() => null);
  if (session && session.role === 'uploader') {
    if (session.via === 'cookie') await endSession();
    forgetToken();
    return showLogin('This is an uploader token: the reading room needs a reviewer or admin.');
  }
  signedIn = session !== null;
  if (!signedIn) forgetToken();
  route();
}

function route(): void {
  if (!signedIn) return showLogin();
  leave();
  const view = /^#\/view\/([0-9.]{1,64})$/.exec(location.hash);
  const open = (uid: string) => (location.hash = `#/view/${uid}`);
  const logout = () => {
    forgetToken();
    signedIn = false;
    void endSession().finally(() => showLogin());
  };
  if (location.hash === '#/monitoring') {
    leave = showMonitoring(root, () => (location.hash = '#/'));
    return;
  }
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
  signedIn = false;
  showLogin('The service no longer accepts the token or the session; paste a token or open a new login link.');
});
window.addEventListener('hashchange', () => (/^#\/login\//.test(location.hash) ? void start() : route()));
void start();
