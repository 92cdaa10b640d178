// The blend builder: two or more preset voices with weights, written as the engine's blend
// spec "af_heart(2)+bf_emma(1)" (koe.voices.parse_blend reads it; the engine validates it).

import { fillVoicePicker } from './voice-picker.mjs';

const MAX_PARTS = 5;

export class BlendBuilder {
  /** `els`: {rows, add, spec, use, save, name}; `onuse({spec, label})`, `onsave({name, components})`. */
  constructor(els, { onuse, onsave }) {
    this.els = els;
    this.onuse = onuse;
    this.onsave = onsave;
    this.presets = [];
    els.add.addEventListener('click', () => { this.addRow(); this.update(); });
    els.use.addEventListener('click', () => this.onuse(this.blend()));
    els.save.addEventListener('click', () => this.onsave({ name: els.name.value.trim() || this.blend().label, components: this.components() }));
  }

  /** The preset voices to choose from; starts with two rows (the first two given ids). */
  setVoices(presets, firstIds = []) {
    this.presets = presets;
    if (!this.els.rows.children.length) {
      this.addRow(firstIds[0], 2);
      this.addRow(firstIds[1], 1);
    } else {
      for (const select of this.els.rows.querySelectorAll('select')) {
        fillVoicePicker(select, this.presets, { selected: select.value, fallback: this.presets[0] && this.presets[0].id });
      }
    }
    this.update();
  }

  addRow(voice, weight = 1) {
    if (this.els.rows.children.length >= MAX_PARTS) return;
    const n = this.els.rows.children.length + 1;
    const row = document.createElement('div');
    row.className = 'blend-row';
    const select = document.createElement('select');
    select.setAttribute('aria-label', `Voice ${n} of the blend`);
    fillVoicePicker(select, this.presets, { selected: voice, fallback: this.presets[n - 1] ? this.presets[n - 1].id : undefined });
    const amount = document.createElement('input');
    amount.type = 'number';
    amount.min = '0.1';
    amount.step = '0.1';
    amount.value = String(weight);
    amount.setAttribute('aria-label', `Weight of voice ${n}`);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'small';
    remove.textContent = 'Remove';
    remove.setAttribute('aria-label', `Remove voice ${n} from the blend`);
    remove.addEventListener('click', () => { row.remove(); this.update(); });
    for (const el of [select, amount]) el.addEventListener('input', () => this.update());
    row.append(select, amount, remove);
    this.els.rows.append(row);
  }

  /** [{voice, weight}] with positive weights (a row with another weight is left out). */
  components() {
    return [...this.els.rows.children].map((row) => ({
      voice: row.querySelector('select').value,
      weight: Number(row.querySelector('input').value),
    })).filter((c) => c.voice && Number.isFinite(c.weight) && c.weight > 0);
  }

  blend() {
    const parts = this.components();
    const name = (id) => (this.presets.find((v) => v.id === id) || { name: id }).name;
    const weight = (w) => String(Math.round(w * 100) / 100);
    return {
      spec: parts.map((c) => `${c.voice}(${weight(c.weight)})`).join('+'),
      label: `Blend: ${parts.map((c) => `${name(c.voice)} ${weight(c.weight)}`).join(' + ')}`,
      components: parts,
    };
  }

  update() {
    const rows = this.els.rows.children.length;
    const parts = this.components();
    this.els.spec.textContent = parts.length ? this.blend().spec : '';
    this.els.add.disabled = rows >= MAX_PARTS;
    const ok = parts.length >= 2 && parts.length === rows;
    this.els.use.disabled = !ok;
    this.els.save.disabled = !ok;
    for (const b of this.els.rows.querySelectorAll('button')) b.disabled = rows <= 2;
  }
}
