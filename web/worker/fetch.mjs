// Asset fetching for the engine worker: byte progress of the first load, and the versioned
// Cache Storage the service worker also uses (one cache per manifest group: koe-app-<hash>,
// koe-data-<hash>). Which cache a file belongs to is the manifest's `group`, decided once by
// tools/build_web.py.

/** The cache a path belongs to: its manifest group's (files not listed go with the app). */
export function cacheNameOf(manifest, path) {
  const group = manifest.files[path] ? manifest.files[path].group : 'app';
  return `koe-${group}-${manifest[`${group}_hash`]}`;
}

export class AssetFetcher {
  /**
   * @param {object} manifest  koe-manifest.json
   * @param {URL} base         where the build is served
   * @param {(p: object) => void} progress  called with {loaded, total} (throttled)
   */
  constructor(manifest, base, progress) {
    this.manifest = manifest;
    this.base = base;
    this.progress = progress;
    this.prefetched = new Map();
    // Byte progress of the first load: the total is known up front from the manifest (files not
    // in the cache yet); files Pyodide fetches itself count as loaded when it has them.
    this.download = { loaded: 0, total: 0, last: 0, planned: new Set() };
    this.stats = { bytes: 0, fromCache: 0, files: [] };
  }

  url(path) {
    return new URL(path, this.base).href;
  }

  async openCache(path) {
    try { return self.caches ? await caches.open(cacheNameOf(this.manifest, path)) : null; } catch { return null; }
  }

  /** Count the files of `paths` that are not cached yet into the download total. */
  async plan(paths) {
    const { download, manifest } = this;
    for (const path of paths) {
      const entry = manifest.files[path];
      if (!entry || download.planned.has(path)) continue;
      let cached = false;
      try {
        const cache = await this.openCache(path);
        cached = cache ? !!(await cache.match(this.url(path))) : false;
      } catch { cached = false; }
      if (cached) continue;
      download.planned.add(path);
      download.total += entry.bytes;
    }
  }

  /** Planned files that someone else (Pyodide) fetched: count them as loaded. */
  done(paths) {
    for (const path of paths) {
      if (this.download.planned.has(path) && this.manifest.files[path]) this.download.loaded += this.manifest.files[path].bytes;
    }
    this.report(true);
  }

  report(force) {
    const { download } = this;
    const now = performance.now();
    if (force || now - download.last > 120) {
      download.last = now;
      this.progress({ loaded: download.loaded, total: download.total });
    }
  }

  /**
   * An asset's bytes: from the versioned Cache Storage if there, else the network (counted, cached).
   * `onBytes(n)` hears about each piece received from the network (a language's download progress).
   */
  async fetch(path, onBytes = null) {
    if (this.prefetched.has(path)) {
      const pending = this.prefetched.get(path);
      this.prefetched.delete(path);
      return pending;
    }
    const { download, stats } = this;
    const entry = this.manifest.files[path];
    const url = this.url(path);
    const cache = await this.openCache(path);
    let response = cache ? await cache.match(url) : undefined;
    const cached = !!response;
    if (!response) {
      try {
        response = await fetch(url);
      } catch {
        throw new Error(self.navigator.onLine === false ? 'this device is offline and the file is not cached yet' : 'the server could not be reached');
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    }
    const size = entry ? entry.bytes : Number(response.headers.get('content-length')) || 0;
    const counted = !cached && !onBytes; // start-up downloads count into the first load's progress
    if (counted && !download.planned.has(path)) download.total += size;
    let bytes;
    if (size && response.body) {
      bytes = new Uint8Array(size);
      let offset = 0;
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (offset + value.length > bytes.length) { // size changed under us: grow
          const grown = new Uint8Array(Math.max(bytes.length * 2, offset + value.length));
          grown.set(bytes);
          bytes = grown;
        }
        bytes.set(value, offset);
        offset += value.length;
        if (cached) continue;
        if (onBytes) onBytes(value.length);
        else { download.loaded += value.length; this.report(); }
      }
      if (offset !== bytes.length) bytes = bytes.slice(0, offset);
    } else {
      bytes = new Uint8Array(await response.arrayBuffer());
      if (!cached && onBytes) onBytes(bytes.length);
      else if (counted) download.loaded += bytes.length;
    }
    if (cached) stats.fromCache += bytes.length;
    else {
      stats.bytes += bytes.length;
      if (counted) this.report(true);
      // The service worker caches what it serves; cache it here too when it did not (first visit).
      if (cache && !response.headers.get('x-koe-sw') && entry) {
        const headers = { 'content-type': response.headers.get('content-type') || 'application/octet-stream' };
        cache.put(url, new Response(bytes, { headers })).catch(() => {});
      }
    }
    stats.files.push({ path, bytes: bytes.length, cached });
    if (stats.files.length > 200) stats.files.shift();
    return bytes;
  }

  /** Start fetching `path` now; a later fetch(path) takes the result. */
  prefetch(path) {
    if (!this.prefetched.has(path) && this.manifest.files[path]) {
      const pending = this.fetch(path);
      pending.catch(() => {});
      this.prefetched.set(path, pending);
    }
  }

  /** Whether a file of the build is in its cache already. */
  async isCached(path) {
    if (!this.manifest.files[path]) return false;
    const cache = await this.openCache(path);
    return cache ? !!(await cache.match(this.url(path))) : false;
  }

  /** Make sure a file is in its cache (without keeping its bytes), for offline use later. */
  async cacheOnly(path) {
    if (!self.caches || !this.manifest.files[path]) return;
    const cache = await this.openCache(path);
    const url = this.url(path);
    if (cache && !(await cache.match(url))) await cache.add(url);
  }

  /** Put every file of a group into its cache (e.g. the runtime files Pyodide/ORT fetched themselves), but those `skip` names. */
  async cacheGroup(group, skip = new Set()) {
    if (!self.caches) return;
    for (const [path, entry] of Object.entries(this.manifest.files)) {
      if (entry.group !== group || skip.has(path)) continue;
      try { await this.cacheOnly(path); } catch { /* offline or gone: the next visit retries */ }
    }
  }
}
