// Koe's service worker: offline after the first visit, and cross-origin isolation on any host.
//
// * Caches are versioned by build hashes that tools/build_web.py writes into this file: the app
//   and runtimes (koe-app-<hash>) and the model, voices and dictionaries (koe-data-<hash>, which
//   changes rarely; the build also writes the list of these files, the manifest's data group). A new build installs a new worker, which deletes the old caches on activate.
// * Cache first for every file of the build (they are immutable within a build), network on a
//   miss (then cached). API paths (/v1/, /llm/, /health) always go to the network.
// * Every response it serves gets COOP/COEP/CORP headers, so a static host that cannot set them
//   still gets a cross-origin isolated page (SharedArrayBuffer -> multi-threaded WASM), like
//   coi-serviceworker. The page reloads once after the first install to pick that up.
const APP_CACHE = 'koe-app-__APP_HASH__';
const DATA_CACHE = 'koe-data-__DATA_HASH__';
/** The files of the manifest's "data" group (written by the build): everything else is app. */
const DATA_FILES = new Set(__DATA_FILES__);
const SCOPE = new URL('./', self.location).href;
const PRECACHE_LIMIT = 2 * 1024 * 1024; // small app files at install; big runtimes when first used
const NETWORK_ONLY = /^(v1|llm|health|metrics)(\/|$)/;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(APP_CACHE);
    const response = await fetch(new URL('koe-manifest.json', SCOPE), { cache: 'no-cache' });
    const manifest = await response.clone().json();
    await cache.put(new URL('koe-manifest.json', SCOPE).href, response);
    const small = Object.entries(manifest.files)
      .filter(([path, f]) => f.group === 'app' && f.bytes <= PRECACHE_LIMIT && path !== 'sw.js')
      .map(([path]) => new URL(path, SCOPE).href);
    await cache.addAll([SCOPE, ...small]);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('koe-') && name !== APP_CACHE && name !== DATA_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function isolated(response) {
  if (!response || response.status === 0 || response.type === 'opaque') return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  headers.set('x-koe-sw', '1');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || !request.url.startsWith(SCOPE) || request.headers.has('range')) return;
  const url = new URL(request.url);
  const path = url.pathname.slice(new URL(SCOPE).pathname.length);
  if (NETWORK_ONLY.test(path)) return;
  const navigation = request.mode === 'navigate';
  const key = navigation || path === '' || path === 'index.html' ? SCOPE : url.origin + url.pathname;
  const cacheName = DATA_FILES.has(path) ? DATA_CACHE : APP_CACHE;
  event.respondWith((async () => {
    const cache = await caches.open(cacheName);
    let response = await cache.match(key);
    if (!response) {
      try {
        response = await fetch(request);
      } catch (error) {
        if (navigation) response = await cache.match(SCOPE);
        if (!response) throw error;
      }
      if (response.ok && response.type === 'basic' && !url.search) {
        event.waitUntil(cache.put(key, response.clone()).catch(() => {}));
      }
    }
    return isolated(response);
  })());
});
