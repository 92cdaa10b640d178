// This session's clips: replay, rename, download (WAV, captions). Kept in memory only (the
// audio is never stored); the oldest clips go once there are more than MAX_CLIPS.
// Every string (titles, voice names, text) is put in the page as text, never as HTML.

import { fileName } from './names.mjs';

const MAX_CLIPS = 30;

const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

export class ClipHistory {
  /**
   * `list`: the <ol> the clips are drawn in; `onplay(clip)`, `oncaptions(clip)`: the page's actions.
   */
  constructor(list, { onplay, oncaptions, onchange } = {}) {
    this.list = list;
    this.onplay = onplay;
    this.oncaptions = oncaptions;
    this.onchange = onchange || (() => {});
    this.clips = [];
    this.next = 1;
  }

  /** Add a finished clip: {title, voice, voiceName, text, words, wav: Blob, duration, kind}. */
  add(clip) {
    const entry = { ...clip, id: this.next++, url: URL.createObjectURL(clip.wav) };
    this.clips.unshift(entry);
    for (const old of this.clips.splice(MAX_CLIPS)) URL.revokeObjectURL(old.url);
    this.render();
    return entry;
  }

  get(id) {
    return this.clips.find((c) => c.id === id) || null;
  }

  rename(id, title) {
    const clip = this.get(id);
    const clean = String(title || '').replace(/\s+/g, ' ').trim();
    if (!clip || !clean) return null;
    clip.title = clean.slice(0, 120);
    this.render();
    return clip;
  }

  wavName(clip) {
    return fileName(clip.title, 'wav');
  }

  render() {
    this.list.replaceChildren(...this.clips.map((clip) => this._item(clip)));
    this.list.hidden = !this.clips.length;
    this.onchange(this.clips);
  }

  _item(clip) {
    const li = document.createElement('li');
    li.className = 'clip';
    li.dataset.clip = String(clip.id);
    const title = document.createElement('span');
    title.className = 'clip-title';
    title.textContent = clip.title;
    const meta = document.createElement('span');
    meta.className = 'clip-meta';
    meta.textContent = `${clock(clip.duration)} · ${clip.voiceName}`;

    const play = button('Play', `Play “${clip.title}”`, () => this.onplay && this.onplay(clip));
    const rename = button('Rename', `Rename “${clip.title}”`, () => this._editTitle(li, clip, title));
    const wav = document.createElement('a');
    wav.className = 'button small';
    wav.textContent = 'WAV';
    wav.href = clip.url;
    wav.download = this.wavName(clip);
    wav.setAttribute('aria-label', `Download “${clip.title}” as WAV`);
    const parts = [title, meta, play, rename, wav];
    if (this.oncaptions && clip.words && clip.words.length) {
      parts.push(button('Captions', `Download captions of “${clip.title}” (.vtt)`, () => this.oncaptions(clip)));
    }
    li.append(...parts);
    return li;
  }

  _editTitle(li, clip, title) {
    const input = document.createElement('input');
    input.type = 'text';
    input.value = clip.title;
    input.maxLength = 120;
    input.className = 'clip-rename';
    input.setAttribute('aria-label', 'New name of the clip');
    let done = false;
    const commit = (keep) => {
      if (done) return;
      done = true;
      if (keep) this.rename(clip.id, input.value);
      else this.render();
      const again = this.list.querySelector(`[data-clip="${clip.id}"] button`);
      if (again) again.focus();
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') { event.preventDefault(); commit(true); }
      if (event.key === 'Escape') { event.preventDefault(); event.stopPropagation(); commit(false); }
    });
    input.addEventListener('blur', () => commit(true));
    title.replaceWith(input);
    input.focus();
    input.select();
  }
}

function button(label, aria, onclick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'small';
  b.textContent = label;
  b.setAttribute('aria-label', aria);
  b.addEventListener('click', onclick);
  return b;
}
