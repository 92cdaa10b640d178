// Custom voices kept in this browser: small recipes (a named mix of preset voices, made from a
// reference recording by koe.createVoice() or imported), never audio,
// so localStorage's few megabytes go a long way. The engine resolves them like any blend.

const KEY = 'customVoices';
const FORMAT = 'koe-voice';

function slug(name) {
  return `custom_${name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'voice'}`;
}

function parseRecipe(raw) {
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.components) || !raw.components.length) {
    throw new Error('not a Koe voice file (expected {"format": "koe-voice", "name": ..., "components": [{"voice": "af_heart", "weight": 0.5}, ...]})');
  }
  const name = String(raw.name || raw.id || 'Custom voice').slice(0, 60);
  const components = raw.components.map((c) => {
    const [voice, weight] = Array.isArray(c) ? c : [c.voice, c.weight];
    if (typeof voice !== 'string' || !(Number(weight) > 0)) throw new Error('each component needs a preset voice id and a positive weight');
    return [voice, Number(weight)];
  });
  return { id: raw.id && /^[A-Za-z0-9_.-]+$/.test(raw.id) ? raw.id : slug(name), name, components };
}

/** A recipe made by the engine (koe.custom_voices.Recipe.to_dict()) as stored here: components as pairs. */
function fromEngine(recipe) {
  const components = recipe.components.map((c) => (Array.isArray(c) ? [c[0], Number(c[1])] : [c.voice, Number(c.weight)]));
  const kept = { id: recipe.id, name: recipe.name, components };
  for (const key of ['language', 'gender', 'score', 'embedding', 'created', 'source', 'seconds']) {
    if (recipe[key] != null && recipe[key] !== '') kept[key] = recipe[key];
  }
  return kept;
}

export class StorageError extends Error {}

export class CustomVoices {
  /** `store`: {get(key, fallback), set(key, value)}; `set` must throw when the value cannot be stored. */
  constructor(koe, store) {
    this.koe = koe;
    this.store = store;
    this.recipes = [];
  }

  get(id) {
    return this.recipes.find((r) => r.id === id) || null;
  }

  /** Write the recipes to storage; a StorageError says why they could not be kept (full, disabled). */
  save() {
    try {
      this.store.set(KEY, JSON.stringify(this.recipes));
    } catch (error) {
      const full = error && (error.name === 'QuotaExceededError' || error.code === 22);
      throw new StorageError(full
        ? 'This browser\'s storage for the page is full, so the custom voices could not be saved: export them (they stay usable until the page is closed), then free some space.'
        : `Custom voices cannot be saved in this browser (storage is unavailable: ${error && error.message ? error.message : error}); export them to keep them.`);
    }
  }

  /** Keep a voice made by koe.createVoice() (already registered in the engine). */
  async add(recipe) {
    const kept = fromEngine(recipe);
    this.recipes = [...this.recipes.filter((r) => r.id !== kept.id), kept];
    await this.apply();
    return kept;
  }

  async rename(id, name) {
    const recipe = this.get(id);
    if (!recipe) throw new Error('Select a custom voice to rename.');
    const clean = String(name || '').replace(/\s+/g, ' ').trim().slice(0, 64);
    if (!clean) throw new Error('Type the new name in the Name field first.');
    const previous = recipe.name;
    recipe.name = clean;
    try {
      await this.apply();
    } catch (error) {
      if (!(error instanceof StorageError)) recipe.name = previous;
      throw error;
    }
  }

  has(id) {
    return this.recipes.some((r) => r.id === id);
  }

  async restore() {
    try { this.recipes = JSON.parse(this.store.get(KEY, '[]')); } catch { this.recipes = []; }
    if (this.recipes.length) await this.apply();
  }

  async apply() {
    const result = await this.koe.setCustomVoices(this.recipes);
    this.save();
    if (result.problems && result.problems.length) throw new Error(`Some custom voices were skipped: ${result.problems.join('; ')}`);
  }

  async importFile(file) {
    let data;
    try { data = JSON.parse(await file.text()); } catch { throw new Error(`${file.name} is not JSON`); }
    const recipes = (Array.isArray(data) ? data : [data]).map(parseRecipe);
    const previous = this.recipes;
    this.recipes = [...previous.filter((r) => !recipes.some((n) => n.id === r.id)), ...recipes];
    try {
      await this.apply();
    } catch (error) {
      if (error instanceof StorageError) throw error; // usable now, reported, not silently dropped
      this.recipes = previous;
      await this.apply().catch(() => {});
      throw error;
    }
    return recipes.map((r) => r.id);
  }

  exportVoice(id) {
    const recipe = this.recipes.find((r) => r.id === id);
    if (!recipe) throw new Error('Select a custom voice to export.');
    // The shareable recipe format of the engine (koe.custom_voices.Recipe.to_dict()), so a file
    // exported here imports with `koe` on the command line or the server, and back.
    const components = recipe.components.map(([voice, weight]) => ({ voice, weight }));
    const blob = new Blob([JSON.stringify({ format: FORMAT, version: 1, ...recipe, components }, null, 1)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${recipe.id}.koe-voice.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  async remove(id) {
    if (!this.has(id)) throw new Error('Select a custom voice to delete.');
    this.recipes = this.recipes.filter((r) => r.id !== id);
    await this.apply();
  }
}
