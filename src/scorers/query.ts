/**
 * The text an HTTP reward model is sent for one (prompt, response), by `query` mode
 * (docs/scorers.md, "http: the wire protocols"):
 *
 *   pair            the prompt and the response apart (TEI's `[prompt, response]`, vLLM's text_1/text_2)
 *   messages        the chat with the response as the assistant turn (vLLM /pooling renders it with the RM's own template)
 *   chat-template   the RM's own template (tokenizer_config.json), in one of two shapes:
 *                   trainer        the chat rendered with the generation prompt, then the response, then
 *                                  the RM's EOS token: the text OpenRLHF's trainer sends (its prompt,
 *                                  templated, decoded with its special tokens, followed by the generated
 *                                  tokens up to the EOS the policy stopped on); openrlhf's
 *                   conversation   the chat with the response as the assistant turn, rendered whole:
 *                                  what apply_chat_template gives a sequence-classifier RM, and what vLLM
 *                                  renders itself for /pooling `messages`; the other protocols'
 *   passthrough     the prompt as the trainer wrote it (already templated), then the response
 *   separator       the plain prompt, `separator`, the response (this project's first behaviour; an RM
 *                   whose value head reads the EOS position was not trained on that text)
 *
 * The prompt is the request's `prompt`; a request that has only chat `messages` has them rendered as
 * `role: content` lines where a plain text is needed (pair, passthrough, separator).
 */
import type { BusRecord } from '../bus/types.ts';
import type { ChatMessage } from '../records/types.ts';
import type { ChatTemplate } from './chatTemplate.ts';
import { promptText } from './text.ts';

export type QueryMode = 'pair' | 'messages' | 'chat-template' | 'passthrough' | 'separator';

/** One distinct text to score. */
export interface HttpItem {
  prompt: string;
  messages: readonly ChatMessage[];
  response: string;
  /** The request's label (OpenRLHF's `labels`), when it has one. */
  label?: string;
}

export interface QueryOptions {
  mode: QueryMode;
  separator: string;
  /** Required by `chat-template`. */
  template?: ChatTemplate;
  /** The shape of a chat-templated text (default conversation). */
  templated?: 'trainer' | 'conversation';
}

/** The conversation before the response: the request's messages, else its prompt as one user turn. */
export function chatOf(item: Pick<HttpItem, 'prompt' | 'messages'>): ChatMessage[] {
  return item.messages.length > 0 ? [...item.messages] : [{ role: 'user', content: item.prompt }];
}

/** The conversation with the response as the assistant turn (vLLM /pooling's `messages`). */
export function chatWithResponse(item: HttpItem): ChatMessage[] {
  return [...chatOf(item), { role: 'assistant', content: item.response }];
}

/** The prompt as plain text. */
export function plainPrompt(item: Pick<HttpItem, 'prompt' | 'messages'>): string {
  return promptText(item.prompt, item.messages);
}

/** The prompt part of the query (OpenRLHF's `prompts`): in chat-template mode, templated with the generation prompt. */
export function promptOf(item: HttpItem, q: QueryOptions): string {
  if (q.mode === 'chat-template') return q.template!.render(chatOf(item), true);
  return plainPrompt(item);
}

/** The one text of a (prompt, response) in `chat-template`, `passthrough` or `separator` mode. */
export function queryText(item: HttpItem, q: QueryOptions): string {
  switch (q.mode) {
    case 'chat-template': {
      if (q.templated !== 'trainer') return q.template!.render(chatWithResponse(item), false);
      const eos = q.template!.eosToken;
      const text = promptOf(item, q) + item.response;
      return eos === undefined || item.response.endsWith(eos) ? text : text + eos;
    }
    case 'passthrough':
      return plainPrompt(item) + item.response;
    case 'separator':
      return plainPrompt(item) + q.separator + item.response;
    default:
      throw new Error(`query mode ${q.mode} has no single text`);
  }
}

/** One request of a protocol for a chunk of items: one finite reward per item, in order, or an RmCallError. */
export type ProtocolCall = (items: readonly HttpItem[], signal: AbortSignal, parents?: readonly BusRecord[]) => Promise<number[]>;
