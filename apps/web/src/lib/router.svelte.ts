// A small history-based router: the portal answers index.html at each page path (WEB_PAGES in the portal), and
// links inside the app move between pages without reloading.
export const route = $state({ path: location.pathname, search: location.search, hash: location.hash });

function sync(): void {
  route.path = location.pathname;
  route.search = location.search;
  route.hash = location.hash;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  sync();
  window.scrollTo(0, 0);
}

export function query(name: string): string | null {
  return new URLSearchParams(route.search).get(name);
}

window.addEventListener('popstate', sync);

// Same-origin links to app pages are followed in place (modifier keys and other targets keep the browser's way).
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (!anchor || anchor.target || anchor.hasAttribute('download') || anchor.origin !== location.origin) return;
  if (anchor.pathname.startsWith('/v1/') || anchor.pathname.startsWith('/docs')) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search + anchor.hash);
});
