// Who is signed in, as the portal sees the cookie session, and what the app needs to know of the portal.
import { api, refreshSession } from './api';
import type { paths } from './openapi';

type WebSession = paths['/v1/web/session']['get']['responses'][200]['content']['application/json'];
type Account = NonNullable<WebSession['account']>;

export const session = $state({
  loaded: false,
  signedIn: false,
  account: null as Account | null,
  testCheckout: false,
  domain: '',
});

export async function loadSession(): Promise<void> {
  let { data } = await api.GET('/v1/web/session');
  if (data && !data.signedIn && data.refreshable && (await refreshSession())) {
    data = (await api.GET('/v1/web/session')).data;
  }
  session.signedIn = data?.signedIn ?? false;
  session.account = data?.account ?? null;
  session.testCheckout = data?.testCheckout ?? false;
  session.domain = data?.domain ?? '';
  session.loaded = true;
}

export async function signOut(): Promise<void> {
  await api.DELETE('/v1/web/session');
  session.signedIn = false;
  session.account = null;
}
