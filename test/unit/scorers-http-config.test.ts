// The http backend's config (src/scorers/httpConfig.ts) and the RM chat template
// (src/scorers/chatTemplate.ts): per-protocol defaults, each bad value an RR_INVALID_CONFIG naming
// its field, a tokenizer config read once at start, and templates rendered the way transformers'
// apply_chat_template does (special tokens as strings or added-token objects, named templates, a
// fixed date for strftime_now).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRouterError } from '../../src/core/errors.ts';
import { chatTemplateOf, fixedStrftime, loadChatTemplate } from '../../src/scorers/chatTemplate.ts';
import { parseScorerConfig, type ScorerConfig } from '../../src/scorers/config.ts';
import { backendFrom } from '../helpers/scoreThrough.ts';

const TOKENIZER_CONFIG = fileURLToPath(new URL('../fixtures/rm/tokenizer_config.json', import.meta.url));
const F = 'scorers["rm"]';
const parse = (raw: Record<string, unknown>) => parseScorerConfig({ backend: 'http', url: 'http://127.0.0.1:1/x', ...raw }, F);
const http = (raw: Record<string, unknown>) => {
  const c: ScorerConfig = parse(raw);
  assert.ok(c.backend === 'http');
  return c;
};
const bad = (raw: Record<string, unknown>, field: RegExp, message?: RegExp) =>
  assert.throws(
    () => parse(raw),
    (e: unknown) => {
      assert.ok(isRouterError(e, 'RR_INVALID_CONFIG'), String(e));
      assert.match(String((e as { field?: string }).field), field);
      if (message !== undefined) assert.match(String(e), message);
      return true;
    },
  );

