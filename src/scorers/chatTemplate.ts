/**
 * An RM's own chat template, from its `tokenizer_config.json` (`chat_template` and the special
 * tokens), rendered with @huggingface/jinja (the Jinja implementation transformers.js uses), the
 * way transformers' `apply_chat_template(messages, tokenize=False, add_generation_prompt=…)` does:
 * the template sees `messages`, `add_generation_prompt` and every special token of the config
 * (`bos_token`, `eos_token`, `pad_token`, `unk_token`, `sep_token`, `cls_token`, `mask_token`,
 * each a string or an added-token object whose `content` is taken).
 *
 * A template that asks for today's date (`strftime_now`, Llama 3.1's) gets a fixed one, 26 Jul
 * 2024 (that template's own fallback), so a text never depends on the day it is scored.
 *
 * The file is read once, when the backend is made; a missing file, a config without a
 * `chat_template` or a template that does not parse is RR_INVALID_CONFIG naming the field.
 */
import { readFileSync } from 'node:fs';
import { Environment, Interpreter, Template } from '@huggingface/jinja';
import { RouterError } from '../core/errors.ts';
import type { ChatMessage } from '../records/types.ts';

export interface ChatTemplate {
  /** The conversation as the RM's tokenizer would render it, special tokens included, as text. */
  render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): string;
  /** The config's `eos_token`, if it names one. */
  readonly eosToken: string | undefined;
  /** Where it came from (the tokenizer_config.json path). */
  readonly source: string;
}

const SPECIAL = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** A special token as a tokenizer config writes it: a string, or an added-token object with `content`. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

/** strftime over the fixed date 2024-07-26 00:00:00 (the common directives; others kept as written). */
export function fixedStrftime(format: string): string {
  const parts: Record<string, string> = {
    Y: '2024',
    y: '24',
    m: '07',
    d: '26',
    e: '26',
    b: 'Jul',
    B: 'July',
    A: 'Friday',
    a: 'Fri',
    H: '00',
    M: '00',
    S: '00',
    j: '208',
    '%': '%',
  };
  return format.replace(/%([a-zA-Z%])/g, (all, c: string) => parts[c] ?? all);
}

/** The globals @huggingface/jinja's Template.render sets, `strftime_now` on the fixed date. */
const GLOBALS: Record<string, unknown> = {
  false: false,
  true: true,
  none: null,
  False: false,
  True: true,
  None: null,
  raise_exception: (message: unknown) => {
    throw new Error(String(message));
  },
  range: (start: number, stop?: number, step = 1): number[] => {
    const [from, to] = stop === undefined ? [0, start] : [start, stop];
    if (step === 0) throw new Error('range() step must not be zero');
    const out: number[] = [];
    for (let i = from; step > 0 ? i < to : i > to; i += step) out.push(i);
    return out;
  },
  strftime_now: fixedStrftime,
};

/** The template of a tokenizer config object (`chat_template` a string, or named templates: the `default` one). */
export function chatTemplateOf(config: Record<string, unknown>, source: string, field: string): ChatTemplate {
  let tpl = config.chat_template;
  if (Array.isArray(tpl)) tpl = (tpl as { name?: unknown; template?: unknown }[]).find((t) => t?.name === 'default')?.template;
  if (typeof tpl !== 'string' || tpl === '')
    throw new RouterError('RR_INVALID_CONFIG', `${field}: ${source} has no chat_template (a string, or a list with a "default" one)`, {
      field,
    });
  let compiled: Template;
  try {
    compiled = new Template(tpl);
  } catch (e) {
    throw new RouterError('RR_INVALID_CONFIG', `${field}: the chat_template of ${source} does not parse: ${(e as Error).message}`, {
      field,
    });
  }
  const specials: Record<string, string> = {};
  for (const k of SPECIAL) {
    const t = tokenText(config[k]);
    if (t !== undefined) specials[k] = t;
  }
  return {
    source,
    eosToken: specials.eos_token,
    render(messages, addGenerationPrompt) {
      // Template.render's globals, with strftime_now on the fixed date (render itself would refuse a second one).
      const env = new Environment();
      for (const [k, v] of Object.entries(GLOBALS)) env.set(k, v);
      for (const [k, v] of Object.entries(specials)) env.set(k, v);
      env.set(
        'messages',
        messages.map((m) => ({ role: m.role, content: m.content })),
      );
      env.set('add_generation_prompt', addGenerationPrompt);
      return String(new Interpreter(env).run(compiled.parsed).value);
    },
  };
}

/** Reads `tokenizer_config.json` at `path` (once, at start). */
export function loadChatTemplate(path: string, field: string): ChatTemplate {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RouterError('RR_INVALID_CONFIG', `${field}: cannot read ${path}: ${(e as Error).message}`, { field });
  }
  let config: unknown;
  try {
    config = JSON.parse(raw);
  } catch (e) {
    throw new RouterError('RR_INVALID_CONFIG', `${field}: ${path} is not JSON: ${(e as Error).message}`, { field });
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new RouterError('RR_INVALID_CONFIG', `${field}: ${path} is not a JSON object`, { field });
  return chatTemplateOf(config as Record<string, unknown>, path, field);
}
