// Starting Python (Pyodide) with the engine's modules imported, from a memory snapshot when one is
// cached. Booting Pyodide and importing koe costs 2-4 s per page load; restoring a snapshot of the
// interpreter taken right after those imports costs about 0.3 s. The first visit boots normally in
// snapshot mode, imports the modules, takes the snapshot (31 MB, about 30 ms) and caches it in the
// app cache (koe-app-<hash>: a new build, with another Pyodide or koe wheel, never sees an old one).
//
// A snapshot holds the interpreter's memory, not its file system: the wheels are unpacked again
// after a restore (modules imported later, such as another language's front end, read them), and
// no JavaScript object may be referenced from Python when it is taken (the engine's bridge is
// handed over afterwards). Pyodide marks the snapshot options private (`_makeSnapshot`,
// `_loadSnapshot`): the pinned Pyodide version is the one this was measured with, and any failure
// to restore falls back to a normal boot and drops the snapshot.
import { loadPyodide } from '../pyodide/pyodide.mjs';

/** What the first synthesis with an English voice imports (and the page's other calls), so that a snapshot has it all. */
export const ENGINE_MODULES = ['koe.runtimes.browser', 'koe.service', 'koe.engine', 'koe.lang.en', 'koe.lang.en.neural_g2p',
  'koe.lang.scripts', 'koe.timestamps', 'koe.speaker', 'num2words'];
const SNAPSHOT = 'pyodide-snapshot.bin';

async function snapshotCache(cacheName) {
  try { return self.caches ? await caches.open(cacheName) : null; } catch { return null; }
}

/**
 * Pyodide's module factory, with the heap grown to hold a snapshot of `bytes` before it is restored.
 * Pyodide sizes the heap through Emscripten's INITIAL_MEMORY, which its build never reads (the
 * memory is declared inside the wasm, 30 MB), so a snapshot larger than that fails to restore with
 * "offset is out of bounds" (pyodide/pyodide#6254); Koe's engine with its modules imported is larger.
 */
async function moduleSizedFor(asmUrl, bytes) {
  const factory = (await import(asmUrl)).default;
  return async (settings) => {
    const module = await factory(settings);
    if (module.HEAP8.length < bytes) module.growMemory(bytes);
    return module;
  };
}

/**
 * Pyodide with `install()` done (the wheels unpacked) and ENGINE_MODULES imported.
 * @param {URL} base  where the build is served
 * @param {string} cacheName  the app group's cache
 * @param {() => Promise<void>} install  unpacks the base wheels into site-packages
 * @returns {Promise<{pyodide, snapshot: 'restored'|'made'|'none', snapshotBytes?: number}>}
 */
export async function startPython(base, cacheName, install, { useSnapshot = true } = {}) {
  const options = {
    indexURL: new URL('pyodide/', base).href,
    lockFileURL: new URL('pyodide/pyodide-lock.json', base).href,
    stdout: (line) => console.log('[py]', line),
    stderr: (line) => console.warn('[py]', line),
  };
  const cache = useSnapshot ? await snapshotCache(cacheName) : null;
  const key = new URL(SNAPSHOT, base).href;
  const cached = cache ? await cache.match(key) : null;
  if (cached) {
    try {
      const snapshot = new Uint8Array(await cached.arrayBuffer());
      const pyodide = await loadPyodide({ ...options, _loadSnapshot: snapshot,
        createPyodideModule: await moduleSizedFor(new URL('pyodide/pyodide.asm.mjs', base).href, snapshot.length) });
      await install(pyodide);
      pyodide.runPython(`import ${ENGINE_MODULES[0]}`); // the restored interpreter answers
      return { pyodide, snapshot: 'restored' };
    } catch (error) {
      console.warn('Python snapshot not usable, booting normally:', error && error.message);
      await cache.delete(key).catch(() => {});
    }
  }
  const pyodide = await loadPyodide({ ...options, _makeSnapshot: !!cache });
  await install(pyodide);
  pyodide.runPython(`import importlib\nimportlib.invalidate_caches()\n${ENGINE_MODULES.map((m) => `import ${m}`).join('\n')}`);
  if (!cache) return { pyodide, snapshot: 'none' };
  let bytes;
  try {
    bytes = pyodide.makeMemorySnapshot();
  } catch (error) {
    console.warn('Python snapshot not taken:', error && error.message);
    return { pyodide, snapshot: 'none' };
  }
  cache.put(key, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })).catch(() => {});
  return { pyodide, snapshot: 'made', snapshotBytes: bytes.length };
}

/**
 * Thin Python glue for the two calls BrowserHost does not have (koe.phonemize, koe.captions): the
 * same functions as `koe phonemize` and `koe say --timestamps`, JSON in and out. Returns
 * {phonemize(service, text, voice, lang), captions(words_json, text, format)}.
 */
export function glue(pyodide) {
  const namespace = pyodide.globals.get('dict')();
  pyodide.runPython(`
import json
from koe.errors import KoeError

async def phonemize(service, text, voice, lang):
    try:
        normalized, paragraphs = await service.engine.aphonemize(str(text), voice or None, lang or None)
    except KoeError as error:
        return json.dumps({"error": error.message, "code": error.code})
    return json.dumps({"normalized": normalized, "phonemes": [p.phonemes for p in paragraphs],
                       "skipped": [w for p in paragraphs for w in p.skipped]}, ensure_ascii=False)

def captions(words_json, text, fmt):
    from koe.captions import srt, webvtt, words_json as as_json
    from koe.timestamps import WordTiming
    try:
        words = [WordTiming(str(w["text"]), float(w["start"]), float(w["end"]), int(w["char_start"]), int(w["char_end"]),
                            bool(w.get("skipped", False))) for w in json.loads(words_json)]
    except (ValueError, TypeError, KeyError, AttributeError):
        return json.dumps({"error": "Captions need the words of a synthesis: [{text, start, end, char_start, char_end}].",
                           "code": "bad_words"})
    formats = {"vtt": webvtt, "srt": srt}
    if fmt == "json":
        return json.dumps({"text": json.dumps(as_json(words), ensure_ascii=False)}, ensure_ascii=False)
    if fmt not in formats:
        return json.dumps({"error": f"Unknown caption format {fmt!r}: use vtt, srt or json.", "code": "bad_format"})
    return json.dumps({"text": formats[fmt](words, text or None)}, ensure_ascii=False)
`, { globals: namespace });
  const out = { phonemize: namespace.get('phonemize'), captions: namespace.get('captions') };
  namespace.destroy();
  return out;
}
