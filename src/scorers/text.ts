import type { ChatMessage } from '../records/types.ts';

/** The prompt as one string: the plain prompt, else the chat rendered as `role: content` lines. */
export function promptText(prompt: string, messages: readonly ChatMessage[]): string {
  if (prompt !== '' || messages.length === 0) return prompt;
  return messages.map((m) => `${m.role}: ${m.content}`).join('\n');
}
