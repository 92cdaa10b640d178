// Python packages of this build, made importable in Pyodide: the base wheels at start-up
// (manifest.wheels: koe, num2words) and a language's wheels on its first use (manifest.lang_wheels,
// with what each requires). Wheels are pure-Python, fetched through the AssetFetcher (its caches,
// byte progress), checked against the manifest's sha256 and unpacked into site-packages (a pure
// wheel needs nothing more; no resolver runs in the page).

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

export class Packages {
  /**
   * @param {object} manifest  koe-manifest.json
   * @param {import('./fetch.mjs').AssetFetcher} assets
   */
  constructor(manifest, assets) {
    this.manifest = manifest;
    this.assets = assets;
    this.pyodide = null;
    this.installed = new Set();
    this.installs = []; // {packages, language, bytes, downloadedBytes, ms}: what each install cost
  }

  /** Install into this Pyodide from now on. */
  attach(pyodide) {
    this.pyodide = pyodide;
    this.sitePackages = pyodide.runPython('import site; site.getsitepackages()[0]');
  }

  /** The wheel of a package: {file, sha256?, requires?}. */
  wheel(name) {
    if (this.manifest.wheels[name]) return { file: this.manifest.wheels[name], requires: [] };
    return (this.manifest.lang_wheels || {})[name] || null;
  }

  /** `names` and what they require, requirements first, without those installed already. */
  closure(names) {
    const out = [];
    const add = (name) => {
      if (out.includes(name) || this.installed.has(name)) return;
      const wheel = this.wheel(name);
      for (const required of (wheel && wheel.requires) || []) add(required);
      out.push(name);
    };
    for (const name of names) add(name);
    return out;
  }

  /** The language (manifest.languages) whose packages these are, for progress messages. */
  languageOf(names) {
    return (this.manifest.languages || []).find((l) => names.some((n) => l.packages.includes(n))) || null;
  }

  /**
   * Install the packages `names` (and their requirements) once each. `progress({message, loaded,
   * total, language})` hears about the download of a language's wheels ("Downloading Japanese
   * (17.7 MB)…").
   */
  async install(names, progress = () => {}) {
    const wanted = this.closure(Array.from(names));
    if (!wanted.length) return;
    const missing = wanted.filter((name) => !this.wheel(name));
    if (missing.length) throw new Error(`the Python package(s) ${missing.join(', ')} are not part of this build (run ./build.sh)`);
    const started = performance.now();
    const paths = wanted.map((name) => `py/${this.wheel(name).file}`);
    const language = this.languageOf(wanted);
    const uncached = [];
    for (const path of paths) if (!(await this.assets.isCached(path))) uncached.push(path);
    const total = uncached.reduce((n, p) => n + (this.manifest.files[p] ? this.manifest.files[p].bytes : 0), 0);
    const label = language ? language.name : wanted.join(', ');
    let loaded = 0;
    let last = 0;
    const report = (message) => progress({ message, loaded, total, language: language && language.code });
    if (total) report(`Downloading ${label} (${mb(total)})…`);
    // Fetch all first (in parallel), then unpack in order.
    const files = await Promise.all(paths.map((path) => this.assets.fetch(path, (n) => {
      loaded += n;
      if (performance.now() - last < 200) return; // a few messages a second
      last = performance.now();
      report(`Downloading ${label}… ${mb(loaded)} of ${mb(total)}`);
    })));
    if (total) report(`Preparing ${label}…`);
    for (let i = 0; i < wanted.length; i++) {
      const expected = this.wheel(wanted[i]).sha256 || (this.manifest.files[paths[i]] || {}).sha256;
      if (expected && self.crypto && self.crypto.subtle) {
        const digest = hex(await self.crypto.subtle.digest('SHA-256', files[i]));
        if (digest !== expected) throw new Error(`${paths[i]} is damaged (sha256 ${digest.slice(0, 12)}…, expected ${expected.slice(0, 12)}…): reload the page`);
      }
      this.pyodide.unpackArchive(files[i], 'wheel', { extractDir: this.sitePackages });
      this.installed.add(wanted[i]);
    }
    this.pyodide.runPython('import importlib; importlib.invalidate_caches()');
    this.installs.push({ packages: wanted, language: language && language.code, bytes: files.reduce((n, f) => n + f.length, 0),
      downloadedBytes: total, ms: performance.now() - started });
  }
}
