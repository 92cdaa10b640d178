// External LLM mode: stream a chat reply from an OpenAI-compatible API (Server-Sent Events) and
// cut it into sentences as it arrives, so each can be spoken while the rest is still coming.

export class LlmError extends Error {}

function describeStatus(status, body) {
  let detail = '';
  try {
    const parsed = JSON.parse(body);
    detail = parsed?.error?.message || parsed?.detail || parsed?.message || '';
    if (typeof detail !== 'string') detail = JSON.stringify(detail);
  } catch {
    detail = body.slice(0, 200);
  }
  const hint = status === 401 || status === 403 ? ' Check the API key.'
    : status === 404 ? ' Check the base URL and the model name.'
      : status === 429 ? ' The API is rate limiting: wait a moment.' : '';
  return `The LLM API answered ${status}${detail ? `: ${detail}` : '.'}${hint}`;
}

/**
 * Yield text deltas of the assistant's reply.
 * @param {{baseUrl: string, apiKey?: string, model?: string, prompt: string, signal?: AbortSignal}} options
 */
export async function* streamChat({ baseUrl, apiKey, model, prompt, signal }) {
  if (!baseUrl) throw new LlmError('Set the LLM base URL first (for example https://api.openai.com/v1).');
  const url = `${baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const headers = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const body = { messages: [{ role: 'user', content: prompt }], stream: true };
  if (model) body.model = model;
  let response;
  try {
    response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
  } catch (error) {
    if (error.name === 'AbortError') return;
    throw new LlmError(`Could not reach the LLM API at ${url}: the server is unreachable or it does not allow requests from this page (CORS).`);
  }
  if (!response.ok) throw new LlmError(describeStatus(response.status, await response.text().catch(() => '')));
  const type = response.headers.get('content-type') || '';
  if (!type.includes('text/event-stream')) {
    // A server that ignored stream: true answers with one JSON body.
    const text = await response.text();
    let data;
    try { data = JSON.parse(text); } catch { throw new LlmError('The LLM API sent something that is not a chat completion.'); }
    const content = data?.choices?.[0]?.message?.content;
    if (typeof content !== 'string') throw new LlmError('The LLM API reply has no message content.');
    yield content;
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += value;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop();
      for (const line of lines) {
        if (!line.startsWith('data:')) continue;
        const payload = line.slice(5).trim();
        if (payload === '[DONE]') return;
        let event;
        try { event = JSON.parse(payload); } catch { continue; }
        if (event.error) throw new LlmError(`The LLM API reported an error: ${event.error.message || JSON.stringify(event.error)}`);
        const delta = event?.choices?.[0]?.delta?.content;
        if (delta) yield delta;
      }
    }
  } catch (error) {
    if (error.name === 'AbortError') return;
    throw error instanceof LlmError ? error : new LlmError(`The LLM reply stream broke off: ${error.message}`);
  }
}

/**
 * Collects streamed text and releases complete sentences: text up to . ! ? … (plus closing quotes
 * or brackets) followed by whitespace, or a line break. The engine does the real chunking; this
 * only decides when enough text has arrived to start speaking it.
 */
export class SentenceBuffer {
  constructor(minLength = 24) {
    this.text = '';
    this.minLength = minLength;
  }

  push(delta) {
    this.text += delta;
    const out = [];
    const boundary = /([.!?…]+["'”’)\]]*\s+|\n+)/g;
    let start = 0;
    let match;
    while ((match = boundary.exec(this.text))) {
      const end = match.index + match[0].length;
      const sentence = this.text.slice(start, end);
      if (sentence.trim().length >= this.minLength || match[0].includes('\n')) {
        if (sentence.trim()) out.push(sentence.trim());
        start = end;
      }
    }
    this.text = this.text.slice(start);
    return out;
  }

  flush() {
    const rest = this.text.trim();
    this.text = '';
    return rest ? [rest] : [];
  }
}