describe('http config', () => {
  it('per-protocol defaults: TEI 32 texts as pairs; vLLM pooling one conversation; openrlhf and classify the separator; score pairs', () => {
    const tei = http({ protocol: 'tei' });
    assert.deepEqual([tei.maxBatch, tei.query, tei.label, tei.separator], [32, 'pair', 0, '\n']);
    const pool = http({ protocol: 'vllm-pooling' });
    assert.deepEqual([pool.maxBatch, pool.query], [1, 'messages']);
    const o = http({ protocol: 'openrlhf' });
    assert.deepEqual([o.maxBatch, o.query], [64, 'separator']);
    assert.deepEqual([http({ protocol: 'vllm-classify' }).query, http({ protocol: 'vllm-score' }).query], ['separator', 'pair']);
    assert.equal(o.retryAfterCapMs, 30_000);
    assert.equal(o.tls, undefined);
  });

  it('chatTemplate makes the query chat-template (pooling then batches 64 texts); query, model, label, tls are kept', () => {
    const c = http({ protocol: 'vllm-pooling', chatTemplate: { tokenizerConfig: 'x.json' }, model: 'm' });
    assert.deepEqual([c.query, c.maxBatch, c.model, c.chatTemplate], ['chat-template', 64, 'm', { tokenizerConfig: 'x.json' }]);
    assert.equal(http({ protocol: 'openrlhf', query: 'passthrough' }).query, 'passthrough');
    assert.equal(http({ protocol: 'tei', label: 'good' }).label, 'good');
    const t = http({
      protocol: 'openrlhf',
      url: 'https://rm.internal/get_reward',
      tls: { caFile: '/etc/rm/ca.crt', certFile: '/c', keyFile: '/k' },
    });
    assert.deepEqual(t.tls, { caFile: '/etc/rm/ca.crt', certFile: '/c', keyFile: '/k' });
  });

  it('refuses bad values, naming the field', () => {
    bad({ protocol: 'vllm' }, /\.protocol$/, /vllm-pooling/);
    bad({ protocol: 'tei', url: 'ftp://x/y' }, /\.url$/);
    bad({ protocol: 'vllm-score', query: 'separator' }, /\.query$/, /vllm-score takes pair/);
    bad({ protocol: 'openrlhf', query: 'messages' }, /\.query$/);
    bad({ protocol: 'openrlhf', query: 'chat-template' }, /\.chatTemplate$/, /needs chatTemplate/);
    bad({ protocol: 'openrlhf', query: 'separator', chatTemplate: { tokenizerConfig: 'x' } }, /\.chatTemplate$/);
    bad({ protocol: 'openrlhf', chatTemplate: 'x.json' }, /\.chatTemplate\.tokenizerConfig$/);
    bad({ protocol: 'openrlhf', chatTemplate: { tokenizerConfig: 'x', date: 'today' } }, /\.chatTemplate\.date$/);
    bad({ protocol: 'vllm-pooling', maxBatch: 8 }, /\.maxBatch$/, /one conversation/);
    bad({ protocol: 'tei', maxBatch: 1.5 }, /\.maxBatch$/);
    bad({ protocol: 'vllm-classify', label: 'good' }, /\.label$/);
    bad({ protocol: 'vllm-classify', label: -1 }, /\.label$/);
    bad({ protocol: 'vllm-score', label: 2 }, /\.label$/);
    bad({ protocol: 'tei', model: 'm' }, /\.model$/);
    bad({ protocol: 'openrlhf', separator: 3 }, /\.separator$/);
    bad({ protocol: 'openrlhf', tls: { caFile: '/ca' } }, /\.tls$/, /https/);
    bad({ protocol: 'openrlhf', url: 'https://x/y', tls: { ca: '/ca' } }, /\.tls\.ca$/);
    bad({ protocol: 'openrlhf', url: 'https://x/y', tls: { certFile: '/c' } }, /\.tls\.certFile$/, /go together/);
    bad({ protocol: 'openrlhf', retryAfterCapMs: -1 }, /\.retryAfterCapMs$/);
  });

  it('files are read when the backend is made: a missing tokenizer config or TLS file is RR_INVALID_CONFIG naming it', async () => {
    await assert.rejects(
      backendFrom({
        backend: 'http',
        protocol: 'openrlhf',
        url: 'http://127.0.0.1:1/',
        chatTemplate: { tokenizerConfig: '/nonexistent/tokenizer_config.json' },
      }),
      (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && /chatTemplate\.tokenizerConfig: cannot read/.test(String(e)),
    );
    await assert.rejects(
      backendFrom({ backend: 'http', protocol: 'openrlhf', url: 'https://127.0.0.1:1/', tls: { caFile: '/nonexistent/ca.crt' } }),
      (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && /tls\.caFile: cannot read \/nonexistent\/ca\.crt/.test(String(e)),
    );
  });
});

describe('chat template', () => {
  it('renders the fixture like apply_chat_template: a default system turn, turns in ChatML, the generation prompt on request', () => {
    const t = loadChatTemplate(TOKENIZER_CONFIG, 'f');
    assert.equal(t.eosToken, '<|im_end|>');
    assert.equal(
      t.render([{ role: 'user', content: 'Hi' }], true),
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
    assert.equal(
      t.render(
        [
          { role: 'system', content: 'S' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Yo' },
        ],
        false,
      ),
      '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n',
    );
  });

  it('special tokens may be added-token objects; named templates use "default"; strftime_now is a fixed date; range and raise_exception work', () => {
    const t = chatTemplateOf(
      {
        bos_token: { content: '<s>', lstrip: false },
        eos_token: { content: '</s>' },
        chat_template: [
          { name: 'tool_use', template: 'no' },
          {
            name: 'default',
            template:
              "{{ bos_token }}{% for i in range(2) %}[{{ i }}]{% endfor %}{{ strftime_now('%d %b %Y') }}{% for m in messages %}{% if m.role == 'bad' %}{{ raise_exception('bad role') }}{% endif %}{{ m.content }}{{ eos_token }}{% endfor %}",
          },
        ],
      },
      'inline',
      'f',
    );
    assert.equal(t.eosToken, '</s>');
    assert.equal(t.render([{ role: 'user', content: 'x' }], false), '<s>[0][1]26 Jul 2024x</s>');
    assert.throws(() => t.render([{ role: 'bad', content: 'x' }], false), /bad role/);
    assert.equal(fixedStrftime('%Y-%m-%d %H:%M %% %q'), '2024-07-26 00:00 % %q');
  });

  it('a config without chat_template, or one that does not parse, is RR_INVALID_CONFIG', () => {
    assert.throws(
      () => chatTemplateOf({ eos_token: '</s>' }, 'x.json', 'f'),
      (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && /no chat_template/.test(String(e)),
    );
    assert.throws(
      () => chatTemplateOf({ chat_template: '{% for %}' }, 'x.json', 'f'),
      (e: unknown) => isRouterError(e, 'RR_INVALID_CONFIG') && /does not parse/.test(String(e)),
    );
  });
});

describe('openrlhf query mode at start', () => {
  it('warns once when an openrlhf RM gets prompt + separator + response, and not when it has its chat template', async () => {
    const { createRmBackend } = await import('../../src/scorers/index.ts');
    const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
    const log = { info() {}, warn: (message: string, fields?: Record<string, unknown>) => void warnings.push({ message, fields }) };
    const env = { clock: { now: () => 0 }, seed: 1, run: 'r', rm: 'rm-a', arms: ['rm-a'], log };
    const plain = await createRmBackend(http({ protocol: 'openrlhf' }), env);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.fields?.rm, 'rm-a');
    assert.match(warnings[0]!.message, /not its chat template/);
    const templated = await createRmBackend(http({ protocol: 'openrlhf', chatTemplate: { tokenizerConfig: TOKENIZER_CONFIG } }), env);
    const passthrough = await createRmBackend(http({ protocol: 'openrlhf', query: 'passthrough' }), env);
    assert.equal(warnings.length, 1, 'a chat template or passthrough is what OpenRLHF expects');
    for (const b of [plain, templated, passthrough]) await b.close?.();
  });
});
