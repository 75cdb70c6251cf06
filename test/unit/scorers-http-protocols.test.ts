// The http backend's wire protocols as deployed, each against a local stand-in that reproduces its
// upstream server's parsing, limits, errors and reply shape (test/helpers/fakeTei.ts, fakeVllm.ts,
// fakeOpenRlhf.ts): with the default settings a micro-batch of 200 pairs ends with no RM_* dead
// letter on TEI (at its default limit of 32 inputs), vLLM /pooling, /classify and /score; OpenRLHF
// gets the chat-templated query of the RM's tokenizer_config.json; a request refused for its size
// is split; the preflight reads TEI's limit and refuses what no retry mends.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRouterError } from '../../src/core/errors.ts';
import { loadChatTemplate } from '../../src/scorers/chatTemplate.ts';
import { isFailure, type PairInput } from '../../src/scorers/types.ts';
import { fakeReward } from '../helpers/fakeRm.ts';
import { startOpenRlhf } from '../helpers/fakeOpenRlhf.ts';
import { startTei, teiLogit } from '../helpers/fakeTei.ts';
import { startVllm, vllmLogit, vllmPairScore, BOS } from '../helpers/fakeVllm.ts';
import { json, startLocal, text, type LocalServer } from '../helpers/localServer.ts';
import { backendFrom, requests, scoreThrough } from '../helpers/scoreThrough.ts';

const TOKENIZER_CONFIG = fileURLToPath(new URL('../fixtures/rm/tokenizer_config.json', import.meta.url));
const template = loadChatTemplate(TOKENIZER_CONFIG, 'test');

const servers: { close(): Promise<void> }[] = [];
after(async () => {
  for (const s of servers) await s.close();
});
function keep<T extends { close(): Promise<void> }>(s: T): T {
  servers.push(s);
  return s;
}

/** 40 prompts × 5 pairs = 200 pairs, 240 distinct texts (6 responses a prompt). */
const MICRO_BATCH = () => requests(40, 5);
const rmDeadLetters = (dl: { reason: string }[]) => dl.filter((d) => d.reason.startsWith('RM_'));
const chatOf = (i: number) => [
  { role: 'system', content: 'Answer in one word.' },
  { role: 'user', content: `What is ${i} + ${i}?` },
];

