/**
 * Sign-up and log-in forms.
 * @module
 */
import { html, type Html } from '../html.ts';
import type { Visitor } from '../session.ts';
import { csrfField, notice } from './layout.ts';

/** The sign-up or log-in form. */
export function authView(v: Visitor, kind: 'signup' | 'login', o: { error?: string; email?: string } = {}): Html {
  const signup = kind === 'signup';
  return html`
<section class="card" style="max-width:480px;margin:2rem auto">
  <h1>${signup ? 'Create your account' : 'Log in'}</h1>
  ${o.error ? notice('bad', o.error) : ''}
  <form class="stack" method="post" action="/${kind}" id="${kind}-form">
    ${csrfField(v)}
    <label>E-mail <input type="email" name="email" required maxlength="254" autocomplete="email" value="${o.email ?? ''}"></label>
    <label>Password ${signup ? html`<span>(at least 8 characters)</span>` : ''}
      <input type="password" name="password" required ${signup ? html`minlength="8"` : ''} maxlength="1024"
        autocomplete="${signup ? 'new-password' : 'current-password'}"></label>
    <button type="submit">${signup ? 'Sign up' : 'Log in'}</button>
  </form>
  <p class="muted">${signup ? html`Have an account? <a href="/login">Log in</a>` : html`New here? <a href="/signup">Create an account</a>`}</p>
</section>`;
}
