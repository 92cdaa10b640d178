// Names the page shows and downloads are saved under. Voice names come from users (custom and
// imported voices): they are only ever put in the page as text (textContent, option labels),
// and file names keep nothing a file system or a download dialog would trip on.

const GENDER = { female: 'female', male: 'male' };

/** "Alpha — Japanese, female" for a preset; "Warm mix — custom, American English" for a custom voice. */
export function voiceLabel(voice) {
  const language = voice.language_name || voice.language || '';
  if (voice.custom) return `${voice.name} — custom${language ? `, ${language}` : ''}`;
  const gender = GENDER[voice.gender] || '';
  return `${voice.name} — ${[language, gender].filter(Boolean).join(', ')}`;
}

/** The first `count` words of `text` (for titles and file names). */
export function firstWords(text, count = 6, maxChars = 48) {
  const words = String(text || '').trim().split(/\s+/).filter(Boolean);
  let out = '';
  for (const word of words.slice(0, count)) {
    const next = out ? `${out} ${word}` : word;
    if (next.length > maxChars) { out = out || word.slice(0, maxChars); break; }
    out = next;
  }
  return out.replace(/[\s,;:\u2013\u2014-]+$/u, ''); // "…five, six," -> "…five, six"
}

/**
 * A safe file name: characters that file systems or shells refuse (<>:"/\|?* and control
 * characters) become spaces, runs of spaces and dots collapse, at most `maxChars`, never empty.
 */
export function fileName(base, extension, maxChars = 80) {
  const cleaned = String(base || '')
    .normalize('NFC')
    .replace(/[<>:"/\\|?*\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\.{2,}/g, '.')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s-]+|[.\s]+$/g, '');
  const stem = [...cleaned].slice(0, maxChars).join('').trim() || 'koe';
  return `${stem}.${extension}`;
}

/** "Heart - Hello from the browser" for a clip of `voiceName` speaking `text`. */
export function clipTitle(voiceName, text) {
  const words = firstWords(text);
  return words ? `${voiceName} - ${words}` : voiceName;
}
