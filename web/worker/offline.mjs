// Every preset voice available offline: after the first synthesis, the voice packs (and, when asked,
// every language's wheels and data) are put into the caches in the background, one file at a time
// and only while the engine is idle, so that they never delay a request. The state is reported to
// the page (koe.offlineStatus(), progress events of phase 'offline').
//
// A voice works offline when its pack and its language's files (manifest.languages[].files) are
// cached; English's are cached at start-up, another language's on its first use or here.

export class OfflineCache {
  /**
   * @param {object} manifest  koe-manifest.json (voices: {id: {file, language}}, languages)
   * @param {import('./fetch.mjs').AssetFetcher} assets
   * @param {() => boolean} idle  whether the engine has nothing to do (checked before each file)
   * @param {(status: object) => void} report  progress of the background caching
   */
  constructor(manifest, assets, idle, report) {
    Object.assign(this, { manifest, assets, idle, report });
    this.state = 'idle'; // idle -> caching -> done | failed
    this.error = null;
    this.running = null;
  }

  get voices() {
    return this.manifest.voices || {};
  }

  languageFiles(code) {
    const lang = (this.manifest.languages || []).find((l) => l.code === code);
    return lang ? lang.files : [];
  }

  /** {state, voices: {id: bool}, languages: {code: bool}, cached, total, error}: what works offline now. */
  async status() {
    const languages = {};
    for (const lang of this.manifest.languages || []) {
      let cached = true;
      for (const path of lang.files) if (!(await this.assets.isCached(path))) { cached = false; break; }
      languages[lang.code] = cached;
    }
    const voices = {};
    let cached = 0;
    for (const [id, voice] of Object.entries(this.voices)) {
      voices[id] = (await this.assets.isCached(voice.file)) && languages[voice.language] !== false;
      if (voices[id]) cached += 1;
    }
    return { state: this.state, voices, languages, cached, total: Object.keys(voices).length, error: this.error };
  }

  /** Start caching in the background (once): every voice pack, and with `languages` every language's files. */
  start({ languages = false } = {}) {
    // A run is chained after the one under way, so asking for the languages' files after the
    // voices-only run (the one the first synthesis starts) still saves them.
    if (this.running && (this.withLanguages || !languages)) return this.running;
    this.withLanguages = this.withLanguages || languages;
    const previous = this.running || Promise.resolve();
    this.running = previous.catch(() => {}).then(() => this.run(this.withLanguages));
    return this.running;
  }

  async waitIdle() {
    while (!this.idle()) await new Promise((resolve) => setTimeout(resolve, 250));
    await new Promise((resolve) => setTimeout(resolve, 20)); // a breath for a request about to come in
  }

  async run(withLanguages) {
    this.state = 'caching';
    const paths = Object.values(this.voices).map((v) => v.file);
    if (withLanguages) for (const lang of this.manifest.languages || []) paths.push(...lang.files);
    const todo = [];
    for (const path of new Set(paths)) if (!(await this.assets.isCached(path))) todo.push(path);
    const bytesTotal = todo.reduce((n, p) => n + (this.manifest.files[p] ? this.manifest.files[p].bytes : 0), 0);
    let bytes = 0;
    let failures = 0;
    for (const path of todo) {
      await this.waitIdle();
      try {
        await this.assets.cacheOnly(path);
      } catch (error) {
        failures += 1;
        this.error = `${path}: ${error.message}`;
      }
      bytes += this.manifest.files[path] ? this.manifest.files[path].bytes : 0;
      this.report({ state: this.state, loaded: bytes, total: bytesTotal, message: `Saving voices for offline use… ${Math.round((100 * bytes) / (bytesTotal || 1))}%` });
    }
    this.state = failures ? 'failed' : 'done';
    const status = await this.status();
    this.report({ ...status, message: failures ? `Some voices could not be saved for offline use (${this.error}).`
      : `${status.cached} of ${status.total} voices available offline.` });
    return status;
  }
}
