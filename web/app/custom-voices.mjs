// Custom voices kept in this browser: recipes exactly as the engine returns them
// (koe.recipe.Recipe.to_dict(): a named mix of preset voices with its language, score, speaker
// embedding and source), never audio, so localStorage's few megabytes go a long way. The
// engine (Python) validates every recipe and decides ids and names; this module only keeps
// them, so an exported file imports with `koe` on the command line or the server, and back.

const KEY = 'customVoices';

export class StorageError extends Error {}

export class CustomVoices {
  /** `store`: {get(key, fallback), set(key, value)}; `set` must throw when the value cannot be stored. */
  constructor(koe, store) {
    this.koe = koe;
    this.store = store;
    this.recipes = []; // what the engine accepted, in the order they were added
    this.refused = []; // stored entries the engine refused (kept in storage, e.g. for a later build)
  }

  get(id) {
    return this.recipes.find((r) => r.id === id) || null;
  }

  has(id) {
    return this.recipes.some((r) => r.id === id);
  }

  /** Write the recipes to storage; a StorageError says why they could not be kept (full, disabled). */
  save() {
    try {
      this.store.set(KEY, JSON.stringify([...this.recipes, ...this.refused]));
    } catch (error) {
      const full = error && (error.name === 'QuotaExceededError' || error.code === 22);
      throw new StorageError(full
        ? 'This browser\'s storage for the page is full, so the custom voices could not be saved: export them (they stay usable until the page is closed), then free some space.'
        : `Custom voices cannot be saved in this browser (storage is unavailable: ${error && error.message ? error.message : error}); export them to keep them.`);
    }
  }

  /** Load the stored recipes into the engine (older entries are upgraded to the engine's form). */
  async restore() {
    let stored;
    try { stored = JSON.parse(this.store.get(KEY, '[]')); } catch { stored = []; }
    if (!Array.isArray(stored) || !stored.length) return;
    const result = await this.koe.setCustomVoices(stored);
    const accepted = new Set(result.recipes.map((r) => r.id));
    this.recipes = result.recipes;
    this.refused = stored.filter((r) => !(r && accepted.has(r.id)));
    this.save();
    if (result.problems.length) throw new Error(`Some custom voices were skipped: ${result.problems.join('; ')}`);
  }

  /** Make `recipes` the engine's custom voices and store them; on refusal nothing changes. */
  async apply(recipes) {
    const result = await this.koe.setCustomVoices(recipes);
    if (result.problems.length) {
      await this.koe.setCustomVoices(this.recipes).catch(() => {});
      throw new Error(result.problems.join('; '));
    }
    this.recipes = result.recipes;
    this.save();
  }

  /** Keep a voice made by koe.createVoice() (already registered in the engine). */
  async add(recipe) {
    await this.apply([...this.recipes.filter((r) => r.id !== recipe.id), recipe]);
    return recipe;
  }

  async rename(id, name) {
    const recipe = this.get(id);
    if (!recipe) throw new Error('Select a custom voice to rename.');
    if (!String(name || '').trim()) throw new Error('Type the new name in the Name field first.');
    const renamed = await this.koe.renameRecipe(recipe, name);
    await this.apply(this.recipes.map((r) => (r.id === id ? renamed : r)));
    return renamed;
  }

  /** A recipe made in the page (a blend: {name, components: [{voice, weight}]}), validated, given a free id and kept. */
  async addShared(raw) {
    const recipe = await this.koe.importRecipe(raw, this.recipes.map((r) => r.id));
    await this.apply([...this.recipes, recipe]);
    return recipe;
  }

  /** Import a voice file (one recipe or a list); returns the new voices' ids. */
  async importFile(file) {
    let data;
    try { data = JSON.parse(await file.text()); } catch { throw new Error(`${file.name} is not a Koe voice file (not JSON)`); }
    const added = [];
    for (const raw of Array.isArray(data) ? data : [data]) {
      added.push(await this.koe.importRecipe(raw, [...this.recipes, ...added].map((r) => r.id)));
    }
    await this.apply([...this.recipes, ...added]);
    return added.map((r) => r.id);
  }

  exportVoice(id) {
    const recipe = this.get(id);
    if (!recipe) throw new Error('Select a custom voice to export.');
    const blob = new Blob([JSON.stringify(recipe, null, 1)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${recipe.id}.koe-voice.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  /** Delete a voice; returns what undo() needs to put it back (at its place). */
  async remove(id) {
    const index = this.recipes.findIndex((r) => r.id === id);
    if (index < 0) throw new Error('Select a custom voice to delete.');
    const recipe = this.recipes[index];
    await this.apply(this.recipes.filter((r) => r.id !== id));
    return { recipe, index };
  }

  /** Put back a deleted voice (what remove() returned), unless its id was taken since. */
  async undo({ recipe, index }) {
    if (this.has(recipe.id)) throw new Error(`A voice with the id ${recipe.id} exists again; the deleted one was not restored.`);
    const recipes = [...this.recipes];
    recipes.splice(Math.min(index, recipes.length), 0, recipe);
    await this.apply(recipes);
    return recipe;
  }
}
