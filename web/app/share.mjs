// Shareable links: the text (when short), voice, speed and reading language in the URL's
// fragment (#text=…&voice=…), which browsers never send to a server: sharing a link does not
// put the text in anybody's access log. `?voice=` in the query is still read (older links).

export const MAX_SHARED_TEXT = 1000; // characters: longer texts make unwieldy links; the link then carries the settings only

/** {text?, voice?, speed?, lang?} from the page's URL (fragment first, then query for voice). */
export function readShared(location) {
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
  const query = new URLSearchParams(location.search);
  const out = {};
  const text = hash.get('text');
  if (text != null && text.length <= MAX_SHARED_TEXT) out.text = text;
  const voice = hash.get('voice') || query.get('voice');
  if (voice) out.voice = voice;
  const speed = Number(hash.get('speed'));
  if (hash.has('speed') && Number.isFinite(speed)) out.speed = speed;
  const lang = hash.get('lang');
  if (lang) out.lang = lang;
  return out;
}

/** The link for these settings; `textIncluded` says whether the text fitted. */
export function shareLink(location, { text, voice, speed, lang }) {
  const params = new URLSearchParams();
  const textIncluded = !!text && text.length <= MAX_SHARED_TEXT;
  if (textIncluded) params.set('text', text);
  if (voice) params.set('voice', voice);
  if (speed && Number(speed) !== 1) params.set('speed', String(speed));
  if (lang) params.set('lang', lang);
  const url = new URL(location.href);
  url.hash = params.toString();
  return { url: url.href, textIncluded };
}