describe('TEI /predict', () => {
  it('default settings: a 200-pair micro-batch goes out in requests of ≤ 32 inputs, no RM_* dead letter', async () => {
    const tei = keep(await startTei());
    const { backend } = await backendFrom({ backend: 'http', protocol: 'tei', url: `${tei.url}/predict` });
    const items = MICRO_BATCH();
    const { scores, deadLetters, batches } = await scoreThrough(backend, items);
    assert.deepEqual(batches, [200]);
    assert.deepEqual(rmDeadLetters(deadLetters), []);
    const sizes = tei.predicts().map((b) => (b.inputs as unknown[]).length);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      240,
      'each distinct text once',
    );
    assert.ok(Math.max(...sizes) <= 32, `sizes ${sizes}`);
    assert.equal(tei.received.filter((r) => r.path === '/predict').length, 8, '240 texts in 8 requests, none refused');
    for (const [i, s] of scores.entries()) {
      const q = items[i]!.value!;
      s.pairs.forEach((p, k) => {
        assert.equal(p.unscored, null);
        assert.equal(p.scoreA, teiLogit([q.prompt!, q.pairs[k]!.responseA]));
        assert.equal(p.scoreB, teiLogit([q.prompt!, q.pairs[k]!.responseB]));
      });
    }
    assert.equal(tei.predicts()[0]!.raw_scores, true);
  });

  it('the old default of 64 is refused with 413 by TEI and split to its stated limit: still no RM_* dead letter, and later batches start at 32', async () => {
    const tei = keep(await startTei());
    const { backend } = await backendFrom({ backend: 'http', protocol: 'tei', url: `${tei.url}/predict`, maxBatch: 64 });
    const { deadLetters } = await scoreThrough(backend, MICRO_BATCH());
    assert.deepEqual(rmDeadLetters(deadLetters), []);
    const refused =
      tei.received.filter((r) => r.path === '/predict').length - tei.predicts().filter((b) => (b.inputs as unknown[]).length <= 32).length;
    assert.equal(refused, 4, 'the four requests of 64 (and 48) inputs were refused once each');
    assert.ok((backend.stats().splits ?? 0) >= 4);
    assert.equal(backend.stats().maxBatch, 32, 'the limit the server stated is kept');
    assert.equal(backend.stats().breakerOpen, 0, 'a size refusal is not a failing server');
    const before = tei.received.length;
    await scoreThrough(
      backend,
      requests(12, 5, {}).map((w, i) => ({ ...w, value: { ...w.value!, promptId: `again${i}`, prompt: `again ${i}` } })),
    );
    const later = tei.predicts().slice(-3);
    assert.ok(later.every((b) => (b.inputs as unknown[]).length <= 32));
    assert.equal(tei.received.length - before, 3, '72 texts in 3 requests, none refused');
  });

  it('the preflight reads /info: a server started with --max-client-batch-size 10 gets requests of ≤ 10 from the start', async () => {
    const tei = keep(await startTei({ maxClientBatchSize: 10 }));
    const { backend } = await backendFrom({ backend: 'http', protocol: 'tei', url: `${tei.url}/predict` });
    await backend.preflight!();
    assert.equal(backend.stats().maxBatch, 10);
    const { deadLetters } = await scoreThrough(backend, MICRO_BATCH());
    assert.deepEqual(rmDeadLetters(deadLetters), []);
    assert.ok(tei.predicts().every((b) => (b.inputs as unknown[]).length <= 10));
    assert.equal(tei.received.filter((r) => r.path === '/predict').length, 24, '240 texts in 24 requests, none refused');
  });

  it('a multi-label model: the reward is the configured label (by name, or by index through /info id2label), not the top prediction', async () => {
    const tei = keep(await startTei({ labels: ['bad', 'good'] }));
    for (const label of ['good', 1]) {
      const { backend } = await backendFrom({ backend: 'http', protocol: 'tei', url: `${tei.url}/predict`, label });
      await backend.preflight!();
      const [r] = await backend.scorePairs([{ pairId: 'p', prompt: 'Q', messages: [], responseA: 'a', responseB: 'b' }]);
      assert.ok(!isFailure(r!));
      assert.equal(r.scoreA, teiLogit(['Q', 'a'], 1), String(label));
      assert.equal(r.scoreB, teiLogit(['Q', 'b'], 1), String(label));
    }
  });

  it('one input longer than the model takes fails its whole request (413); splitting leaves only its pairs unscored, RM_BAD_RESPONSE', async () => {
    const tei = keep(await startTei({ maxInputLength: 40 }));
    const { backend } = await backendFrom({ backend: 'http', protocol: 'tei', url: `${tei.url}/predict` });
    const items = requests(4, 3);
    items[2]!.value!.pairs[1]!.responseB = 'word '.repeat(60);
    const { scores, deadLetters } = await scoreThrough(backend, items);
    const unscored = scores.flatMap((s) => s.pairs.filter((p) => p.unscored !== null).map((p) => `${p.pairId} ${p.unscored}`));
    assert.deepEqual(unscored, ['q2/1 RM_BAD_RESPONSE'], 'the pair that needs the long text');
    assert.equal(rmDeadLetters(deadLetters).length, 1);
    assert.match(deadLetters[0]!.message, /must have less than 40 tokens/);
  });

  it('an embedding model, or a key the server refuses, fails the preflight with a clear RR_RM; a server that is down does not', async () => {
    const emb = keep(await startTei({ embedding: true }));
    const a = await backendFrom({ backend: 'http', protocol: 'tei', url: `${emb.url}/predict` });
    await assert.rejects(a.backend.preflight!(), (e: unknown) => isRouterError(e, 'RR_RM') && /embedding model/.test(String(e)));
    const locked = keep(await startLocal(() => json(401, { error: 'Unauthorized', error_type: 'Unauthorized' })));
    const b = await backendFrom({ backend: 'http', protocol: 'tei', url: `${locked.url}/predict` });
    await assert.rejects(
      b.backend.preflight!(),
      (e: unknown) => isRouterError(e, 'RR_RM') && /HTTP 401/.test(String(e)) && /key/.test(String(e)),
    );
    const gone = await startLocal(() => json(200, {}));
    await gone.close();
    const c = await backendFrom({ backend: 'http', protocol: 'tei', url: `${gone.url}/predict` });
    await c.backend.preflight!();
    assert.equal(c.backend.stats().maxBatch, 32);
  });
});

