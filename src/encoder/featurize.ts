/**
 * The pair featurization, shared by the offline stage and the router (so a prior is only ever used in
 * the space it was trained in): h(q, r) is the sentence embedding of the prompt and one response
 * together; the pair feature is [(h(q,a) + h(q,b)) / 2 ; |h(q,a) − h(q,b)|], as the BayesianRouter
 * authors do. The first half says what the prompt and answers are about, the second how the two
 * answers differ. Pure: no model here.
 */

/** Id written to prior files; change it whenever anything below changes. */
export const FEATURIZATION = 'mean-absdiff@1';

/** The text h(q, r) embeds: the prompt, a blank line, the response (the response alone without a prompt). */
export function promptResponseText(prompt: string, response: string): string {
  return prompt === '' ? response : `${prompt}\n\n${response}`;
}

/** The prompt text of a record: `prompt` when set, else the chat messages as `role: content` lines. */
export function promptOf(g: { prompt?: string; messages?: readonly { role: string; content: string }[] }): string {
  if (g.prompt !== undefined && g.prompt !== '') return g.prompt;
  return (g.messages ?? []).map((m) => `${m.role}: ${m.content}`).join('\n');
}

/** [(a + b) / 2 ; |a − b|] in float64; width 2 · a.length. */
export function pairFeature(a: Float64Array, b: Float64Array): Float64Array {
  const n = a.length;
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[i] = (a[i]! + b[i]!) / 2;
    out[n + i] = Math.abs(a[i]! - b[i]!);
  }
  return out;
}
