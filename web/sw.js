// Koe's service worker: offline after the first visit, and cross-origin isolation on any host.
//
// * One cache per manifest group, versioned by the group's hash (tools/build_web.py writes the
//   hashes and the files of the non-app groups into this file): koe-app-<hash> (the page,
//   Pyodide, onnxruntime-web, the base wheels), koe-data-<hash> (model, voices, dictionaries;
//   changes rarely) and koe-lang-<hash> (a language's wheels and data, fetched only when that
//   language is first spoken). A new build installs a new worker, which deletes the caches of
//   other builds on activate; a group whose files did not change keeps its cache.
// * Only small app files are fetched at install; everything else is cached as it is first
//   fetched (then cache first: files are immutable within a build). API paths (/v1/, /llm/,
//   /health) always go to the network.
// * Every response it serves gets COOP/COEP/CORP headers, so a static host that cannot set them
//   still gets a cross-origin isolated page (SharedArrayBuffer -> multi-threaded WASM), like
//   coi-serviceworker. The page reloads once after the first install to pick that up.
const CACHES = { app: 'koe-app-__APP_HASH__', data: 'koe-data-__DATA_HASH__', lang: 'koe-lang-__LANG_HASH__' };
/** The files of the groups other than "app" (written by the build): everything else is app. */
const GROUP_FILES = __GROUP_FILES__;
const GROUP_OF = new Map(Object.entries(GROUP_FILES).flatMap(([group, files]) => files.map((path) => [path, group])));
const SCOPE = new URL('./', self.location).href;
const PRECACHE_LIMIT = 2 * 1024 * 1024; // small app files at install; big runtimes when first used
const NETWORK_ONLY = /^(v1|llm|health|metrics)(\/|$)/;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHES.app);
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
    const current = new Set(Object.values(CACHES));
    for (const name of await caches.keys()) {
      if (name.startsWith('koe-') && !current.has(name)) await caches.delete(name);
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
  const cacheName = CACHES[GROUP_OF.get(path) || 'app'];
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