describe('vLLM', () => {
  it('vllm-pooling (default: messages): 200 pairs, one conversation per request rendered by the server with the RM template, no RM_* dead letter', async () => {
    const vllm = keep(await startVllm({ template }));
    const { backend } = await backendFrom({ backend: 'http', protocol: 'vllm-pooling', url: `${vllm.url}/pooling`, concurrency: 16 });
    const items = requests(40, 5, { messages: chatOf });
    const { scores, deadLetters } = await scoreThrough(backend, items);
    assert.deepEqual(rmDeadLetters(deadLetters), []);
    const bodies = vllm.bodies('/pooling');
    assert.equal(bodies.length, 240);
    assert.ok(bodies.every((b) => Array.isArray(b.messages) && b.input === undefined && b.model === undefined));
    assert.ok(
      bodies.some((b) => JSON.stringify(b.messages) === JSON.stringify([...chatOf(0), { role: 'assistant', content: 'answer 0.0' }])),
    );
    const rendered = template.render([...chatOf(3), { role: 'assistant', content: 'answer 3.1' }], false);
    assert.equal(
      rendered,
      '<|im_start|>system\nAnswer in one word.<|im_end|>\n<|im_start|>user\nWhat is 3 + 3?<|im_end|>\n<|im_start|>assistant\nanswer 3.1<|im_end|>\n',
    );
    assert.equal(scores[3]!.pairs[0]!.scoreB, vllmLogit(rendered));
  });

  it('vllm-pooling on a token reward model (token_classify: a row per token) reads the last row, the EOS position', async () => {
    const vllm = keep(await startVllm({ template, pooler: 'token_classify' }));
    const { backend } = await backendFrom({ backend: 'http', protocol: 'vllm-pooling', url: `${vllm.url}/pooling` });
    const [r] = await backend.scorePairs([{ pairId: 'p', prompt: 'Name a prime.', messages: [], responseA: 'Seven.', responseB: 'Nine.' }]);
    assert.ok(!isFailure(r!));
    const rendered = template.render(
      [
        { role: 'user', content: 'Name a prime.' },
        { role: 'assistant', content: 'Seven.' },
      ],
      false,
    );
    assert.equal(r.scoreA, vllmLogit(rendered));
  });

  it('vllm-pooling with chatTemplate: batched `input` of templated text, sent without special tokens added again', async () => {
    const vllm = keep(await startVllm({ served: 'Skywork/RM' }));
    const { backend } = await backendFrom({
      backend: 'http',
      protocol: 'vllm-pooling',
      url: `${vllm.url}/pooling`,
      model: 'Skywork/RM',
      chatTemplate: { tokenizerConfig: TOKENIZER_CONFIG },
    });
    await backend.preflight!();
    const { deadLetters, scores } = await scoreThrough(backend, requests(40, 5));
    assert.deepEqual(rmDeadLetters(deadLetters), []);
    const bodies = vllm.bodies('/pooling');
    assert.equal(bodies.length, 4, '240 texts in requests of 64');
    assert.ok(bodies.every((b) => b.add_special_tokens === false && b.model === 'Skywork/RM'));
    const templated =
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nQuestion 0: what is 0 + 0?<|im_end|>\n<|im_start|>assistant\nanswer 0.0<|im_end|>\n';
    assert.ok(bodies.flatMap((b) => b.input as string[]).includes(templated));
    assert.equal(scores[0]!.pairs[0]!.scoreA, vllmLogit(templated), 'no BOS put in front by the server');
    // the same conversation sent as messages, rendered by the server with the same template: the same reward
    const server = keep(await startVllm({ template }));
    const m = await backendFrom({ backend: 'http', protocol: 'vllm-pooling', url: `${server.url}/pooling` });
    const [r] = await m.backend.scorePairs(
      [requests(1, 1)[0]!.value!].map((q) => ({
        pairId: 'x',
        prompt: q.prompt!,
        messages: [],
        responseA: 'answer 0.0',
        responseB: 'answer 0.1',
      })),
    );
    assert.ok(!isFailure(r!));
    assert.equal(r.scoreA, scores[0]!.pairs[0]!.scoreA);
  });

  it('vllm-classify (default): `input` of prompt, separator, response; the reward is probs[label]', async () => {
    const vllm = keep(await startVllm({ numLabels: 2 }));
    const { backend } = await backendFrom({ backend: 'http', protocol: 'vllm-classify', url: `${vllm.url}/classify`, label: 1 });
    const items = requests(40, 5);
    const { scores, deadLetters } = await scoreThrough(backend, items);
    assert.deepEqual(rmDeadLetters(deadLetters), []);
    const sent = `${BOS}${items[1]!.value!.prompt}\nanswer 1.2`; // plain text: the server adds the special tokens
    const want = Math.exp(vllmLogit(sent, 1)) / (Math.exp(vllmLogit(sent, 0)) + Math.exp(vllmLogit(sent, 1)));
    assert.ok(Math.abs(scores[1]!.pairs[1]!.scoreB - want) < 1e-12);
    assert.deepEqual(
      vllm
        .bodies('/classify')
        .map((b) => (b.input as string[]).length)
        .sort((x, y) => y - x),
      [64, 64, 64, 48],
    );
  });

  it('vllm-score (default): text_1 = prompts, text_2 = responses, paired N:N; 200 pairs, no RM_* dead letter', async () => {
    const vllm = keep(await startVllm());
    const { backend } = await backendFrom({ backend: 'http', protocol: 'vllm-score', url: `${vllm.url}/score` });
    const items = requests(40, 5);
    const { scores, deadLetters } = await scoreThrough(backend, items);
    assert.deepEqual(rmDeadLetters(deadLetters), []);
    const q = items[7]!.value!;
    assert.equal(scores[7]!.pairs[4]!.scoreB, vllmPairScore(q.prompt!, q.pairs[4]!.responseB));
    const b = vllm.bodies('/score')[0]!;
    assert.equal((b.text_1 as string[]).length, (b.text_2 as string[]).length);
  });

  it("vLLM's errors: a text too long for the model is RM_BAD_RESPONSE with the server's message; a model it does not serve fails the preflight", async () => {
    const vllm = keep(await startVllm({ maxModelLen: 30, legacyErrors: true }));
    const { backend } = await backendFrom({ backend: 'http', protocol: 'vllm-score', url: `${vllm.url}/score` });
    const [r] = await backend.scorePairs([{ pairId: 'p', prompt: 'Q', messages: [], responseA: 'x '.repeat(40), responseB: 'y' }]);
    assert.ok(isFailure(r!) && r.failure.code === 'RM_BAD_RESPONSE');
    assert.match(r.failure.message, /HTTP 400: This model's maximum context length is 30 tokens/);
    const other = await backendFrom({ backend: 'http', protocol: 'vllm-score', url: `${vllm.url}/score`, model: 'not-served' });
    await assert.rejects(
      other.backend.preflight!(),
      (e: unknown) => isRouterError(e, 'RR_RM') && /does not serve model "not-served"/.test(String(e)),
    );
    const [r2] = await other.backend.scorePairs([{ pairId: 'p', prompt: 'Q', messages: [], responseA: 'a', responseB: 'b' }]);
    assert.ok(isFailure(r2!) && /HTTP 404: The model `not-served` does not exist/.test(r2.failure.message));
  });
});

describe('OpenRLHF /get_reward', () => {
  const pair = (over: Partial<PairInput> = {}): PairInput => ({
    pairId: 'p',
    prompt: '',
    messages: [{ role: 'user', content: 'What is 2+2?' }],
    responseA: '4',
    responseB: 'Five.',
    ...over,
  });

  it('chatTemplate: the query is the chat-templated prompt with its generation prompt, the response and the EOS token; prompts the templated prompt', async () => {
    const rm = keep(await startOpenRlhf());
    const { backend } = await backendFrom({
      backend: 'http',
      protocol: 'openrlhf',
      url: `${rm.url}/get_reward`,
      chatTemplate: { tokenizerConfig: TOKENIZER_CONFIG },
    });
    const [r] = await backend.scorePairs([pair()]);
    const prompt =
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n';
    const body = rm.bodies()[0]!;
    assert.deepEqual(body.query, [`${prompt}4<|im_end|>`, `${prompt}Five.<|im_end|>`]);
    assert.deepEqual(body.prompts, [prompt, prompt]);
    assert.equal(body.labels, undefined, 'no label on the pairs, none sent');
    assert.ok(!isFailure(r!));
    assert.equal(r.scoreA, fakeReward(`${prompt}4<|im_end|>`));
  });

  it('labels are passed through when the pairs carry them; passthrough sends the prompt as written; separator is the old behaviour', async () => {
    const rm = keep(await startOpenRlhf());
    const url = `${rm.url}/get_reward`;
    const t = await backendFrom({ backend: 'http', protocol: 'openrlhf', url, chatTemplate: { tokenizerConfig: TOKENIZER_CONFIG } });
    await t.backend.scorePairs([{ ...pair(), label: '4' } as PairInput]);
    assert.deepEqual(rm.bodies()[0]!.labels, ['4', '4']);
    const templated = '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n';
    const p = await backendFrom({ backend: 'http', protocol: 'openrlhf', url, query: 'passthrough' });
    await p.backend.scorePairs([pair({ prompt: templated, messages: [], responseA: 'Hello<|im_end|>' })]);
    assert.deepEqual(rm.bodies()[1]!.query, [`${templated}Hello<|im_end|>`, `${templated}Five.`]);
    const s = await backendFrom({ backend: 'http', protocol: 'openrlhf', url });
    await s.backend.scorePairs([pair({ prompt: 'What is 2+2?', messages: [] })]);
    assert.deepEqual(rm.bodies()[2]!.query, ['What is 2+2?\n4', 'What is 2+2?\nFive.']);
  });

  it("the server's own errors: another path is 404 RM_BAD_RESPONSE; a crash is 500 RM_UNAVAILABLE, retried", async () => {
    const rm = keep(await startOpenRlhf());
    const wrong = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${rm.url}/reward` });
    const [r] = await wrong.backend.scorePairs([pair()]);
    assert.ok(isFailure(r!) && r.failure.code === 'RM_BAD_RESPONSE' && /HTTP 404: Not Found/.test(r.failure.message));
    const right = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${rm.url}/get_reward` });
    rm.queue.push(text(500, 'Internal Server Error'));
    const [ok] = await right.backend.scorePairs([pair()]);
    assert.ok(!isFailure(ok!));
    assert.deepEqual(right.slept.length, 1, 'one retry after the 500');
  });
});

