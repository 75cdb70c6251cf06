// The Python client (clients/python) as the trainer, end to end on the real broker with the TypeScript
// apps: a reference run on the in-process bus gives the TypeScript trainer's generations and losses;
// pytest publishes the same generations and losses through the Python client for 10 batches; the
// apps decode them (no dead letters), Python decodes the labels, every count adds up, and the
// decisions equal the reference run's, pair for pair.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { SingleObjectCodec } from '../../src/avro/codec.ts';
import { createKafkaBus } from '../../src/bus/kafka/index.ts';
import { counterClock, createMemoryBus } from '../../src/bus/memory/index.ts';
import type { Bus } from '../../src/bus/types.ts';
import { topicName } from '../../src/records/topics.ts';
import type { AppContext, AppHandle } from '../../streams/runtime/context.ts';
import { startAggregatorApp } from '../../streams/aggregator/aggregator.ts';
import { startLabelerApp } from '../../streams/labeler/labeler.ts';
import { runLoop } from '../../streams/loop/loop.ts';
import { startRouterApp } from '../../streams/router/router.ts';
import { startScorerApp } from '../../streams/scorer/scorer.ts';
import { startStoreApp } from '../../streams/store/store.ts';
import { createLoopTopics } from '../../streams/runtime/topics.ts';
import { quietLog, testSettings } from '../unit/streams-fixtures.ts';
import { brokersFromEnv, TEST_CONSUMER_SETTINGS, testLogLevel, uniqueName } from '../helpers/kafka.ts';
import { pairDecisions } from '../../src/records/decisions.ts';
import type { Decision } from '../../src/records/types.ts';

const BATCHES = 10;
const codec = new SingleObjectCodec();

async function decoded<B extends 'generations' | 'feedback' | 'decisions' | 'dlq' | 'labels'>(bus: Bus, prefix: string, base: B) {
  return Promise.all((await bus.readToEnd(topicName(prefix, base))).map((r) => codec.decode(base, r.value!)));
}

function pytest(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const python = execFileSync('bash', ['clients/python/setup-venv.sh'], { encoding: 'utf8' }).trim();
  return new Promise((resolve) => {
    const child = spawn(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('the Python client as the trainer, with the TypeScript apps on the real broker', { timeout: 420_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rr-py-'));
  const apps: AppHandle[] = [];
  let kafka: Bus | undefined;
  after(async () => {
    for (const a of apps.reverse()) await a.close().catch(() => {});
    await kafka?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Python unit tests pass (codec byte for byte with the golden fixtures, typed errors, the example policy)', async () => {
    const r = await pytest(['clients/python/tests/test_codec.py', 'clients/python/tests/test_example.py'], {});
    assert.equal(r.code, 0, r.out);
  });

  it("a 10-batch loop driven from Python: records decode both ways, counts add up, decisions equal the TypeScript trainer's", async () => {
    // Reference: the TypeScript trainer on the in-process bus.
    const prefix = `${uniqueName('py')}.`;
    const s = testSettings({ prefix });
    const memory = createMemoryBus({ clock: counterClock() });
    await runLoop({ bus: memory, settings: s, batches: BATCHES, clock: counterClock(), log: quietLog });
    const refGenerations = await decoded(memory, prefix, 'generations');
    const refFeedback = await decoded(memory, prefix, 'feedback');
    const refDecisions = await decoded(memory, prefix, 'decisions');
    await memory.close();
    const batches = Array.from({ length: BATCHES }, (_, t) => ({
      t,
      generations: refGenerations.filter((g) => g.batch === t),
      feedback: refFeedback.filter((f) => f.batch === t),
    }));
    const fixture = join(dir, 'fixture.json');
    writeFileSync(fixture, JSON.stringify({ run: s.run, prefix, batches }));

    // The TypeScript apps on Kafka, everything but the trainer.
    kafka = createKafkaBus({
      brokers: brokersFromEnv(),
      clientId: uniqueName('py-apps'),
      logLevel: testLogLevel(),
      consumerTiming: TEST_CONSUMER_SETTINGS,
    });
    const ctx: AppContext = { bus: kafka, codec, clock: counterClock(), log: quietLog, settings: s };
    await createLoopTopics(kafka, s);
    apps.push(await startStoreApp(ctx), await startAggregatorApp(ctx));
    for (const rm of s.arms) apps.push(await startScorerApp(ctx, { rm }));
    apps.push(await startLabelerApp(ctx));
    const router = await startRouterApp(ctx);
    apps.push(router);

    const result = join(dir, 'result.json');
    const r = await pytest(['clients/python/tests/test_e2e.py'], {
      RR_E2E_FIXTURE: fixture,
      RR_E2E_RESULT: result,
      KAFKA_BROKERS: brokersFromEnv().join(','),
    });
    assert.equal(r.code, 0, r.out);
    const counts = JSON.parse(readFileSync(result, 'utf8')) as Record<string, number>;
    assert.equal(counts.batches, BATCHES);
    assert.equal(counts.generations, refGenerations.length);
    assert.equal(counts.losses, refFeedback.filter((f) => f.kind === 'LOSS').length);

    // The router applies the last batch's posterior: every batch went round the loop.
    await firstValueFrom(
      router.replica.version$.pipe(
        filter((v) => v >= BATCHES - 1),
        timeout({ first: 120_000 }),
      ),
    );

    // Python's records, decoded by TypeScript: the reference's, field for field (sentAtMs aside).
    // (Partitions interleave differently on the two buses: compare as sorted sets of JSON lines.)
    const lines = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
    const pyGenerations = await decoded(kafka, prefix, 'generations');
    assert.deepEqual(lines(pyGenerations.map((g) => ({ ...g, sentAtMs: 0 }))), lines(refGenerations.map((g) => ({ ...g, sentAtMs: 0 }))));
    assert.deepEqual(lines(await decoded(kafka, prefix, 'feedback')), lines(refFeedback));
    assert.deepEqual(await decoded(kafka, prefix, 'dlq'), []);

    // Same generations, same decisions.
    // Decision v2 holds one prompt's pairs per record: compare pair by pair.
    const perPair = (ds: Decision[]) => ds.flatMap((d) => pairDecisions(d)).map((d) => ({ ...d, decidedAtMs: 0 }));
    const decisions = perPair(await decoded(kafka, prefix, 'decisions'));
    assert.equal(decisions.length, counts.pairs);
    assert.equal(decisions.length, BATCHES * 8 * 6); // 8 prompts of 4 responses (6 pairs) per batch
    const refPairs = perPair(refDecisions);
    assert.equal(refPairs.length, decisions.length);
    assert.deepEqual(lines(decisions), lines(refPairs));
  });
});
