// Read-along: a text shown with its spoken words as spans, the word being heard highlighted.
//
// Words come from the engine (koe.timestamps, the same in the browser and natively): each has
// `start`/`end` in seconds of the clip and `char_start`/`char_end` in the text it was made from.
// Words arrive chunk by chunk while synthesis streams; the view is rebuilt from the text and
// the words known so far (plain text nodes and spans, never HTML). `update(time)` is called on
// every animation frame with the player's clock; clicking a word calls `onseek(word.start)`.

export class ReadAlong {
  /** `element`: the container the transcript is drawn in (its children are replaced). */
  constructor(element, { onseek } = {}) {
    this.element = element;
    this.onseek = onseek || null;
    this.text = '';
    this.words = []; // spoken words, sorted by start: {text, start, end, char_start, char_end}
    this.spans = [];
    this.current = -1;
    element.addEventListener('click', (event) => {
      const span = event.target.closest ? event.target.closest('[data-word]') : null;
      if (!span || !this.onseek) return;
      const word = this.words[Number(span.dataset.word)];
      if (word) this.onseek(word.start, word);
    });
  }

  /** Show `text` with `words` (absolute clip times, offsets into `text`). */
  show(text, words = []) {
    this.text = text;
    this.words = [];
    this.add(words);
  }

  /** More words of the same text (the next chunk), already shifted to clip time and text offsets. */
  add(words) {
    for (const w of words) {
      if (w.skipped || !(w.end >= w.start) || w.char_end <= w.char_start) continue;
      if (w.char_start < 0 || w.char_end > this.text.length) continue;
      this.words.push(w);
    }
    this.words.sort((a, b) => a.start - b.start || a.char_start - b.char_start);
    this.render();
  }

  /** The text changed (an LLM reply still streaming in): redraw with the same words. */
  setText(text) {
    this.text = text;
    this.render();
  }

  render() {
    const parts = [];
    const spans = [];
    let at = 0;
    // Draw in text order; a word overlapping the previous one (never expected) is drawn as text.
    const order = this.words.map((w, i) => i).sort((a, b) => this.words[a].char_start - this.words[b].char_start);
    for (const i of order) {
      const w = this.words[i];
      if (w.char_start < at) continue;
      if (w.char_start > at) parts.push(document.createTextNode(this.text.slice(at, w.char_start)));
      const span = document.createElement('span');
      span.className = 'word';
      span.dataset.word = String(i);
      span.textContent = this.text.slice(w.char_start, w.char_end);
      parts.push(span);
      spans[i] = span;
      at = w.char_end;
    }
    if (at < this.text.length) parts.push(document.createTextNode(this.text.slice(at)));
    this.element.replaceChildren(...parts);
    this.spans = spans;
    const current = this.current;
    this.current = -1;
    if (current >= 0) this._mark(current);
  }

  /** The index of the word heard at `time`: the last one started (held through the pause after it). */
  indexAt(time) {
    let lo = 0;
    let hi = this.words.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.words[mid].start <= time) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  /** Highlight the word at `time` (seconds of the clip); returns its index (-1: none yet). */
  update(time) {
    const index = this.indexAt(time);
    if (index !== this.current) this._mark(index);
    return index;
  }

  clear() {
    this._mark(-1);
  }

  _mark(index) {
    const old = this.spans[this.current];
    if (old) {
      old.classList.remove('current');
      old.removeAttribute('aria-current');
    }
    this.current = index;
    const span = this.spans[index];
    if (!span) return;
    span.classList.add('current');
    span.setAttribute('aria-current', 'true');
    const box = this.element;
    // Keep the word in view inside the transcript box (not the page).
    if (span.offsetTop < box.scrollTop || span.offsetTop + span.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, span.offsetTop - box.clientHeight / 3);
    }
  }
}
