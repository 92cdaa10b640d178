// The voice picker: voices grouped by language (English first), each with a name that says which
// voice it is ("Alpha — Japanese, female"; two presets share "Alpha"), custom voices in a group
// of their own, blends made in this session in another. Labels are set as text (Option's text,
// optgroup.label), so any name a user gives a voice is shown as written and never parsed.

import { voiceLabel } from './names.mjs';

const FIRST = ['en-us', 'en-gb'];

/** `languages`: [[code, name]] of the voices' languages, English first, then by name. */
export function languagesOf(voices) {
  const names = new Map();
  for (const v of voices) if (!names.has(v.language)) names.set(v.language, v.language_name || v.language);
  return [...names].sort(([a, an], [b, bn]) => {
    const ra = FIRST.includes(a) ? FIRST.indexOf(a) : FIRST.length;
    const rb = FIRST.includes(b) ? FIRST.indexOf(b) : FIRST.length;
    return ra - rb || an.localeCompare(bn);
  });
}

/**
 * Fill `select` with `voices` ([{id, name, language, language_name, gender, custom}]) and
 * `blends` ([{spec, label}]); `unavailable`: ids that cannot be used now (offline and not
 * cached), shown disabled with the reason. Selects `selected` if present, else `fallback`.
 */
export function fillVoicePicker(select, voices, { selected, fallback, blends = [], unavailable = new Set() } = {}) {
  const presets = voices.filter((v) => !v.custom);
  const custom = voices.filter((v) => v.custom);
  select.replaceChildren();
  for (const [code, name] of languagesOf(presets)) {
    const group = document.createElement('optgroup');
    group.label = name;
    for (const v of presets.filter((p) => p.language === code)) group.append(option(voiceLabel(v), v.id, unavailable.has(v.id)));
    select.append(group);
  }
  if (custom.length) {
    const group = document.createElement('optgroup');
    group.label = 'Custom voices';
    const counts = new Map();
    for (const v of custom) counts.set(v.name, (counts.get(v.name) || 0) + 1);
    for (const v of custom) {
      // Two custom voices may share a name: then the id (unique) tells them apart.
      const label = counts.get(v.name) > 1 ? voiceLabel({ ...v, name: `${v.name} (${v.id})` }) : voiceLabel(v);
      group.append(option(label, v.id, unavailable.has(v.id)));
    }
    select.append(group);
  }
  if (blends.length) {
    const group = document.createElement('optgroup');
    group.label = 'Blends (this session)';
    for (const b of blends) group.append(option(b.label, b.spec, false));
    select.append(group);
  }
  const usable = [...select.options].filter((o) => !o.disabled).map((o) => o.value);
  select.value = usable.includes(selected) ? selected : usable.includes(fallback) ? fallback : (usable[0] || '');
  select.disabled = false;
}

function option(label, value, disabled) {
  const o = new Option(disabled ? `${label} (not available offline)` : label, value);
  o.disabled = disabled;
  return o;
}

/** A voice of `language` to switch to: the same gender as `like` if there is one. */
export function voiceFor(voices, language, like) {
  const candidates = voices.filter((v) => !v.custom && v.language === language);
  return candidates.find((v) => like && v.gender === like.gender) || candidates[0] || null;
}