describe('splitting a request the server refuses for its size', () => {
  it('a 422 that says the batch is too large (no size named): halves, down to single texts; the breaker stays closed', async () => {
    const server: LocalServer = keep(
      await startLocal((r) => {
        const q = (JSON.parse(r.raw) as { query: string[] }).query;
        if (q.length > 5) return json(422, { detail: `batch too large: ${q.length} > 5` });
        return json(200, { rewards: q.map(fakeReward) });
      }),
    );
    const { backend } = await backendFrom({
      backend: 'http',
      protocol: 'openrlhf',
      url: `${server.url}/get_reward`,
      maxBatch: 24,
      breakerFailures: 1,
    });
    const { deadLetters } = await scoreThrough(backend, requests(4, 5));
    assert.deepEqual(rmDeadLetters(deadLetters), []);
    const sizes = server.received.map((r) => (JSON.parse(r.raw) as { query: string[] }).query.length).sort((x, y) => y - x);
    assert.deepEqual(sizes, [24, 12, 12, 6, 6, 6, 6, 3, 3, 3, 3, 3, 3, 3, 3]);
    assert.equal(backend.stats().breakerOpen, 0);
    assert.equal(backend.stats().splits, 7);
  });

  it('a 422 that is not about size is not split: RM_BAD_RESPONSE after one request', async () => {
    const server = keep(await startLocal(() => json(422, { detail: [{ loc: ['body', 'query'], msg: 'field required' }] })));
    const { backend } = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${server.url}/get_reward` });
    const { deadLetters } = await scoreThrough(backend, requests(2, 2));
    assert.equal(server.received.length, 1);
    assert.equal(rmDeadLetters(deadLetters).length, 4);
    assert.ok(deadLetters.every((d) => d.reason === 'RM_BAD_RESPONSE'));
  });

  it('a text refused alone is RM_BAD_RESPONSE; the others of its request are scored', async () => {
    const server = keep(
      await startLocal((r) => {
        const q = (JSON.parse(r.raw) as { query: string[] }).query;
        if (q.some((t) => t.includes('answer 1.2')))
          return { status: 413, headers: { 'content-type': 'text/plain' }, body: 'Payload Too Large' };
        return json(200, { rewards: q.map(fakeReward) });
      }),
    );
    const { backend } = await backendFrom({ backend: 'http', protocol: 'openrlhf', url: `${server.url}/get_reward` });
    const { scores } = await scoreThrough(backend, requests(3, 3));
    const unscored = scores.flatMap((s) => s.pairs.filter((p) => p.unscored !== null).map((p) => `${p.pairId}:${p.unscored}`));
    assert.deepEqual(unscored, ['q1/1:RM_BAD_RESPONSE', 'q1/2:RM_BAD_RESPONSE']);
  });
});
