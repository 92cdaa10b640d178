// Join WAV files the engine produced (16-bit PCM mono, canonical 44-byte header, written by
// koe.wav in the worker) into one file, e.g. the sentences of an LLM reply.

export async function concatWav(blobs) {
  const parts = await Promise.all(blobs.map((b) => b.arrayBuffer()));
  if (parts.length === 1) return new Blob([parts[0]], { type: 'audio/wav' });
  const header = new Uint8Array(parts[0].slice(0, 44));
  const bodies = parts.map((p) => new Uint8Array(p, 44));
  const size = bodies.reduce((n, b) => n + b.length, 0);
  const view = new DataView(header.buffer);
  view.setUint32(4, 36 + size, true); // RIFF chunk size
  view.setUint32(40, size, true); // data chunk size
  return new Blob([header, ...bodies], { type: 'audio/wav' });
}
