// Custom voices kept in this browser: small recipes (a named mix of preset voices), never audio,
// so localStorage's few megabytes go a long way. The engine resolves them like any blend.

const KEY = 'customVoices';
const FORMAT = 'koe-voice';

function slug(name) {
  return `custom_${name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'voice'}`;
}

function parseRecipe(raw) {
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.components) || !raw.components.length) {
    throw new Error('not a Koe voice file (expected {"format": "koe-voice", "name": ..., "components": [["af_heart", 0.5], ...]})');
  }
  const name = String(raw.name || raw.id || 'Custom voice').slice(0, 60);
  const components = raw.components.map((c) => {
    const [voice, weight] = Array.isArray(c) ? c : [c.voice, c.weight];
    if (typeof voice !== 'string' || !(Number(weight) > 0)) throw new Error('each component needs a preset voice id and a positive weight');
    return [voice, Number(weight)];
  });
  return { id: raw.id && /^[A-Za-z0-9_.-]+$/.test(raw.id) ? raw.id : slug(name), name, components };
}

export class CustomVoices {
  constructor(koe, store) {
    this.koe = koe;
    this.store = store;
    this.recipes = [];
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
    this.store.set(KEY, JSON.stringify(this.recipes));
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
      this.recipes = previous;
      await this.apply().catch(() => {});
      throw error;
    }
    return recipes.map((r) => r.id);
  }

  exportVoice(id) {
    const recipe = this.recipes.find((r) => r.id === id);
    if (!recipe) throw new Error('Select a custom voice to export.');
    const blob = new Blob([JSON.stringify({ format: FORMAT, version: 1, ...recipe }, null, 1)], { type: 'application/json' });
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
